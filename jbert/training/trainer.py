"""Fit any head's model: ``transformers.Trainer`` (on accelerate) with jbert's defaults.

The loop of jbert's one training core (``jbert.training.core``); it knows nothing about tasks or heads:
it gets features (a list, or a memory-mapped ``datasets.Dataset``), a collator (a head's, or the
masked-LM one) and a metrics function ``outputs -> dict[str, float]`` (the caller's closure over
head.decode and the metrics). Fine-tuning and pre-training both call ``fit``.

What it adds to the Trainer: length-grouped batches from precomputed lengths that replay
exactly on resume (jbert.training.sampling), evaluation in ``torch.inference_mode`` that always stays in
dataset order and gives metrics even when the eval features carry no labels (jbert.training.hf_trainer),
a JSONL training log, and precision resolution (jbert.config.precision, through jbert.training.arguments) that
never picks bf16 on a CPU by itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from transformers import (
    EarlyStoppingCallback,
    PrinterCallback,
    ProgressCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_utils import get_last_checkpoint

from jbert.config.run import TrainingConfig
from jbert.errors import ConfigError
from jbert.models.initialise import quiet_weight_saving
from jbert.training.arguments import CHECKPOINTS, training_arguments
from jbert.training.cpu_ops import use_fast_dropout
from jbert.training.hf_trainer import JbertTrainer
from jbert.training.progress_bar import TrainingBar
from jbert.training.sampling import feature_length
from jbert.writers.progress import show_progress

__all__ = ["CHECKPOINTS", "TRAIN_LOG", "FitResult", "MetricsFn", "fit", "gathered_state_dict", "training_arguments"]

logger = logging.getLogger(__name__)

MetricsFn = Callable[[Any], dict[str, float]]  # model outputs (np arrays, -100 padded) -> metrics
TRAIN_LOG = "train_log.jsonl"


@dataclass
class FitResult:
    metrics: dict[str, float]  # final evaluation of the kept (best) model, without the "eval_" prefix
    history: list[dict[str, float]] = field(default_factory=list)  # one entry per evaluation
    outputs: Any = None  # raw model outputs of that final evaluation, for head.decode
    global_step: int = 0
    best_checkpoint: str | None = None
    is_main_process: bool = True
    # FSDP / DeepSpeed ZeRO-3 only: the full weights gathered from every rank (on rank 0), for saving;
    # None when the in-memory model already holds them.
    state_dict: dict[str, Any] | None = None


class JsonlLogCallback(TrainerCallback):
    """Appends every Trainer log (losses, learning rate, eval metrics) to ``train_log.jsonl``."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        row = {"step": state.global_step, "epoch": state.epoch, **logs}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False, default=float) + "\n")


