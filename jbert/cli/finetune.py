"""`jbert finetune TASK --model NAME_OR_DIR --output DIR ...`: parse -> config -> ``api.finetune``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors
from jbert.cli._data import (
    data_flags,
    encoding_option,
    id_column_option,
    label_column_option,
    reader_option,
    text_column_option,
    text_pair_column_option,
)
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
from jbert.config.run import JbertConfig, build_config

_DEFAULTS = default_texts(JbertConfig(), per_task=True)
_TASK_HELP = (
    "A JGLUE task (marc_ja, jsts, jnli, jsquad, jcommonsenseqa, jcola), a generic task (classification, "
    "pair-classification, pair-regression, ner, qa, multiple-choice, reranker) or the path of a task spec YAML."
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
    overrides: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override any config key: --set training.warmup_ratio=0.06"),
    epochs: float | None = epochs_option(_DEFAULTS["epochs"]),
    max_steps: int | None = max_steps_option(),
    batch_size: int | None = train_batch_size_option(_DEFAULTS["batch_size"]),
    learning_rate: float | None = learning_rate_option(_DEFAULTS["learning_rate"]),
    max_length: int | None = max_length_option(_DEFAULTS["max_length"]),
    seed: int | None = seed_option(_DEFAULTS["seed"]),
    precision: str | None = train_precision_option(_DEFAULTS["precision"]),
    resume: bool = resume_option(),
    text_column: str | None = text_column_option(),
    text_pair_column: str | None = text_pair_column_option(),
    label_column: str | None = label_column_option(),
    id_column: str | None = id_column_option(),
    reader: str | None = reader_option(),
    encoding: str | None = encoding_option(),
    report_to: str | None = report_to_option(),
    sweep: list[str] | None = sweep_option(),
    seeds: int | None = seeds_option(),
    shard: str | None = shard_option(),
) -> None:
    """Fine-tune a model on a task and write a model directory that `jbert eval` / `jbert predict` use."""
    flags: dict[str, Any] = {
        "task.name": task,
        **data_flags(reader=reader, encoding=encoding, text_column=text_column, text_pair_column=text_pair_column,
                     label_column=label_column, id_column=id_column),
        "model.name_or_path": model,
        "training.output_dir": output,
        "data.train": train,
        "data.valid": valid,
        "data.jglue_dir": jglue_dir,
        **training_flags(epochs=epochs, max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
                         max_length=max_length, seed=seed, precision=precision, resume=resume, report_to=report_to),
    }
    # the task's bundled recipe is laid under this by the core (jbert.api), for Python callers too
    cfg = build_config(config, flags={k: _plain(v) for k, v in flags.items()}, overrides=overrides)
    if sweep_if_asked(cfg, sweep, seeds, shard):
        return
    metrics = api.finetune(cfg)
    print_summary(f"fine-tuned model written to {cfg.training.output_dir}", metrics)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value
