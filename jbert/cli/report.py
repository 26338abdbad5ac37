"""`jbert report RUN_DIR... --output report.html`: parse -> ``ReportConfig`` -> ``api.report``."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo
from jbert.report import ReportConfig


@app.command()
@cli_errors
def report(
    run_dirs: list[Path] = typer.Argument(
        ..., metavar="RUN...", help="Fine-tuned model dirs, sweep outputs, folders holding them (as for `jbert eval jglue`), "
        "or a `jbert eval jglue --output` / `jbert eval retrieval --output` JSON file."
    ),
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="The HTML file to write."),
    title: str | None = typer.Option(None, "--title", help="Page title (default: from the runs)."),
) -> None:
    """Write one self-contained HTML report (plots embedded, works offline): learning curves, confusion
    matrix / scatter / per-type scores / QA / ranking analysis, configuration, the JGLUE table for JGLUE
    runs, and retrieval metrics with the worst failed queries for a retrieval evaluation."""
    path = api.report(ReportConfig(run_dirs=[str(p) for p in run_dirs], output=str(output), title=title))
    echo(f"report written to {path}")
