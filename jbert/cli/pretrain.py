"""`jbert pretrain CORPUS... --model DIR --output DIR`: parse -> config -> ``api.pretrain``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors
from jbert.cli._data import encoding_option
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
    train_batch_size_option,
    train_precision_option,
    training_flags,
)
from jbert.config.run import build_config, with_recipe
from jbert.errors import ConfigError
from jbert.pretraining import PretrainConfig
from jbert.pretraining.config import RECIPE

_DEFAULTS = default_texts(with_recipe(PretrainConfig(), RECIPE), per_task=False)  # configs/pretrain/mlm.yaml


@app.command()
@cli_errors
def pretrain(
    corpus: list[Path] = typer.Argument(..., metavar="CORPUS...", help="Text files (one document a line, or blank-line separated) or JSONL (--field)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model directory with a masked-LM head: from `jbert model init` or an existing model."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Directory for the pre-trained model."),
    field: str | None = typer.Option(None, "--field", help="JSONL: the key that holds each document's text."),
    valid: str | None = typer.Option(None, "--valid", help="Held-out FILE, or the fraction of documents to hold out (default 0.01; 0: none)."),
    mlm_probability: float | None = typer.Option(None, "--mlm-probability", help="Share of tokens to predict (default 0.15)."),
    masking: str | None = typer.Option(None, "--masking", help="whole-word (default: all sub-tokens of a word together) | token."),
    eval_steps: int | None = typer.Option(None, "--eval-steps", help="Score the held-out set every N steps (default: every epoch)."),
    num_proc: int | None = typer.Option(None, "--num-proc", help="Processes for tokenizing the corpus."),
    encoding: str | None = encoding_option(),
    config: Path | None = typer.Option(None, "--config", "-c", help="Recipe YAML, laid over configs/pretrain/mlm.yaml."),
    overrides: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override any config key: --set training.warmup_ratio=0.1"),
    epochs: float | None = epochs_option(_DEFAULTS["epochs"]),
    max_steps: int | None = max_steps_option(),
    batch_size: int | None = train_batch_size_option(_DEFAULTS["batch_size"], "Per-device batch size, in blocks"),
    learning_rate: float | None = learning_rate_option(_DEFAULTS["learning_rate"]),
    max_length: int | None = max_length_option(_DEFAULTS["max_length"], "Tokens per packed block"),
    seed: int | None = seed_option(_DEFAULTS["seed"], "Random seed (masks, order, dropout)"),
    precision: str | None = train_precision_option(_DEFAULTS["precision"]),
    resume: bool = resume_option(),
    report_to: str | None = report_to_option(),
) -> None:
    """Pre-train (or continue pre-training) a masked-LM model on your text: a normal model directory out."""
    flags: dict[str, Any] = {
        "corpus.files": [str(p) for p in corpus],
        "corpus.field": field,
        **_valid_flags(valid),
        "corpus.num_proc": num_proc,
        "corpus.encoding": encoding,
        "mlm.probability": mlm_probability,
        "mlm.masking": masking,
        "model.name_or_path": model,
        "training.output_dir": str(output) if output else None,
        "training.eval_steps": eval_steps,
        **training_flags(epochs=epochs, max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
                         max_length=max_length, seed=seed, precision=precision, resume=resume, report_to=report_to),
    }
    cfg = build_config(config, flags=flags, overrides=overrides, cls=PretrainConfig)
    metrics = api.pretrain(cfg)
    print_summary(f"pre-trained model written to {cfg.training.output_dir}", metrics)


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
