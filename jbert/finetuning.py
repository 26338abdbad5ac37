"""The fine-tuning flow behind ``jbert.api.finetune``:

spec -> data files -> examples -> head (labels, validation) -> tokenizer -> features -> model
-> trainer -> output directory (``jbert.modeldir``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from jbert.config import DataConfig, JbertConfig, TrainingConfig
from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError
from jbert.heads import EncodeOptions, EncodeStats, Feature, Head, get_head
from jbert.model_inputs import align_tokenizer, attention_kwargs, clamp_max_length, read_model_inputs
from jbert.modeldir import (
    CONFIG_FILE,
    PREDICTIONS_FILE,
    encode_options,
    save_finetuned,
    tokenizer_fingerprint,
)
from jbert.modeling import quiet_weight_saving
from jbert.readers import read
from jbert.tasks import TaskSpec, jglue_file, load_spec
from jbert.tokenization import load_tokenizer
from jbert.trainer import CHECKPOINTS, TRAIN_LOG, fit, training_arguments

logger = logging.getLogger(__name__)
_CACHE = ".encoded"


def run_finetune(cfg: JbertConfig) -> dict[str, float]:
    """Fine-tune ``cfg.model`` on ``cfg.task``; write the output directory; return the final metrics."""
    _check_required(cfg)
    spec = resolve_spec(cfg)
    out = Path(cfg.training.output_dir)
    train_path, valid_path = resolve_data_files(cfg.data, spec)
    train_ex = read_examples(train_path, spec)
    valid_ex = read_examples(valid_path, spec) if valid_path else []
    head = make_head(spec, train_ex)
    head.validate(train_ex, train=True)
    head.validate(valid_ex, train=True)  # gold labels are needed to score each epoch
    prepare_output_dir(out, cfg.training)
    args = training_arguments(cfg.training, out, has_eval=bool(valid_ex), primary_metric=spec.primary_metric)

    tokenizer = load_tokenizer(cfg.model.name_or_path)
    inputs = read_model_inputs(cfg.model.name_or_path)  # what this architecture takes: inputs, length
    align_tokenizer(tokenizer, inputs)
    max_length = clamp_max_length(cfg.encoding.max_length, inputs, "--max-length")
    cfg = replace(cfg, encoding=replace(cfg.encoding, max_length=max_length))  # saved clamped
    options = encode_options(cfg, train=True)
    train_f = encode_once(args, head, train_ex, tokenizer, options, source=train_path, split="train")
    valid_f = encode_once(args, head, valid_ex, tokenizer, options, source=valid_path, split="valid") if valid_ex else []

    model = load_model(head, cfg)
    result = fit(
        model, head, tokenizer, train_f, valid_f,
        training=cfg.training,
        output_dir=out,
        metrics_fn=metrics_function(head, spec, valid_f, valid_ex, options),
        primary_metric=spec.primary_metric,
        args=args,
    )
    if result.is_main_process:
        if valid_ex:
            write_predictions(out / PREDICTIONS_FILE, valid_ex, head.decode(result.outputs, valid_f, valid_ex, options))
        report = {"final": result.metrics, "history": result.history, "global_step": result.global_step,
                  "best_checkpoint": result.best_checkpoint}
        save_finetuned(out, model=model, tokenizer=tokenizer, config=cfg, spec=spec, labels=head.labels,
                       metrics=report, fingerprint=tokenizer_fingerprint(cfg.model.name_or_path),
                       state_dict=result.state_dict)
        shutil.rmtree(out / _CACHE, ignore_errors=True)
    return result.metrics


def _check_required(cfg: JbertConfig) -> None:
    missing = [flag for flag, value in (("TASK", cfg.task.name), ("--model", cfg.model.name_or_path),
                                        ("--output", cfg.training.output_dir)) if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}: e.g. `jbert finetune jsts --model DIR --output DIR "
                          "--jglue-dir DIR`")


def resolve_spec(cfg: JbertConfig) -> TaskSpec:
    """The task spec with the config's column and reader overrides applied."""
    spec = load_spec(cfg.task.name).with_columns(**cfg.task.columns)
    return replace(spec, reader=cfg.task.reader) if cfg.task.reader else spec


# --- data ------------------------------------------------------------------------------------------


def resolve_data_files(data: DataConfig, spec: TaskSpec) -> tuple[Path, Path | None]:
    """--train/--valid win; otherwise the spec's JGLUE paths under --jglue-dir."""
    train = Path(data.train) if data.train else jglue_file(spec, data.jglue_dir, "train") if data.jglue_dir else None
    valid = Path(data.valid) if data.valid else jglue_file(spec, data.jglue_dir, "valid") if data.jglue_dir else None
    if train is None:
        raise ConfigError("no training data: pass --train FILE (and --valid FILE), or --jglue-dir DIR for a JGLUE task")
    for split, path in (("training", train), ("validation", valid)):
        if path is not None and not path.is_file():
            raise ConfigError(f"{split} file not found: {path}")
    return train, valid


