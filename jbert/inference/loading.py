"""Load a fine-tuned or exported model directory to run it: spec, head, tokenizer, model, options.

``jbert eval``, ``jbert predict`` and ``jbert export`` all start here; the directory's format is
``jbert.models.directory``'s, an export's runtime is ``jbert.inference.runtimes``'.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.config.encoding import EncodeOptions
from jbert.config.run import JbertConfig
from jbert.config.tasks import TaskSpec
from jbert.errors import ConfigError
from jbert.heads import Head, get_head
from jbert.inference.core import resolve_device, runs_on_numpy
from jbert.inference.runtimes import load_exported, read_record
from jbert.models.directory import read_finetuned_config, tokenizer_fingerprint
from jbert.models.initialise import quiet_weight_saving
from jbert.models.inputs import align_tokenizer, read_model_inputs, set_positions
from jbert.tokenization import load_tokenizer
from jbert.tokenization.fingerprint import FINGERPRINT_FILE, fingerprint_differences

logger = logging.getLogger(__name__)


@dataclass
class Finetuned:
    path: Path
    config: JbertConfig
    spec: TaskSpec
    labels: list[str] | None
    head: Head
    tokenizer: Any
    model: Any  # a PreTrainedModel in eval mode
    options: EncodeOptions


def load_finetuned(path: str | Path, device: str | None = None, plain_as: str | None = None) -> Finetuned:
    """Everything to run a fine-tuned model: spec, head, tokenizer, model (eval mode, on ``device``).
    ``plain_as``: the task a plain pre-trained encoder runs as (``embedding``: mean pooling)."""
    path = Path(path)
    config, spec, labels, fingerprint = read_finetuned_config(path, plain_as)
    head = get_head(spec.head)(spec, labels)
    head.attach(str(path))  # a head's files beside the weights (an embedding model's pooling, prompts)
    tokenizer = load_tokenizer(path)
    _check_fingerprint(path, fingerprint, tokenizer_fingerprint(path))
    model = _load_model(path, head)
    # positions as fine-tuned (jbert_config.yaml: model.position_ids); an export records them with its inputs
    if getattr(model, "config", None) is not None:
        set_positions(model.config, config.model.position_ids)
    # the inputs the architecture takes: an export records them, else config.json (also for old directories)
    align_tokenizer(tokenizer, getattr(model, "model_inputs", None) or read_model_inputs(str(path)))
    # an ONNX Runtime model runs on the CPU without torch; its .to() warns about any other device
    model.to((device or "cpu") if runs_on_numpy(model) else resolve_device(device)).eval()
    return Finetuned(path, config, spec, labels, head, tokenizer, model, EncodeOptions.of(config.encoding, config.decoding, train=False))


def _load_model(path: Path, head: Head) -> Any:
    """The directory's own weights, or, for an export (``jbert export``), the runtime its record names."""
    record = read_record(path)
    if record is not None:
        return load_exported(path, head, record)
    check_weights(path)
    try:
        with quiet_weight_saving():
            return head.model(str(path))
    except OSError as exc:  # transformers' "no file named ...", a shard of a sharded checkpoint gone
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path}: cannot load the model weights ({reason}); {_DAMAGED}") from exc


_DAMAGED = "the directory is incomplete or damaged: copy it again, or fine-tune again"
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def check_weights(path: Path) -> None:
    """Name a missing or cut-short weights file in one line, before the loader fails on it deep down.
    safetensors checks that its header's tensors cover the file exactly, reading only the header."""
    from safetensors import SafetensorError, safe_open

    files = sorted(path.glob("*.safetensors"))
    if not files and not any((path / name).is_file() for name in _WEIGHTS):
        raise ConfigError(f"{path}: no model weights (model.safetensors); {_DAMAGED}")
    for file in files:
        try:
            with safe_open(str(file), framework="np"):
                pass
        except SafetensorError as exc:
            raise ConfigError(f"{file}: damaged or cut short ({exc}); {_DAMAGED}") from None


def _check_fingerprint(path: Path, saved: dict | None, current: dict | None) -> None:
    """Warn when the installed analyser/dictionary or the vocabulary differ from training time."""
    if not saved or not current or (path / FINGERPRINT_FILE).is_file():
        return  # with the tokenizer's own record, load_tokenizer has already compared it

    diffs = fingerprint_differences(saved, current)
    if diffs:
        logger.warning("%s was fine-tuned with a different tokenizer set-up (%s): inputs will not get the ids "
                       "the model was trained with", path, "; ".join(diffs))
