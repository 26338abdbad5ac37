"""JSON Lines: one JSON object a line (JGLUE's ``*.json`` files are JSON Lines).

Rows map to roles by the spec's columns (``jbert.readers._common.row_to_example``). NER rows are
``{"text": ..., "entities": [{"start", "end", "label"}]}`` (character offsets, end exclusive) or
pre-tokenized ``{"tokens": [...], "tags": ["B-LOC", ...]}``. Blank lines are skipped but still
counted, so ids and error lines match the file. ``-`` reads stdin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.data import RowError
from jbert.readers import READERS
from jbert.readers._common import Item, json_objects, require_rows, row_item
from jbert.readers.iob import ReadContext


@READERS.register("jsonl")
def read_jsonl(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Stream Examples (RowErrors for bad lines) from a JSON Lines file."""
    return require_rows(_rows(path, spec, context), path, "JSON lines")


def _rows(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    for line, row in json_objects(path, context.encoding):
        yield RowError.from_error(row) if not isinstance(row, dict) else row_item(row, spec, path, line, context)
