"""The fine-tuned output directory: what is written beside the weights, and read back without them.

    OUTPUT/
      model.safetensors, config.json         the weights (plain transformers can load them)
      vocab.txt, tokenizer_config.json ...   tokenizer files in the portable format
      metrics.json                           per-epoch history and the final metrics
      valid_predictions.jsonl                predictions on the validation file
      train_log.jsonl, checkpoints/          written by the trainer
      jbert_run.yaml                         the settings the run started with (``jbert.training.run_record``)
      README.md                              the model card (jbert.models.card)
      jbert_config.yaml                      task spec, labels, training config, tokenizer fingerprint

``jbert_config.yaml`` is written last and atomically, so a directory without it is an
unfinished run, never a model that silently lacks a part. ``jbert.inference.loading`` loads one to run it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from jbert import __version__
from jbert.config.run import JbertConfig
from jbert.config.tasks import TaskSpec
from jbert.errors import ConfigError, TokenizerLoadError
from jbert.models.cross_encoder import is_cross_encoder_dir
from jbert.models.initialise import quiet_weight_saving
from jbert.models.inputs import read_model_inputs
from jbert.models.st_format import is_st_dir, max_seq_length, read_st
from jbert.tokenization.fingerprint import compute_fingerprint
from jbert.writers import atomic_output, write_metrics_json
from jbert.writers.rundir import FINETUNE_MARKER, check_not_unfinished

logger = logging.getLogger(__name__)

CONFIG_FILE = FINETUNE_MARKER
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "valid_predictions.jsonl"
# beside the JbertConfig sections; "distill": a distilled student's teacher and settings (jbert.distillation)
_EXTRA_KEYS = ("jbert_version", "spec", "labels", "tokenizer", "distill")


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


def read_finetuned_config(path: str | Path, plain_as: str | None = None,
                          ) -> tuple[JbertConfig, TaskSpec, list[str] | None, dict | None]:
    """(config, spec, labels, tokenizer fingerprint) from a fine-tuned directory, without loading weights.
    ``plain_as``: the task a plain encoder directory (a ``config.json``, no task files) runs as."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"model directory not found: {path}")
    config_file = path / CONFIG_FILE
    if not config_file.is_file() and is_cross_encoder_dir(path):
        return _cross_encoder_config(path)
    if not config_file.is_file() and (is_st_dir(path) or (plain_as == "embedding" and (path / "config.json").is_file())):
        return _sentence_transformers_config(path)
    if not config_file.is_file():
        check_not_unfinished(path)  # the same message in every command
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
    max_seq_length (else the longest the model takes); pooling and prompts are read by the head. A plain
    encoder gets the head's defaults (mean pooling, no prompts), as ``SentenceTransformer(DIR)`` gives it."""
    from jbert.config.tasks import load_spec

    config = JbertConfig()
    config.model.name_or_path = str(path)
    own = read_st(path).max_seq_length if is_st_dir(path) else None
    config.encoding.max_length = own or read_model_inputs(str(path)).max_length or 512
    return config, load_spec("embedding"), None, None


def _cross_encoder_config(path: Path) -> tuple[JbertConfig, TaskSpec, None, None]:
    """A cross-encoder jbert did not write (``jbert.models.cross_encoder``) runs as a reranker, reading as
    many tokens as ``CrossEncoder(DIR)`` does: the tokenizer's limit, within the model's; the head reads
    the activation."""
    from jbert.config.tasks import load_spec

    config = JbertConfig()
    config.model.name_or_path = str(path)
    limits = [max_seq_length(path), read_model_inputs(str(path)).max_length]
    config.encoding.max_length = min((n for n in limits if n), default=512)
    return config, load_spec("reranker"), None, None
