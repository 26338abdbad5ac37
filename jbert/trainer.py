"""Fit any head's model: ``transformers.Trainer`` (on accelerate) with jbert's defaults.

The loop of jbert's one training core (``jbert.training``); it knows nothing about tasks or heads:
it gets features (a list, or a memory-mapped ``datasets.Dataset``), a collator (a head's, or the
masked-LM one) and a metrics function ``outputs -> dict[str, float]`` (the caller's closure over
head.decode and the metrics). Fine-tuning and pre-training both call ``fit``.

What it adds to the Trainer: length-grouped batches from precomputed lengths that replay
exactly on resume, evaluation in ``torch.inference_mode`` that always stays in dataset order,
metrics even when the eval features carry no labels, a JSONL training log, and precision
resolution (jbert.precision) that never picks bf16 on a CPU by itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import EarlyStoppingCallback, PrinterCallback, Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_pt_utils import LengthGroupedSampler
from transformers.trainer_utils import get_last_checkpoint

from jbert.config import TrainingConfig
from jbert.cpu_ops import use_fast_dropout
from jbert.errors import ConfigError
from jbert.modeling import quiet_weight_saving
from jbert.precision import resolve_precision

logger = logging.getLogger(__name__)

MetricsFn = Callable[[Any], dict[str, float]]  # model outputs (np arrays, -100 padded) -> metrics
CHECKPOINTS = "checkpoints"
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


class EpochLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped order drawn from ``seed + epoch``, so a resumed run replays the same batches."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):  # type: ignore[override]
        self.generator.manual_seed(self.seed + self.epoch)
        return super().__iter__()


class EpochRandomSampler(torch.utils.data.Sampler):
    """A shuffle drawn from ``seed + epoch`` (not from the global RNG), so a resumed run replays it."""

    def __init__(self, size: int, seed: int):
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self):  # type: ignore[override]
        return iter(torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist())


class _JbertTrainer(Trainer):
    def __init__(self, *args: Any, train_lengths: list[int] | None = None,
                 eval_order: np.ndarray | None = None, **kwargs: Any):
        metrics_fn = kwargs.pop("compute_metrics", None)
        # The eval dataset is length-sorted: un-sort outputs before metrics see them.
        kwargs["compute_metrics"] = (lambda p: metrics_fn(_Outputs(self._unsort(p.predictions)))) \
            if metrics_fn else None
        super().__init__(*args, **kwargs)
        self.train_lengths = train_lengths
        self.eval_order = eval_order
        self.last_outputs: Any = None

    def _unsort(self, outputs: Any) -> Any:
        """Outputs of the length-sorted eval set -> feature order (row k belongs to feature order[k])."""
        if self.eval_order is None or outputs is None:
            return outputs
        if isinstance(outputs, (tuple, list)):
            return type(outputs)(self._unsort(o) for o in outputs)
        restored = np.empty_like(outputs)
        restored[self.eval_order] = outputs
        return restored

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        if self.train_lengths is None:
            return EpochRandomSampler(len(self.train_dataset if train_dataset is None else train_dataset), self.args.seed)
        batch = self.args.train_batch_size * self.args.gradient_accumulation_steps
        return EpochLengthGroupedSampler(batch, self.train_lengths, self.args.seed)

    def evaluation_loop(self, dataloader: Any, description: str, prediction_loss_only: bool | None = None,
                        ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval") -> Any:
        with torch.inference_mode():
            out = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys,
                                          metric_key_prefix)
        self.last_outputs = self._unsort(out.predictions)
        # The Trainer only calls compute_metrics when the features carry labels; ours may not (QA windows).
        if self.compute_metrics is not None and out.label_ids is None and out.predictions is not None:
            task = self.compute_metrics(_Outputs(out.predictions))
            out.metrics.update({f"{metric_key_prefix}_{k}": float(v) for k, v in task.items()})
        best = self.args.metric_for_best_model
        if best and metric_key_prefix == "eval" and f"eval_{best}" not in out.metrics:
            names = ", ".join(sorted(k.removeprefix("eval_") for k in out.metrics))
            raise ConfigError(f"primary metric {best!r} is not among the metrics computed ({names})")
        return out


@dataclass
class _Outputs:
    predictions: Any


def training_arguments(training: TrainingConfig, output_dir: Path, *, has_eval: bool,
                       primary_metric: str | None) -> TrainingArguments:
    """Map jbert's TrainingConfig onto TrainingArguments (names as in transformers 5)."""
    from jbert.tracking import report_to

    precision = resolve_precision(training.precision)
    # every N steps (pre-training: one epoch of a big corpus is too long to wait for) or every epoch;
    # checkpoints follow evaluations, so the best one can be kept
    every = {"strategy": "steps", "steps": training.eval_steps} if training.eval_steps else {"strategy": "epoch"}
    return TrainingArguments(
        output_dir=str(output_dir / CHECKPOINTS),
        num_train_epochs=training.epochs,
        max_steps=training.max_steps,
        per_device_train_batch_size=training.batch_size,
        per_device_eval_batch_size=training.eval_batch_size or training.batch_size,
        learning_rate=training.learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=training.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        weight_decay=training.weight_decay,
        gradient_accumulation_steps=training.gradient_accumulation_steps,
        max_grad_norm=training.max_grad_norm,
        seed=training.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        eval_strategy=every["strategy"] if has_eval else "no",
        eval_steps=every.get("steps"),
        save_strategy=every["strategy"],
        save_steps=every.get("steps", 500),
        save_total_limit=training.save_total_limit,
        load_best_model_at_end=has_eval,
        metric_for_best_model=(primary_metric or "loss") if has_eval else None,
        logging_strategy="steps",
        logging_steps=training.logging_steps,
        dataloader_num_workers=training.num_workers,
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=not torch.cuda.is_available(),  # else CPU ranks under `accelerate launch` never join up
        remove_unused_columns=False,  # the collator drops metadata keys itself
        report_to=report_to(training.report_to),  # jbert.tracking: names checked, [] for "none"
        disable_tqdm=not training.progress_bar,
    )


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
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    has_eval = valid_features is not None and len(valid_features) > 0
    args = args or training_arguments(training, output_dir, has_eval=has_eval, primary_metric=primary_metric)
    # BERT-style heads return a per-batch MEAN loss and ignore num_items_in_batch; a model that says it
    # accepts loss kwargs gets its loss multiplied by the process count and not divided by the
    # gradient-accumulation steps (transformers 5 Trainer.compute_loss / training_step).
    model.accepts_loss_kwargs = False
    if args.device.type == "cuda" and hasattr(collator, "pad_to_multiple_of"):
        collator.pad_to_multiple_of = 8  # tensor-core friendly shapes
    if args.device.type == "cpu" and training.cpu_fast_dropout:
        use_fast_dropout(model)
    extra: list[TrainerCallback] = [JsonlLogCallback(output_dir / TRAIN_LOG), *callbacks]
    if has_eval and training.early_stopping_patience:
        extra.append(EarlyStoppingCallback(early_stopping_patience=training.early_stopping_patience))
    # Evaluation runs length-sorted (less padding per batch) and outputs are put back in feature
    # order before anyone sees them, so decode and the predictions file keep the input order.
    order = np.argsort([_length(f) for f in valid_features], kind="stable") if has_eval and not fixed_length else None
    trainer = _JbertTrainer(
        model=model,
        args=args,
        data_collator=collator,
        train_dataset=train_features,
        eval_dataset=(valid_features if order is None else [valid_features[i] for i in order]) if has_eval else None,
        compute_metrics=(lambda p: metrics_fn(p.predictions)) if metrics_fn and has_eval else None,
        callbacks=extra,
        preprocess_logits_for_metrics=preprocess_logits,
        train_lengths=[_length(f) for f in train_features] if training.group_by_length and not fixed_length else None,
        eval_order=order,
    )
    if not training.progress_bar:
        trainer.remove_callback(PrinterCallback)  # logs still reach train_log.jsonl
    with quiet_weight_saving():
        trainer.train(resume_from_checkpoint=_checkpoint_to_resume(args.output_dir, training.resume))
        history = [_strip(e) for e in trainer.state.log_history if any(k.startswith("eval_") for k in e)]
        if has_eval and _last_evaluation_is_best(trainer, history):
            metrics = dict(history[-1])  # the kept model is the one just evaluated: no second pass
        elif has_eval:
            metrics = _strip(trainer.evaluate())
        else:
            metrics = {k: v for k, v in trainer.state.log_history[-1].items() if k == "train_loss"}
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


def _length(feature: dict) -> int:
    """Tokens in a feature; for multiple choice (``[num_choices, seq]``) the longest choice."""
    ids = feature["input_ids"]
    if len(ids) and isinstance(ids[0], (list, tuple, np.ndarray)):
        return max(len(row) for row in ids)
    return len(ids)


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
