"""Prediction inputs: which reader reads a file, and what a bad row does.

The format comes from ``--input-format``, else the file's extension, else (``.json``, stdin) the
task spec's own reader, so JGLUE's ``*.json`` (JSON Lines) and JSQuAD's SQuAD JSON both work.
The registered readers (``jbert.readers``) yield a RowError in place of a row they cannot read:
``--on-error fail`` stops at the first, ``--on-error skip`` passes them on to the errors file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.readers import READERS, Item, ReadContext, _load_builtin_readers, raise_errors
from jbert.readers import read_items as read_items_of

# None: the task spec's own reader (JGLUE ships JSON Lines as *.json, JSQuAD SQuAD JSON as *.json).
EXTENSIONS: dict[str, str | None] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": None,
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "text",
    ".text": "text",
    ".conll": "conll",
    ".iob": "conll",
    ".iob2": "conll",
    ".bio": "conll",
}


def input_reader(path: str | Path, spec: TaskSpec, input_format: str | None = None) -> str:
    """The reader name for ``path``: ``--input-format``, else by extension, else the spec's reader."""
    if input_format:
        _load_builtin_readers()
        READERS.get(input_format)  # an unknown name is an error listing the readers
        return input_format
    return EXTENSIONS.get(Path(str(path)).suffix.lower()) or spec.reader


def read_items(path: str | Path, spec: TaskSpec, reader: str, skip_errors: bool, iob: str = "repair") -> Iterator[Item]:
    """Examples in file order; with ``skip_errors`` the rows that cannot be read come as RowErrors
    in their place, otherwise the first one raises (``--on-error fail``)."""
    items = read_items_of(path, spec, reader, ReadContext(iob=iob))
    return items if skip_errors else raise_errors(items)
