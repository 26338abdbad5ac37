"""Typed run configuration: YAML recipe -> named flags -> dotted ``--set a.b=c`` overrides.

Every section is a dataclass, so an unknown key is an error that lists the valid keys, and a
value of the wrong type is an error that names the key. The resolved config is saved as
``jbert_config.yaml`` next to the fine-tuned weights (see ``jbert.modeldir``).

    >>> cfg = build_config(recipe=None, flags={"model.name_or_path": "m"}, overrides=["training.seed=7"])
    >>> cfg.training.seed
    7
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from jbert.errors import ConfigError
from jbert.heads.options import DecodingConfig, EncodingConfig
from jbert.precision import PRECISIONS  # one list for training and inference
from jbert.readers.iob import check_iob_mode
from jbert.resources import resource_dir
from jbert.sections import Section
from jbert.tasks import ROLES


@dataclass
class TaskConfig(Section):
    name: str | None = None  # bundled spec name or a spec YAML path
    columns: dict[str, Any] = field(default_factory=dict)  # role -> column, overrides the spec's
    reader: str | None = None  # overrides the spec's reader (jsonl, csv, tsv, conll, squad, text)


@dataclass
class ModelConfig(Section):
    name_or_path: str | None = None
    # None: transformers picks (SDPA where the architecture has it, else eager; jbert.model_inputs)
    attn_implementation: str | None = None
    # auto | from_zero | default: RoBERTa position ids from 0 (rinna's japanese-roberta; jbert.model_inputs)
    position_ids: str = "auto"


@dataclass
class DataConfig(Section):
    train: str | None = None
    valid: str | None = None
    jglue_dir: str | None = None  # a JGLUE checkout: DIR/jsts-v1.3/... or DIR/datasets/jsts-v1.3/...
    iob: str = "repair"  # an I-X that continues no entity: repair (starts one, as conlleval) | strict (error)


@dataclass
class TrainingConfig(Section):
    output_dir: str | None = None
    epochs: float = 3.0
    max_steps: int = -1  # > 0 overrides epochs
    batch_size: int = 32
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
    cpu_fast_dropout: bool = True  # CPU training: rand-and-compare dropout masks (jbert.cpu_ops)
    logging_steps: int = 50
    num_workers: int = 0
    save_total_limit: int = 2  # checkpoints kept under OUTPUT/checkpoints (the best one is always kept)
    resume: bool = False
    progress_bar: bool = True
    eval_steps: int | None = None  # evaluate (and checkpoint) every N steps instead of every epoch
    report_to: str = "none"  # experiment trackers: none | tensorboard | wandb | mlflow (comma-separated)


@dataclass
class JbertConfig:
    task: TaskConfig = field(default_factory=TaskConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<config>") -> JbertConfig:
        cfg = cls()
        merge(cfg, data, source)
        return cfg

    @classmethod
    def from_yaml(cls, path: str | Path) -> JbertConfig:
        return cls.from_dict(read_yaml(path), source=str(path))

    def validate(self) -> None:
        """Checks that need the whole config (single values are checked as they are set)."""
        validate_training(self.training)
        self.encoding.validate()
        self.decoding.validate()
        check_iob_mode(self.data.iob)
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


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        reason = str(exc).replace("\n", " ")
        raise ConfigError(f"{path}: not valid YAML: {reason}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping of sections (task, model, data, ...)")
    return data


def parse_override(item: str) -> tuple[str, Any]:
    """``training.learning_rate=3e-5`` -> (key, value parsed as a YAML scalar)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value (e.g. training.seed=1), got {item!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def merge(cfg: Any, data: dict[str, Any], source: str) -> None:
    """Apply a nested mapping (a recipe or a saved config) section by section."""
    sections = {f.name for f in fields(cfg)}
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"{source}: unknown section {section!r}; valid: {', '.join(sorted(sections))}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: section {section!r} must be a mapping")
        for key, value in values.items():
            set_dotted(cfg, f"{section}.{key}", value, source=source)


# Keys that moved to another section: configs saved by earlier versions still load.
MOVED_KEYS = {"encoding.n_best_size": "decoding.n_best_size", "encoding.max_answer_length": "decoding.max_answer_length"}


def set_dotted(cfg: Any, key: str, value: Any, source: str = "--set") -> None:
    """Set ``section.field`` (or ``task.columns.ROLE``), checking the key and coercing the type."""
    key = MOVED_KEYS.get(key, key)
    parts = key.split(".")
    section_names = [f.name for f in fields(cfg)]
    if parts[0] not in section_names:
        raise ConfigError(f"{source}: unknown config section {parts[0]!r} in {key!r}; valid: {', '.join(section_names)}")
    section = getattr(cfg, parts[0])
    valid = {f.name: f for f in fields(section)}
    if len(parts) < 2 or parts[1] not in valid:
        raise ConfigError(
            f"{source}: unknown key {key!r}; valid keys of {parts[0]!r}: {', '.join(sorted(valid))}"
        )
    name, rest = parts[1], parts[2:]
    hint = typing.get_type_hints(type(section))[name]
    if rest:
        if _base(hint) is not dict or len(rest) != 1:
            raise ConfigError(f"{source}: {parts[0]}.{name} has no sub-key {'.'.join(rest)!r}")
        getattr(section, name)[rest[0]] = value
        return
    setattr(section, name, _coerce(value, hint, key, source))


# --- type coercion (YAML reads 5e-5 as a string; flags arrive as strings) ---------------------


def _base(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _base(args[0])
    return typing.get_origin(hint) or hint


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    if value is None:
        if _optional(hint):
            return None
        raise ConfigError(f"{source}: {key} cannot be empty")
    base = _base(hint)
    try:
        if base is bool:
            return _to_bool(value)
        if base is int and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if base is float and not isinstance(value, bool):
            return float(value)
        if base is str and not isinstance(value, (dict, list)):
            return str(value)
        if base is dict and isinstance(value, dict):
            return dict(value)
        if base is list:  # a list of strings (file paths); one string is a list of one
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    except (TypeError, ValueError):
        pass
    expected = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a mapping",
                list: "a list"}
    raise ConfigError(f"{source}: {key} must be {expected.get(base, base)}, got {value!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
        return value.lower() in ("true", "yes", "1", "on")
    raise ValueError(value)
