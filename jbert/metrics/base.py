"""The metric registry. A metric is ``(predictions, references) -> dict[str, float]``.

Values are fractions (accuracy 0.9, not 90.0) like the JGLUE table; correlations may be negative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jbert.registry import Registry

Metric = Callable[[Sequence[Any], Sequence[Any]], dict[str, float]]
METRICS: Registry[Metric] = Registry("metric")


def check_lengths(predictions: Sequence[Any], references: Sequence[Any]) -> None:
    """Metrics compare row by row: a length mismatch is a pipeline bug, never a user error."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
