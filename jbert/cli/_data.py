"""The data flags the commands that read data files share (finetune, data check, predict, eval, pretrain):
one definition of each, so a hint that names a flag names one every such command has."""

from __future__ import annotations

from typing import Any

import typer

READERS_HELP = "jsonl, csv, tsv, conll, squad, text"


def encoding_option() -> Any:
    return typer.Option(None, "--encoding", help="Text encoding of the data files (default: utf-8; cp932 or "
                                                 "shift_jis: Excel's Japanese CSV; euc_jp ...).")


def reader_option() -> Any:
    return typer.Option(None, "--reader", help=f"Input format ({READERS_HELP}) instead of the one the file's "
                                               "extension or the task names.")


def text_column_option() -> Any:
    return typer.Option(None, "--text-column", help="Column holding the text.")


def text_pair_column_option() -> Any:
    return typer.Option(None, "--text-pair-column", help="Column holding the second text.")


def label_column_option() -> Any:
    return typer.Option(None, "--label-column", help="Column holding the label.")


def id_column_option() -> Any:
    return typer.Option(None, "--id-column", help="Column holding the example id.")


def data_flags(*, reader: str | None, encoding: str | None, text_column: str | None, text_pair_column: str | None,
               label_column: str | None, id_column: str | None) -> dict[str, Any]:
    """The shared data flags as dotted config keys (None: not given)."""
    return {
        "task.reader": reader,
        "data.encoding": encoding,
        "task.columns.text": text_column,
        "task.columns.text_pair": text_pair_column,
        "task.columns.label": label_column,
        "task.columns.id": id_column,
    }