def read_examples(path: Path, spec: TaskSpec) -> list[Example]:
    examples = list(read(path, spec))
    if not examples:
        raise DataFormatError(path, None, "no examples in the file", "check the path and the --reader/columns")
    return examples


def make_head(spec: TaskSpec, train_examples: Sequence[Example]) -> Head:
    """The spec's head with its labels: the spec's fixed set, else inferred from the training file."""
    head_cls = get_head(spec.head)
    labels = list(spec.labels) if spec.labels is not None else head_cls(spec).infer_labels(train_examples)
    return head_cls(spec, labels)


# --- encoding --------------------------------------------------------------------------------------


def encode_once(args: Any, head: Head, examples: list[Example], tokenizer: Any, options: EncodeOptions, *,
                source: Path, split: str) -> list[Feature]:
    """``head.encode``, done once per node under ``accelerate launch``: the node's main process
    encodes and caches the features under OUTPUT/.encoded, the other ranks then read that cache."""
    if args.world_size == 1:
        return _encode(head, examples, tokenizer, options, split)
    key = {"source": str(source.resolve()), "mtime": source.stat().st_mtime_ns, "spec": head.spec.to_dict(),
           "labels": head.labels, "options": asdict(options), "tokenizer": getattr(tokenizer, "name_or_path", "")}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    cache = Path(args.output_dir).parent / _CACHE / f"{split}-{digest}.pkl"  # OUTPUT/.encoded/
    with args.main_process_first(local=True, desc=f"encoding {split}"):
        if cache.is_file():
            return pickle.loads(cache.read_bytes())
        features = _encode(head, examples, tokenizer, options, split)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{args.process_index}.tmp")
        tmp.write_bytes(pickle.dumps(features))
        tmp.replace(cache)
        return features


def _encode(head: Head, examples: list[Example], tokenizer: Any, options: EncodeOptions, split: str) -> list[Feature]:
    head.stats = EncodeStats()
    features = head.encode(examples, tokenizer, options)
    s = head.stats
    message = (f"{split}: {len(examples)} examples -> {len(features)} features; {s.truncated} truncated "
               f"at max_length {options.max_length}, {s.misaligned} spans not on token boundaries")
    logger.log(logging.WARNING if s.truncated or s.misaligned else logging.INFO, message)
    return features


# --- model, metrics, outputs --------------------------------------------------------------------------


def load_model(head: Head, cfg: JbertConfig) -> Any:
    """The head's model; seeded first, because the new head's random init must repeat run to run."""
    from transformers import set_seed

    set_seed(cfg.training.seed)
    kwargs = attention_kwargs(cfg.model.attn_implementation)
    try:
        with quiet_weight_saving():
            return head.model(cfg.model.name_or_path, **kwargs)
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = " (try --set model.attn_implementation=eager)" if "attn" in reason.lower() else ""
        raise ConfigError(f"cannot load model {cfg.model.name_or_path!r}: {reason}{hint}") from exc


def metrics_function(head: Head, spec: TaskSpec, features: list[Feature], examples: list[Example],
                     options: EncodeOptions) -> Any:
    """outputs -> the spec's metrics on the validation examples (the trainer knows no task)."""
    from jbert.metrics import compute

    references = head.reference_values(examples) if examples else []

    def metrics_fn(outputs: Any) -> dict[str, float]:
        predictions = head.decode(outputs, features, examples, options)
        return compute(spec.metrics, head.prediction_values(predictions), references)

    return metrics_fn


def write_predictions(path: Path, examples: Sequence[Example], predictions: Sequence[Any]) -> None:
    from jbert.writers import open_rows, prediction_row

    with open_rows(path) as writer:
        writer.write(prediction_row(ex, p) for ex, p in zip(examples, predictions, strict=True))


def prepare_output_dir(out: Path, training: TrainingConfig) -> None:
    """Refuse to mix two runs in one directory: finishing an unfinished run needs --resume."""
    if training.resume:
        return
    if (out / CONFIG_FILE).is_file():
        raise ConfigError(f"{out} already holds a fine-tuned model; choose another --output or remove it")
    checkpoints = out / CHECKPOINTS
    if checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*")):
        raise ConfigError(f"{out} holds checkpoints of an unfinished run: add --resume to continue it, "
                          "or choose another --output")
    (out / TRAIN_LOG).unlink(missing_ok=True)
