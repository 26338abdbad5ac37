"""Prediction inputs: which reader reads a file, and what a bad row does.

The format comes from ``--input-format``, else the file's extension, else (``.json``) the task
spec's own reader, so JGLUE's ``*.json`` (JSON Lines) and JSQuAD's SQuAD JSON both work; stdin
reads one text a line for a task that takes one text, else the spec's format.
The registered readers (``jbert.readers``) yield a RowError in place of a row they cannot read:
``--on-error fail`` stops at the first, ``--on-error skip`` passes them on to the errors file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.readers import READERS, Item, ReadContext, _load_builtin_readers, raise_errors
from jbert.readers import read_items as read_items_of
from jbert.readers.files import (  # noqa: F401 (EXTENSIONS: re-exported)
    DEFAULT_ENCODING,
    EXTENSIONS,
    is_stdin,
    open_binary,
    reader_for,
)


def input_reader(path: str | Path, spec: TaskSpec, input_format: str | None = None, unlabeled: bool = False) -> str:
    """The reader name for ``path``: ``--input-format``, else by extension (unless the spec fixes its
    reader), else the spec's reader; ``unlabeled`` (predict, distill's ``--unlabeled``): stdin and ``.txt`` are text lines for a one-text task."""
    if input_format:
        _load_builtin_readers()
        READERS.get(input_format)  # an unknown name is an error listing the readers
        return input_format
    return reader_for(path, spec, unlabeled=unlabeled)


def count_rows(path: str | Path, reader: str) -> int | None:
    """The rows ``path`` will give, for the progress bar's total and ETA, where one pass over its bytes
    tells (JSON Lines: non-blank lines; text: every line); None for stdin and other formats."""
    if is_stdin(path) or reader not in ("jsonl", "text"):
        return None
    stream = open_binary(Path(path))
    try:
        return sum(1 for raw in stream if reader == "text" or raw.strip())
    finally:
        stream.close()


def read_items(path: str | Path, spec: TaskSpec, reader: str, skip_errors: bool, iob: str = "repair",
               encoding: str = DEFAULT_ENCODING) -> Iterator[Item]:
    """Examples in file order; with ``skip_errors`` the rows that cannot be read come as RowErrors
    in their place, otherwise the first one raises (``--on-error fail``)."""
    items = read_items_of(path, spec, reader, ReadContext(iob=iob, encoding=encoding))
    return items if skip_errors else raise_errors(items)
