"""Helpers the text-pair checks share (embedding and reranker): the column a text came from, repeated
pairs, texts of the validation file already in the training file, and count summaries."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.datacheck.report import DataReport


def column_name(spec: TaskSpec, example: Example, role: str) -> str:
    """The column ``role`` was read from in this row: a role mapped to alternatives (the embedding
    task's ``text: [anchor, sentence1, text]``) names the one the row has, as the reader picked it."""
    column = spec.column(role, role)
    if isinstance(column, (list, tuple)):
        column = next((c for c in column if c in example.fields), role)
    return str(column)


def repeated(report: DataReport, examples: Sequence[Example], key: Callable[[Example], Hashable],
             label: Callable[[Example], Any]) -> None:
    """Each row whose ``key`` an earlier row has: ``conflicting_labels`` when its ``label`` differs
    from the first one's, else ``duplicate_pair``."""
    first: dict[Hashable, Example] = {}
    for example in examples:
        earlier = first.setdefault(key(example), example)
        if earlier is example:
            continue
        if label(example) != label(earlier):
            report.add("conflicting_labels", example.source, example.line,
                       f"label {example.label!r}, but {earlier.label!r} at line {earlier.line}")
        else:
            report.add("duplicate_pair", example.source, example.line, f"same pair as line {earlier.line}")


def first_lines(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """text -> the first line it occurs on."""
    out: dict[str, int] = {}
    for text, line in items:
        out.setdefault(text, line)
    return out


def spread(counts: Sequence[int]) -> dict[str, float]:
    """min / mean / max of per-query (or per-anchor) counts."""
    if not counts:
        return {}
    return {"min": min(counts), "mean": round(statistics.fmean(counts), 2), "max": max(counts)}
