"""`jbert distill [TASK] --teacher RUN --student-layers N | --student MODEL --train FILE --output DIR`:
parse -> config -> ``api.distill``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors
from jbert.cli._training import (
    default_texts,
    epochs_option,
    learning_rate_option,
    max_length_option,
    max_steps_option,
    print_summary,
    report_to_option,
    resume_option,
    seed_option,
    seeds_option,
    shard_option,
    sweep_if_asked,
    sweep_option,
    train_batch_size_option,
    train_precision_option,
    training_flags,
)
from jbert.config.run import build_config
from jbert.distillation import DistillConfig

_DEFAULTS = default_texts(DistillConfig(), per_task=True)


@app.command()
@cli_errors
def distill(
    task: str | None = typer.Argument(None, help="The task (as for finetune); default: the teacher's, from its jbert_config.yaml."),
    teacher: Path | None = typer.Option(None, "--teacher", help="A fine-tuned model directory (from `jbert finetune`)."),
    student: str | None = typer.Option(None, "--student", help="Start the student from this model directory (it must use the teacher's tokenizer)."),
    student_layers: int | None = typer.Option(None, "--student-layers", help="Or: a student of N layers, every k-th layer of the teacher (DistilBERT's start)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Directory for the distilled model."),
    train: Path | None = typer.Option(None, "--train", help="Training file (gold labels)."),
    unlabeled: list[Path] | None = typer.Option(None, "--unlabeled", metavar="FILE", help="Rows without labels, learnt from the teacher alone (repeatable; any reader, by extension)."),
    valid: Path | None = typer.Option(None, "--valid", help="Validation file (scored every epoch; picks the best checkpoint)."),
    alpha: float | None = typer.Option(None, "--alpha", help="Weight of the teacher's soft loss on labelled rows (default 0.5)."),
    temperature: float | None = typer.Option(None, "--temperature", help="Softmax temperature of the soft loss (default 2)."),
    hidden_weight: float | None = typer.Option(None, "--hidden-weight", help="Also match hidden states (MSE) with this weight (default 0: off)."),
    teacher_cache: Path | None = typer.Option(None, "--teacher-cache", help="Keep the teacher's outputs here for later runs (default: inside --output, removed at the end)."),
    config: Path | None = typer.Option(None, "--config", "-c", metavar="FILE", help="Recipe YAML, laid over the task's bundled recipe."),
    overrides: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override any config key: --set distill.top_k=10"),
    epochs: float | None = epochs_option(_DEFAULTS["epochs"]),
    max_steps: int | None = max_steps_option(),
    batch_size: int | None = train_batch_size_option(_DEFAULTS["batch_size"]),
    learning_rate: float | None = learning_rate_option(_DEFAULTS["learning_rate"]),
    max_length: int | None = max_length_option("the teacher's"),
    seed: int | None = seed_option(_DEFAULTS["seed"]),
    precision: str | None = train_precision_option(_DEFAULTS["precision"]),
    resume: bool = resume_option(),
    report_to: str | None = report_to_option(),
    sweep: list[str] | None = sweep_option(),
    seeds: int | None = seeds_option(),
    shard: str | None = shard_option(),
) -> None:
    """Distil a fine-tuned model into a smaller, faster one: a normal model directory out."""
    flags: dict[str, Any] = {
        "task.name": task,
        "model.name_or_path": student,
        "distill.teacher": teacher,
        "distill.student_layers": student_layers,
        "distill.unlabeled": [str(p) for p in unlabeled] if unlabeled else None,
        "distill.alpha": alpha,
        "distill.temperature": temperature,
        "distill.hidden_weight": hidden_weight,
        "distill.teacher_cache": teacher_cache,
        "training.output_dir": output,
        "data.train": train,
        "data.valid": valid,
        **training_flags(epochs=epochs, max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
                         max_length=max_length, seed=seed, precision=precision, resume=resume, report_to=report_to),
    }
    cfg = build_config(config, flags={k: str(v) if isinstance(v, Path) else v for k, v in flags.items()},
                       overrides=overrides, cls=DistillConfig)
    if sweep_if_asked(cfg, sweep, seeds, shard):  # e.g. --sweep distill.alpha=0.5,0.9 --sweep distill.temperature=1,2
        return
    metrics = api.distill(cfg)
    print_summary(f"distilled model written to {cfg.training.output_dir}", metrics)
