"""Typed run configuration: YAML recipe -> named flags -> dotted ``--set a.b=c`` overrides.

Every section is a dataclass, so an unknown key is an error that lists the valid keys, and a
value of the wrong type is an error that names the key. The resolved config is saved as
``jbert_config.yaml`` next to the fine-tuned weights (see ``jbert.models.directory``).

    >>> cfg = build_config(recipe=None, flags={"model.name_or_path": "m"}, overrides=["training.seed=7"])
    >>> cfg.training.seed
    7
"""

from __future__ import annotations

import codecs
import copy
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from jbert.config.encoding import DecodingConfig, EncodingConfig
from jbert.config.precision import PRECISIONS  # one list for training and inference
from jbert.config.resources import resource_dir
from jbert.config.sections import Section, SectionedConfig, merge, parse_override, read_yaml, set_dotted
from jbert.config.tasks import ROLES
from jbert.errors import ConfigError


@dataclass
class TaskConfig(Section):
    name: str | None = None  # bundled spec name or a spec YAML path
    columns: dict[str, Any] = field(default_factory=dict)  # role -> column, overrides the spec's
    reader: str | None = None  # overrides the spec's reader (jsonl, csv, tsv, conll, squad, text)
    options: dict[str, Any] = field(default_factory=dict)  # overrides the spec's head options


@dataclass
class ModelConfig(Section):
    name_or_path: str | None = None  # --model: a model directory or hub name
    # None: transformers picks (SDPA where the architecture has it, else eager; jbert.models.inputs)
    attn_implementation: str | None = None
    # auto | from_zero | default: RoBERTa position ids from 0 (rinna's japanese-roberta; jbert.models.inputs)
    position_ids: str = "auto"


IOB_MODES = ("repair", "strict")
DEFAULT_ENCODING = "utf-8"


def check_encoding(name: str | None) -> str:
    """``--encoding``: a codec Python knows that keeps ASCII (and so line ends) as is."""
    name = name or DEFAULT_ENCODING
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise ConfigError(f"--encoding {name!r} is not an encoding Python knows; e.g. utf-8, cp932, shift_jis, "
                          "euc_jp") from None
    if "\n,a".encode(codec.name) != b"\n,a":
        raise ConfigError(f"--encoding {name}: files in it cannot be read line by line; convert them to UTF-8")
    return codec.name


def check_iob_mode(mode: str) -> None:
    if mode not in IOB_MODES:
        raise ConfigError(f"data.iob must be one of {', '.join(IOB_MODES)}, got {mode!r}")


@dataclass
class DataConfig(Section):
    train: str | None = None  # --train: the training file
    valid: str | None = None  # --valid: scored every epoch; picks the best checkpoint
    jglue_dir: str | None = None  # a JGLUE checkout: DIR/jsts-v1.3/... or DIR/datasets/jsts-v1.3/...
    iob: str = "repair"  # an I-X that continues no entity: repair (starts one, as conlleval) | strict (error)
    encoding: str = "utf-8"  # the data files' text encoding: utf-8, cp932 (Excel's Japanese CSV), euc_jp ...


@dataclass
class TrainingConfig(Section):
    output_dir: str | None = None  # --output
    epochs: float = 3.0
    max_steps: int = -1  # > 0 overrides epochs
    batch_size: int = 32  # per device
    eval_batch_size: int | None = None  # None: same as batch_size
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    seed: int = 42
    precision: str = "auto"  # auto: bf16 on a CUDA GPU that supports it, else fp32
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping
    group_by_length: bool = True  # batches of similar length: dynamic padding then wastes little
    cpu_fast_dropout: bool = True  # CPU training: rand-and-compare dropout masks (jbert.training.cpu_ops)
    logging_steps: int = 50
    num_workers: int = 0
    save_total_limit: int = 2  # checkpoints kept under OUTPUT/checkpoints (the best one is always kept)
    resume: bool = False  # --resume: continue from the last checkpoint in output_dir
    progress_bar: bool = True
    eval_steps: int | None = None  # evaluate (and checkpoint) every N steps instead of every epoch
    report_to: str = "none"  # experiment trackers: none | tensorboard | wandb | mlflow (comma-separated)
    # the head's training loss; None: the head's own choice by the rows (embedding: mnrl, cosent ...; reranker:
    # bce for pairs, listwise where rows have a query id)
    loss: str | None = None


