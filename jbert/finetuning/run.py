"""The fine-tuning flow behind ``jbert.api.finetune``:

spec (+ its bundled recipe) -> data files -> examples -> head (labels, validation) -> tokenizer
-> features -> model -> training core (``jbert.training.core``) -> output directory (``jbert.models.directory``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jbert.config.encoding import EncodeOptions
from jbert.config.run import JbertConfig, with_recipe
from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError
from jbert.finetuning.datafiles import make_head, resolve_data_files, resolve_spec  # noqa: F401 (re-exported)
from jbert.heads import EncodeStats, Feature, Head
from jbert.models.card import finetune_card, write_card
from jbert.models.directory import (
    CONFIG_FILE,
    PREDICTIONS_FILE,
    save_finetuned,
)
from jbert.readers import read_examples as read_all
from jbert.training.core import CACHE, finish_run, fit, load_model, start_run
from jbert.training.feature_cache import cache_file, load_features, save_features
from jbert.writers.outputs import check_writable

logger = logging.getLogger(__name__)


def run_finetune(cfg: JbertConfig) -> dict[str, float]:
    """Fine-tune ``cfg.model`` on ``cfg.task``; write the output directory; return the final metrics."""
    _check_required(cfg)
    spec = resolve_spec(cfg)
    cfg = with_task_recipe(cfg, spec)
    train_path, valid_path = resolve_data_files(cfg.data, spec)
    train_ex = read_examples(train_path, spec, cfg.data.iob, cfg.data.encoding)
    valid_ex = read_examples(valid_path, spec, cfg.data.iob, cfg.data.encoding) if valid_path else []
    head = make_head(spec, train_ex)
    head.attach(cfg.model.name_or_path)  # settings the --model directory holds (a sentence-transformers model's)
    head.choose_loss(cfg.training.loss, train_ex)
    head.validate(train_ex, train=True)
    head.validate(valid_ex, train=True)  # gold labels are needed to score each epoch
    run, cfg = start_run(cfg, has_eval=bool(valid_ex), primary_metric=spec.primary_metric, marker=CONFIG_FILE)
    options = EncodeOptions.of(cfg.encoding, cfg.decoding, train=True)
    train_f = encode_once(run.args, head, train_ex, run.tokenizer, options, source=train_path, split="train")
    valid_f = encode_once(run.args, head, valid_ex, run.tokenizer, options, source=valid_path,
                          split="valid") if valid_ex else []

    model = load_model(head.model, cfg.model, cfg.training.seed, run.inputs)
    result = fit(
        model, head.collator(run.tokenizer, position_ids=run.inputs.position_ids), train_f, valid_f,
        training=cfg.training,
        output_dir=run.out,
        metrics_fn=metrics_function(head, spec, valid_f, valid_ex, options),
        primary_metric=spec.primary_metric,
        args=run.args,
        distinct_keys=head.distinct_keys(train_ex, train_f),
    )

    def save(out: Path) -> None:
        write_card(out, finetune_card(cfg, spec, result.metrics, {"train": train_path, "valid": valid_path},
                                      len(valid_ex) or None))
        if valid_ex:
            write_predictions(out / PREDICTIONS_FILE, valid_ex, head.decode(result.outputs, valid_f, valid_ex, options))
        report = {"final": result.metrics, "history": result.history, "global_step": result.global_step,
                  "best_checkpoint": result.best_checkpoint}
        save_finetuned(out, model=model, tokenizer=run.tokenizer, config=cfg, spec=spec, labels=head.labels,
                       metrics=report,  # fingerprint of the saved tokenizer: a dictionary jbert chose is recorded
                       state_dict=result.state_dict)

    finish_run(run, result, save)
    return result.metrics


def with_task_recipe(cfg: JbertConfig, spec: TaskSpec | None = None) -> JbertConfig:
    """``cfg`` with its task's bundled recipe laid under what the caller set: the settings a run uses
    (before the model's limits clamp ``encoding.max_length``; ``jbert config show`` prints them)."""
    if spec is None and not cfg.task.name:
        return cfg
    return with_recipe(cfg, (spec or resolve_spec(cfg)).recipe)


def _check_required(cfg: JbertConfig) -> None:
    missing = [flag for flag, value in (("TASK", cfg.task.name), ("--model", cfg.model.name_or_path),
                                        ("--output", cfg.training.output_dir)) if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}: e.g. `jbert finetune jsts --model DIR --output DIR "
                          "--jglue-dir DIR`")
    check_writable(cfg.training.output_dir, f"--output {cfg.training.output_dir}")  # before the data is read


# --- data ------------------------------------------------------------------------------------------


def read_examples(path: Path, spec: TaskSpec, iob: str = "repair", encoding: str = "utf-8") -> list[Example]:
    """Every example of the file; rows that cannot be read fail together, in one error."""
    examples = read_all(path, spec, iob=iob, encoding=encoding)
    if not examples:
        raise DataFormatError(path, None, "no examples in the file", "check the path and the --reader/columns")
    return examples


# --- encoding --------------------------------------------------------------------------------------


def encode_once(args: Any, head: Head, examples: list[Example], tokenizer: Any, options: EncodeOptions, *,
                source: Path, split: str) -> list[Feature]:
    """``head.encode``, with what it had to change logged; done once per node under ``accelerate launch``:
    the node's main process encodes and caches the features under OUTPUT/.encoded, the other ranks then
    read that cache."""
    cache = None
    if args.world_size > 1:
        key = {"source": str(source.resolve()), "mtime": source.stat().st_mtime_ns, "spec": head.spec.to_dict(),
               "labels": head.labels, "options": asdict(options), "tokenizer": getattr(tokenizer, "name_or_path", "")}
        cache = cache_file(Path(args.output_dir).parent / CACHE, split, key)  # OUTPUT/.encoded/
    with args.main_process_first(local=True, desc=f"encoding {split}") if cache else nullcontext():
        if cache is not None and cache.is_file():
            return load_features(cache)
        head.stats = EncodeStats()
        features = head.encode(examples, tokenizer, options)
        s = head.stats
        message = (f"{split}: {len(examples)} examples -> {len(features)} features; {s.truncated} truncated "
                   f"at max_length {options.max_length}, {s.misaligned} spans not on token boundaries")
        logger.log(logging.WARNING if s.truncated or s.misaligned else logging.INFO, message)
        if cache is not None:
            save_features(cache, features, writer_id=str(args.process_index))
        return features


# --- model, metrics, outputs --------------------------------------------------------------------------


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
