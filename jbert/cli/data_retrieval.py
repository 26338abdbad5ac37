"""`jbert data retrieval-from-squad FILE --output DIR`: parse -> ``jbert.retrieval.convert``."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert.cli._app import cli_errors, echo
from jbert.cli.data import data_app


@data_app.command("retrieval-from-squad")
@cli_errors
def retrieval_from_squad(
    squad: Path = typer.Argument(..., help="A SQuAD / JSQuAD JSON file (JSQuAD's valid-v1.3.json, say)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv."),
    split: str = typer.Option("test", "--split", help="Name of the qrels file (BEIR: test, dev, train)."),
) -> None:
    """Make a retrieval set (BEIR layout) from a SQuAD-format file: each question -> its paragraph; the
    corpus is every distinct paragraph, with its title. `jbert eval retrieval --data DIR` scores it."""
    from jbert.retrieval.convert import squad_to_retrieval

    done = squad_to_retrieval(squad, output, split)
    echo(f"{done.queries} queries, {done.documents} documents, {done.judgements} judgements written to {done.output}")
