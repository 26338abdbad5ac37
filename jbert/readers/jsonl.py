"""JSON Lines: one JSON object a line (JGLUE's ``*.json`` files are JSON Lines).

Rows map to roles by the spec's columns (``jbert.readers._common.row_to_example``). NER rows are
``{"text": ..., "entities": [{"start", "end", "label"}]}`` (character offsets, end exclusive) or
pre-tokenized ``{"tokens": [...], "tags": ["B-LOC", ...]}``. Blank lines are skipped but still
counted, so ids and error lines match the file. ``-`` reads stdin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.readers import READERS
from jbert.readers._common import iter_lines, require_rows, row_to_example
from jbert.tasks import TaskSpec


@READERS.register("jsonl")
def read_jsonl(path: Path, spec: TaskSpec) -> Iterator[Example]:
    """Stream Examples from a JSON Lines file."""
    return require_rows(_rows(path, spec), path, "JSON lines")


def _rows(path: Path, spec: TaskSpec) -> Iterator[Example]:
    for line, raw in iter_lines(path):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            hint = "a whole-file JSON document needs another reader (SQuAD: --reader squad)"
            if line == 1 and raw.strip() in ("[", "{"):
                hint = "this looks like one JSON document, not JSON Lines; " + hint
            raise DataFormatError(path, line, f"invalid JSON ({exc.msg} at column {exc.colno})", hint) from None
        if not isinstance(row, dict):
            raise DataFormatError(path, line, f"expected a JSON object, got {type(row).__name__}", "write one {...} object a line")
        yield row_to_example(row, spec, path, line)
