"""The fine-tuned output directory: everything ``jbert eval`` and ``jbert predict`` need.

    OUTPUT/
      model.safetensors, config.json         the weights (plain transformers can load them)
      vocab.txt, tokenizer_config.json ...   tokenizer files in the portable format
      metrics.json                           per-epoch history and the final metrics
      valid_predictions.jsonl                predictions on the validation file
      train_log.jsonl, checkpoints/          written by the trainer
      jbert_config.yaml                      task spec, labels, training config, tokenizer fingerprint

``jbert_config.yaml`` is written last and atomically, so a directory without it is an
unfinished run, never a model that silently lacks a part.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jbert import __version__
from jbert.config import JbertConfig
from jbert.errors import ConfigError, TokenizerLoadError
from jbert.heads import EncodeOptions, Head, get_head
from jbert.heads.st_format import is_st_dir, read_st
from jbert.model_inputs import align_tokenizer, read_model_inputs, set_positions
from jbert.modeling import quiet_weight_saving
from jbert.tasks import TaskSpec
from jbert.tokenization import load_tokenizer  # re-exported: the one way jbert gets a tokenizer
from jbert.tokenization.fingerprint import FINGERPRINT_FILE, compute_fingerprint, fingerprint_differences
from jbert.writers import atomic_output, write_metrics_json

logger = logging.getLogger(__name__)

CONFIG_FILE = "jbert_config.yaml"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "valid_predictions.jsonl"
_EXTRA_KEYS = ("jbert_version", "spec", "labels", "tokenizer")  # beside the JbertConfig sections


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


def encode_options(config: JbertConfig, train: bool) -> EncodeOptions:
    """The head's options from the config's ``encoding`` and ``decoding`` sections."""
    return EncodeOptions.of(config.encoding, config.decoding, train)


def tokenizer_fingerprint(tokenizer_dir: str | Path) -> dict[str, Any] | None:
    """What decides how text becomes ids (analyser, dictionary and version, normalisation, vocabulary
    hash) for a local tokenizer directory; None for a hub name or a directory without tokenizer files."""
    if not Path(tokenizer_dir).is_dir():
        return None
    try:
        return compute_fingerprint(tokenizer_dir)
    except TokenizerLoadError as exc:
        logger.info("no tokenizer fingerprint for %s: %s", tokenizer_dir, exc)
        return None


def save_finetuned(
    path: str | Path,
    *,
    model: Any,
    tokenizer: Any,
    config: JbertConfig,
    spec: TaskSpec,
    labels: list[str] | None,
    metrics: dict | None = None,
    fingerprint: dict | None = None,
    state_dict: dict | None = None,
) -> None:
    """Write weights, tokenizer files, ``metrics.json`` and, last, ``jbert_config.yaml``.

    ``state_dict``: the full weights when ``model`` holds only this rank's shard (FSDP, ZeRO-3)."""
    path = Path(path)
    save_model_files(path, model, tokenizer, state_dict, marker=CONFIG_FILE)
    if metrics is not None:
        write_metrics_json(path / METRICS_FILE, metrics)
    document = {
        "jbert_version": __version__,
        **config.to_dict(),
        "spec": spec.to_dict(),
        "labels": list(labels) if labels is not None else None,
        "tokenizer": fingerprint if fingerprint is not None else tokenizer_fingerprint(path),
    }
    with atomic_output(path / CONFIG_FILE) as stream:
        stream.write(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def save_model_files(path: Path, model: Any, tokenizer: Any, state_dict: dict | None, marker: str) -> None:
    """Weights and portable tokenizer files (fine-tuned and pre-trained directories alike). ``marker``,
    the file the caller writes last, is removed first: a stale one from an earlier run would make a
    half-rewritten directory look complete."""
    path.mkdir(parents=True, exist_ok=True)
    (path / marker).unlink(missing_ok=True)
    with quiet_weight_saving():
        model.save_pretrained(path, state_dict=state_dict)
    tokenizer.save_pretrained(path)


def read_finetuned_config(path: str | Path) -> tuple[JbertConfig, TaskSpec, list[str] | None, dict | None]:
    """(config, spec, labels, tokenizer fingerprint) from a fine-tuned directory, without loading weights."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"model directory not found: {path}")
    config_file = path / CONFIG_FILE
    if not config_file.is_file() and is_st_dir(path):
        return _sentence_transformers_config(path)
    if not config_file.is_file():
        if (path / "checkpoints").is_dir():
            raise ConfigError(
                f"{path} has no {CONFIG_FILE}: it looks like an unfinished run; rerun "
                f"`jbert finetune ... --output {path} --resume` to finish it"
            )
        raise ConfigError(f"{path} has no {CONFIG_FILE}: not a jbert fine-tuned model directory "
                          "(make one with `jbert finetune`)")
    try:
        document = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{config_file}: cannot read: {exc}".replace("\n", " ")) from exc
    if not isinstance(document, dict) or "spec" not in document:
        raise ConfigError(f"{config_file}: no task spec in it; the directory is damaged, fine-tune again")
    extra = {k: document.pop(k, None) for k in _EXTRA_KEYS}
    config = JbertConfig.from_dict(document, source=str(config_file))
    spec = TaskSpec.from_dict(extra["spec"], source=str(config_file))
    labels = list(extra["labels"]) if extra["labels"] is not None else None
    return config, spec, labels, extra["tokenizer"]


def _sentence_transformers_config(path: Path) -> tuple[JbertConfig, TaskSpec, None, None]:
    """A sentence-transformers directory jbert did not write runs as an embedding model: its own
    max_seq_length (else the longest the model takes); pooling and prompts are read by the head."""
    from jbert.tasks import load_spec

    config = JbertConfig()
    config.model.name_or_path = str(path)
    config.encoding.max_length = read_st(path).max_seq_length or read_model_inputs(str(path)).max_length or 512
    return config, load_spec("embedding"), None, None


def load_finetuned(path: str | Path, device: str | None = None) -> Finetuned:
    """Everything to run a fine-tuned model: spec, head, tokenizer, model (eval mode, on ``device``)."""
    from jbert.inference.core import resolve_device, runs_on_numpy

    path = Path(path)
    config, spec, labels, fingerprint = read_finetuned_config(path)
    head = get_head(spec.head)(spec, labels)
    head.attach(str(path))
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
    return Finetuned(path, config, spec, labels, head, tokenizer, model, encode_options(config, train=False))


def _load_model(path: Path, head: Head) -> Any:
    """The directory's own weights, or, for an export (``jbert export``), the runtime its record names."""
    from jbert.export.formats import load_exported, read_record

    record = read_record(path)
    if record is not None:
        return load_exported(path, head, record)
    with quiet_weight_saving():
        return head.model(str(path))


def _check_fingerprint(path: Path, saved: dict | None, current: dict | None) -> None:
    """Warn when the installed analyser/dictionary or the vocabulary differ from training time."""
    if not saved or not current or (path / FINGERPRINT_FILE).is_file():
        return  # with the tokenizer's own record, load_tokenizer has already compared it

    diffs = fingerprint_differences(saved, current)
    if diffs:
        logger.warning("%s was fine-tuned with a different tokenizer set-up (%s): inputs will not get the ids "
                       "the model was trained with", path, "; ".join(diffs))
