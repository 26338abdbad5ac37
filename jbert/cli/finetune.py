"""`jbert finetune TASK --model NAME_OR_DIR --output DIR ...`: parse -> config -> ``api.finetune``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo
from jbert.config import JbertConfig, build_config
from jbert.sweep import SweepConfig, sweep_markdown

_TASK_HELP = (
    "A JGLUE task (marc_ja, jsts, jnli, jsquad, jcommonsenseqa, jcola), a generic task (classification, "
    "pair-classification, pair-regression, ner, qa, multiple-choice) or the path of a task spec YAML."
)


@app.command()
@cli_errors
def finetune(
    task: str = typer.Argument(..., help=_TASK_HELP),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name or directory to start from."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Directory for the fine-tuned model."),
    train: Path | None = typer.Option(None, "--train", help="Training file."),
    valid: Path | None = typer.Option(None, "--valid", help="Validation file (scored every epoch)."),
    jglue_dir: Path | None = typer.Option(None, "--jglue-dir", help="JGLUE datasets folder (instead of --train/--valid)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Recipe YAML, laid over the task's bundled recipe."),
    overrides: list[str] | None = typer.Option(None, "--set", help="Override any config key: --set training.warmup_ratio=0.06"),
    epochs: float | None = typer.Option(None, "--epochs", help="Training epochs."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Per-device batch size."),
    learning_rate: float | None = typer.Option(None, "--learning-rate", "--lr", help="Peak learning rate."),
    max_length: int | None = typer.Option(None, "--max-length", help="Maximum tokens per input."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    precision: str | None = typer.Option(None, "--precision", help="auto | fp32 | bf16 | fp16 (auto: bf16 on a GPU that has it)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in --output."),
    text_column: str | None = typer.Option(None, "--text-column", help="Column holding the text."),
    text_pair_column: str | None = typer.Option(None, "--text-pair-column", help="Column holding the second text."),
    label_column: str | None = typer.Option(None, "--label-column", help="Column holding the label."),
    id_column: str | None = typer.Option(None, "--id-column", help="Column holding the example id."),
    reader: str | None = typer.Option(None, "--reader", help="Input format instead of the task's (jsonl, csv, tsv, conll, squad, text)."),
    report_to: str | None = typer.Option(None, "--report-to", help="Experiment trackers: none (default), tensorboard, wandb, mlflow; comma-separated."),
    sweep: list[str] | None = typer.Option(None, "--sweep", help="Grid axis key=v1,v2,... (repeatable): runs every combination under OUTPUT/runs, links the best as OUTPUT/best."),
    seeds: int | None = typer.Option(None, "--seeds", help="With --sweep: seeds per configuration (training.seed, +1, ...); selects by the mean."),
    shard: str | None = typer.Option(None, "--shard", help="With --sweep: run only shard i/n of the runs (one per process or GPU); rerun without it to select."),
) -> None:
    """Fine-tune a model on a task and write a model directory that `jbert eval` / `jbert predict` use."""
    flags: dict[str, Any] = {
        "task.name": task,
        "task.columns.text": text_column,
        "task.columns.text_pair": text_pair_column,
        "task.columns.label": label_column,
        "task.columns.id": id_column,
        "task.reader": reader,
        "model.name_or_path": model,
        "training.output_dir": output,
        "data.train": train,
        "data.valid": valid,
        "data.jglue_dir": jglue_dir,
        "training.epochs": epochs,
        "training.max_steps": max_steps,
        "training.batch_size": batch_size,
        "training.learning_rate": learning_rate,
        "encoding.max_length": max_length,
        "training.seed": seed,
        "training.precision": precision,
        "training.resume": resume or None,
        "training.report_to": report_to,
    }
    # the task's bundled recipe is laid under this by the core (jbert.api), for Python callers too
    cfg = build_config(config, flags={k: _plain(v) for k, v in flags.items()}, overrides=overrides)
    if sweep or seeds or shard:
        _sweep_summary(api.sweep(SweepConfig(base=cfg, axes=sweep or [], seeds=seeds or 1, shard=shard,
                                             progress=lambda line: echo(line, err=True))))
        return
    metrics = api.finetune(cfg)
    _summary(cfg, metrics)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def _summary(cfg: JbertConfig, metrics: dict[str, float]) -> None:
    # Under `accelerate launch` every process returns here; only global rank 0 (RANK, set by the
    # launcher) speaks, as only it wrote the directory.
    if os.environ.get("RANK", "0") != "0":
        return
    echo(f"fine-tuned model written to {cfg.training.output_dir}")
    for key, value in metrics.items():
        if key not in ("epoch", "step"):
            echo(f"  {key:<20} {value:.4f}")


def _sweep_summary(record: dict) -> None:
    if os.environ.get("RANK", "0") != "0":
        return
    if "shard" in record:
        echo(f"shard {record['shard']} done ({record['runs']} runs in the grid); rerun without --shard to select")
        return
    echo(sweep_markdown(record))
    echo(f"best: {record['selected']['best_run']} (linked as best/)")
