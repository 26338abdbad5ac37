"""`jbert pretrain CORPUS... --model DIR --output DIR`: parse -> config -> ``api.pretrain``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo
from jbert.config import build_config
from jbert.errors import ConfigError
from jbert.pretraining import PretrainConfig


@app.command()
@cli_errors
def pretrain(
    corpus: list[Path] = typer.Argument(..., help="Text files (one document a line, or blank-line separated) or JSONL (--field)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model directory with a masked-LM head: from `jbert model init` or an existing model."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Directory for the pre-trained model."),
    field: str | None = typer.Option(None, "--field", help="JSONL: the key that holds each document's text."),
    valid: str | None = typer.Option(None, "--valid", help="Held-out FILE, or the fraction of documents to hold out (default 0.01; 0: none)."),
    mlm_probability: float | None = typer.Option(None, "--mlm-probability", help="Share of tokens to predict (default 0.15)."),
    masking: str | None = typer.Option(None, "--masking", help="whole-word (default: all sub-tokens of a word together) | token."),
    eval_steps: int | None = typer.Option(None, "--eval-steps", help="Score the held-out set every N steps (default: every epoch)."),
    num_proc: int | None = typer.Option(None, "--num-proc", help="Processes for tokenizing the corpus."),
    config: Path | None = typer.Option(None, "--config", "-c", help="Recipe YAML, laid over configs/pretrain/mlm.yaml."),
    overrides: list[str] | None = typer.Option(None, "--set", help="Override any config key: --set training.warmup_ratio=0.1"),
    epochs: float | None = typer.Option(None, "--epochs", help="Training epochs."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many optimizer steps."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Per-device batch size (blocks)."),
    learning_rate: float | None = typer.Option(None, "--learning-rate", "--lr", help="Peak learning rate."),
    max_length: int | None = typer.Option(None, "--max-length", help="Tokens per packed block."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (masks, order, dropout)."),
    precision: str | None = typer.Option(None, "--precision", help="auto | fp32 | bf16 | fp16 (auto: bf16 on a GPU that has it)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in --output."),
    report_to: str | None = typer.Option(None, "--report-to", help="Experiment trackers: none (default), tensorboard, wandb, mlflow; comma-separated."),
) -> None:
    """Pre-train (or continue pre-training) a masked-LM model on your text: a normal model directory out."""
    flags: dict[str, Any] = {
        "corpus.files": [str(p) for p in corpus],
        "corpus.field": field,
        **_valid_flags(valid),
        "corpus.num_proc": num_proc,
        "mlm.probability": mlm_probability,
        "mlm.masking": masking,
        "model.name_or_path": model,
        "training.output_dir": str(output) if output else None,
        "training.eval_steps": eval_steps,
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
    cfg = build_config(config, flags=flags, overrides=overrides, cls=PretrainConfig)
    metrics = api.pretrain(cfg)
    if os.environ.get("RANK", "0") != "0":  # under accelerate launch only global rank 0 speaks
        return
    echo(f"pre-trained model written to {cfg.training.output_dir}")
    for key, value in metrics.items():
        if key not in ("epoch", "step"):
            echo(f"  {key:<20} {value:.4f}")


def _valid_flags(valid: str | None) -> dict[str, Any]:
    """--valid 0.05 holds out a fraction of the documents; anything else is a file."""
    if valid is None:
        return {}
    try:
        fraction = float(valid)
    except ValueError:
        return {"corpus.valid": valid}
    if not 0 <= fraction < 1:
        raise ConfigError(f"--valid: a fraction must be in [0, 1), got {valid}")
    return {"corpus.valid_fraction": fraction}