@dataclass
class JbertConfig(SectionedConfig):
    task: TaskConfig = field(default_factory=TaskConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    # configs saved by earlier versions still load
    moved_keys: ClassVar[dict[str, str]] = {"encoding.n_best_size": "decoding.n_best_size",
                                            "encoding.max_answer_length": "decoding.max_answer_length"}

    def validate(self) -> None:
        """Checks that need the whole config (single values are checked as they are set)."""
        validate_training(self.training)
        self.encoding.validate()
        self.decoding.validate()
        check_iob_mode(self.data.iob)
        check_encoding(self.data.encoding)
        bad_roles = sorted(set(self.task.columns) - set(ROLES))
        if bad_roles:
            raise ConfigError(f"task.columns: unknown role(s) {bad_roles}; valid: {', '.join(ROLES)}")


def validate_training(t: TrainingConfig, positive: dict[str, int] | None = None) -> None:
    """The training section's checks (shared by fine-tuning and pre-training configs); ``positive``:
    further dotted keys that must be at least 1."""
    if t.precision not in PRECISIONS:
        raise ConfigError(f"training.precision must be one of {', '.join(PRECISIONS)}, got {t.precision!r}")
    positive = {
        "training.batch_size": t.batch_size,
        "training.gradient_accumulation_steps": t.gradient_accumulation_steps,
        "training.logging_steps": t.logging_steps,
        **({"training.eval_steps": t.eval_steps} if t.eval_steps is not None else {}),
        **(positive or {}),
    }
    for key, value in positive.items():
        if value < 1:
            raise ConfigError(f"{key} must be at least 1, got {value}")
    if t.epochs <= 0 and t.max_steps <= 0:
        raise ConfigError("training.epochs must be > 0 (or set training.max_steps)")
    if not 0 <= t.warmup_ratio < 1:
        raise ConfigError(f"training.warmup_ratio must be in [0, 1), got {t.warmup_ratio}")


# --- building ---------------------------------------------------------------------------------


def build_config(
    recipe: str | Path | None = None,
    flags: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    *,
    cls: type | None = None,
) -> Any:
    """Defaults <- recipe YAML <- named flags (dotted keys; None = not given) <- ``key=value`` overrides.
    ``cls``: the config class (default ``JbertConfig``; pre-training has its own)."""
    cfg = (cls or JbertConfig)()
    if recipe is not None:
        merge(cfg, read_yaml(recipe), source=str(recipe))
    for key, value in (flags or {}).items():
        if value is not None:
            set_dotted(cfg, key, value)
    for item in overrides or []:
        key, value = parse_override(item)
        set_dotted(cfg, key, value)
    cfg.validate()
    return cfg


def with_recipe(cfg: Any, recipe: str | Path | None) -> Any:
    """``cfg`` with ``recipe`` (a bundled name such as ``jglue/jsts``, or a YAML path) laid under the
    keys ``cfg`` was given: defaults <- recipe <- whatever the caller set. Applying it twice changes
    nothing, so the core can call it whoever built ``cfg`` (the CLI or Python)."""
    if not recipe:
        return cfg
    path = Path(recipe) if Path(recipe).suffix in (".yaml", ".yml") else recipe_path(str(recipe))
    layered = type(cfg)()
    merge(layered, read_yaml(path), source=str(path))
    for section in fields(cfg):
        given, target = getattr(cfg, section.name), getattr(layered, section.name)
        for key in sorted(given.given_keys()):
            setattr(target, key, copy.deepcopy(getattr(given, key)))
    layered.validate()
    return layered


def recipe_path(name: str) -> Path:
    """A bundled recipe name (``jglue/jsts``, as in a task spec's ``recipe``) -> its YAML file."""
    root = resource_dir("configs")
    path = root / f"{name}.yaml"
    if not path.is_file():
        available = sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.yaml"))
        raise ConfigError(f"unknown recipe {name!r}; available: {', '.join(available)}")
    return path
