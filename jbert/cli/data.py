"""`jbert data check TASK --train FILE [--valid FILE] [--model DIR] [--json]`: parse -> config ->
``api.check_data``; the report on stdout, exit 1 when there are errors (finetune would stop)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo
from jbert.cli._data import (
    data_flags,
    encoding_option,
    id_column_option,
    label_column_option,
    reader_option,
    text_column_option,
    text_pair_column_option,
)
from jbert.cli.finetune import _TASK_HELP, _plain
from jbert.config.run import build_config
from jbert.datacheck import format_report

data_app = typer.Typer(help="Look at datasets before training.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("check")
@cli_errors
def check(
    task: str = typer.Argument(..., help=_TASK_HELP),
    train: Path | None = typer.Option(None, "--train", help="Training file."),
    valid: Path | None = typer.Option(None, "--valid", help="Validation file."),
    jglue_dir: Path | None = typer.Option(None, "--jglue-dir", help="JGLUE datasets folder (instead of --train/--valid)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Tokenizer/model directory: adds token lengths."),
    max_length: int | None = typer.Option(None, "--max-length", help="Maximum tokens per input (default: the recipe's)."),
    reader: str | None = reader_option(),
    encoding: str | None = encoding_option(),
    text_column: str | None = text_column_option(),
    text_pair_column: str | None = text_pair_column_option(),
    label_column: str | None = label_column_option(),
    id_column: str | None = id_column_option(),
    config: Path | None = typer.Option(None, "--config", "-c", help="Recipe YAML (laid over the task's bundled recipe)."),
    overrides: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override a config key: --set data.iob=strict"),
    as_json: bool = typer.Option(False, "--json", help="The whole report as JSON (every place of every problem)."),
    show: int = typer.Option(10, "--show", help="Places listed per kind of problem in the text report."),
) -> None:
    """Report every problem of a dataset at once (file:line), with statistics; exit 1 if training would stop."""
    flags: dict[str, Any] = {
        "task.name": task, "model.name_or_path": model, "data.train": train,
        **data_flags(reader=reader, encoding=encoding, text_column=text_column, text_pair_column=text_pair_column,
                     label_column=label_column, id_column=id_column),
        "data.valid": valid, "data.jglue_dir": jglue_dir, "encoding.max_length": max_length,
    }
    cfg = build_config(config, flags={k: _plain(v) for k, v in flags.items()}, overrides=overrides)
    report = api.check_data(cfg)
    echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else format_report(report, show))
    if report.errors:
        raise typer.Exit(code=1)