def fit(
    model: Any,
    collator: Callable[[list[dict]], dict],
    train_features: Sequence[dict],
    valid_features: Sequence[dict] | None,
    *,
    training: TrainingConfig,
    output_dir: str | Path,
    metrics_fn: MetricsFn | None = None,
    primary_metric: str | None = None,
    callbacks: Sequence[TrainerCallback] = (),
    args: TrainingArguments | None = None,
    fixed_length: bool = False,
    preprocess_logits: Callable[[Any, Any], Any] | None = None,
    distinct_keys: Sequence[Any] | None = None,
) -> FitResult:
    """Train ``model`` on ``train_features``; evaluate each epoch on ``valid_features`` and keep the
    best checkpoint by ``primary_metric`` (greater is better, except for a ``*loss`` metric).

    Checkpoints go to ``OUTPUT/checkpoints`` (pruned to ``save_total_limit``, the best always kept),
    the log to ``OUTPUT/train_log.jsonl``. Saving the final model is the caller's job. ``args``:
    the ``training_arguments(...)`` the caller already built (for ``args.main_process_first``).
    ``collator``: features -> batch of tensors (``collator.pad_to_multiple_of`` is set to 8 on a GPU
    when it has that attribute). ``fixed_length``: every feature has one length (packed pre-training
    blocks), so there is nothing to gain from length-grouped batches or a length-sorted evaluation.
    ``preprocess_logits(logits, labels)``: shrinks each eval batch's outputs before they are gathered
    (masked LM: ``[batch, seq, vocab]`` logits would not fit in memory; counts do).
    ``distinct_keys``: per training feature, the values (texts) no other feature of its batch may share
    (``jbert.training.sampling.DistinctBatchSampler``, instead of length-grouped batches).
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    has_eval = valid_features is not None and len(valid_features) > 0
    args = args or training_arguments(training, output_dir, has_eval=has_eval, primary_metric=primary_metric)
    _prepare(model, collator, args, training)
    extra: list[TrainerCallback] = [JsonlLogCallback(output_dir / TRAIN_LOG), *callbacks]
    if has_eval and training.early_stopping_patience:
        extra.append(EarlyStoppingCallback(early_stopping_patience=training.early_stopping_patience))
    # Evaluation runs length-sorted (less padding per batch) and outputs are put back in feature
    # order before anyone sees them, so decode and the predictions file keep the input order.
    order = np.argsort([feature_length(f) for f in valid_features], kind="stable") \
        if has_eval and not fixed_length else None
    trainer = JbertTrainer(
        model=model,
        args=args,
        data_collator=collator,
        train_dataset=train_features,
        eval_dataset=(valid_features if order is None else [valid_features[i] for i in order]) if has_eval else None,
        compute_metrics=(lambda p: metrics_fn(p.predictions)) if metrics_fn and has_eval else None,
        callbacks=extra,
        preprocess_logits_for_metrics=preprocess_logits,
        train_lengths=[feature_length(f) for f in train_features]
        if training.group_by_length and not fixed_length and distinct_keys is None else None,
        eval_order=order,
        train_distinct=list(distinct_keys) if distinct_keys is not None else None,
    )
    # transformers' own callbacks write each log dict to stdout; jbert's bar goes to stderr, logs to train_log.jsonl
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    if show_progress(training.progress_bar):
        trainer.add_callback(TrainingBar())
    with quiet_weight_saving():
        trainer.train(resume_from_checkpoint=_checkpoint_to_resume(args.output_dir, training.resume))
        metrics, history = _final_metrics(trainer, has_eval)
    state_dict = gathered_state_dict(trainer)
    return FitResult(
        metrics=metrics,
        history=history,
        outputs=trainer.last_outputs,
        global_step=trainer.state.global_step,
        best_checkpoint=trainer.state.best_model_checkpoint,
        is_main_process=args.should_save,
        state_dict=state_dict,
    )


def _prepare(model: Any, collator: Any, args: TrainingArguments, training: TrainingConfig) -> None:
    """Settings of the model and collator that depend on the device."""
    # BERT-style heads return a per-batch MEAN loss and ignore num_items_in_batch; a model that says it
    # accepts loss kwargs gets its loss multiplied by the process count and not divided by the
    # gradient-accumulation steps (transformers 5 Trainer.compute_loss / training_step).
    model.accepts_loss_kwargs = False
    if args.device.type == "cuda" and hasattr(collator, "pad_to_multiple_of"):
        collator.pad_to_multiple_of = 8  # tensor-core friendly shapes
    if args.device.type == "cpu" and training.cpu_fast_dropout:
        use_fast_dropout(model)


def _final_metrics(trainer: JbertTrainer, has_eval: bool) -> tuple[dict[str, float], list[dict[str, float]]]:
    """(metrics of the kept model, one entry per evaluation) once training is over."""
    history = [_strip(e) for e in trainer.state.log_history if any(k.startswith("eval_") for k in e)]
    if has_eval and _last_evaluation_is_best(trainer, history):
        metrics = dict(history[-1])  # the kept model is the one just evaluated: no second pass
    elif has_eval:
        metrics = _strip(trainer.evaluate())
    else:
        metrics = {k: v for k, v in trainer.state.log_history[-1].items() if k == "train_loss"}
    return metrics, history


def gathered_state_dict(trainer: Trainer) -> dict[str, Any] | None:
    """Under FSDP or DeepSpeed ZeRO-3 each rank holds a shard of every weight, so saving ``model``
    from rank 0 alone would write a fraction of it. Gather as ``Trainer.save_model`` does: a
    collective, so every rank calls it. None when the model is not sharded."""
    if trainer.is_fsdp_enabled:
        return trainer.accelerator.get_state_dict(trainer.model)
    if trainer.is_deepspeed_enabled:
        try:
            return trainer.accelerator.get_state_dict(trainer.deepspeed)
        except ValueError as exc:  # ZeRO-3 without the 16-bit gather on save
            raise ConfigError(
                "DeepSpeed ZeRO-3 cannot gather the weights to save them; set zero3_save_16bit_model: true "
                f"under deepspeed_config in the accelerate config ({exc})"
            ) from exc
    return None


def _last_evaluation_is_best(trainer: Trainer, history: list[dict[str, float]]) -> bool:
    best, step = trainer.state.best_model_checkpoint, trainer.state.global_step
    return bool(history) and history[-1].get("step") == step and bool(best) and \
        Path(best).name == f"checkpoint-{step}" and trainer.last_outputs is not None


def _checkpoint_to_resume(checkpoints_dir: str, resume: bool) -> str | None:
    if not resume:
        return None
    last = get_last_checkpoint(checkpoints_dir) if Path(checkpoints_dir).is_dir() else None
    if last is None:
        logger.warning("--resume: no checkpoint in %s yet; training from the start", checkpoints_dir)
    else:
        logger.info("resuming from %s", last)
    return last


_SPEED_KEYS = ("_runtime", "_samples_per_second", "_steps_per_second", "_model_preparation_time")


def _strip(entry: dict[str, Any]) -> dict[str, float]:
    """``eval_pearson`` -> ``pearson``; speed counters dropped; epoch/step kept."""
    out: dict[str, float] = {}
    for key, value in entry.items():
        if key.endswith(_SPEED_KEYS) or not isinstance(value, (int, float, np.floating)):
            continue
        out[key.removeprefix("eval_")] = float(value)
    return out
