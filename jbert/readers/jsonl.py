"""JSON Lines: one JSON object a line (JGLUE's ``*.json`` files are JSON Lines).

Rows map to roles by the spec's columns (``jbert.readers._common.row_to_example``). NER rows are
``{"text": ..., "entities": [{"start", "end", "label"}]}`` (character offsets, end exclusive) or
pre-tokenized ``{"tokens": [...], "tags": ["B-LOC", ...]}``. Blank lines are skipped but still
counted, so ids and error lines match the file. ``-`` reads stdin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.data import Example
from jbert.readers import READERS
from jbert.readers._common import json_rows, require_rows, row_to_example
from jbert.tasks import TaskSpec


@READERS.register("jsonl")
def read_jsonl(path: Path, spec: TaskSpec) -> Iterator[Example]:
    """Stream Examples from a JSON Lines file."""
    return require_rows(_rows(path, spec), path, "JSON lines")


def _rows(path: Path, spec: TaskSpec) -> Iterator[Example]:
    for line, row in json_rows(path):
        yield row_to_example(row, spec, path, line)
