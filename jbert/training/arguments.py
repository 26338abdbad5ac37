"""jbert's ``TrainingConfig`` -> ``transformers.TrainingArguments``: the one place the two meet.

Precision goes through ``jbert.config.precision`` (never bf16 on a CPU by itself), trackers through
``jbert.training.tracking``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import TrainingArguments

from jbert.config.precision import resolve_precision
from jbert.config.run import TrainingConfig
from jbert.writers.progress import show_progress

CHECKPOINTS = "checkpoints"  # under the output directory


def training_arguments(training: TrainingConfig, output_dir: Path, *, has_eval: bool,
                       primary_metric: str | None) -> TrainingArguments:
    """Map jbert's TrainingConfig onto TrainingArguments (names as in transformers 5)."""
    from jbert.training.tracking import report_to

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
        report_to=report_to(training.report_to),  # jbert.training.tracking: names checked, [] for "none"
        disable_tqdm=not show_progress(training.progress_bar),
    )
