"""NER: entity-level strict IOB2 precision / recall / F1 via the ``seqeval`` library.

Entities arrive as character spans ``(start, end, label)`` (or objects with those attributes)
per example. They are turned into character-level IOB2 tags, so a predicted entity counts only
when its type, start and end all match a gold one (seqeval ``mode="strict"``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from jbert.metrics.base import METRICS, check_lengths

logger = logging.getLogger(__name__)
Span = tuple[int, int, str]


def as_span(entity: Any) -> Span:
    """``(start, end, label)`` from a tuple/list, a dict or an ``Entity``-like object."""
    if isinstance(entity, dict):
        return int(entity["start"]), int(entity["end"]), str(entity["label"])
    if hasattr(entity, "start"):
        return int(entity.start), int(entity.end), str(entity.label)
    start, end, label = entity[:3]
    return int(start), int(end), str(label)


def spans_to_tags(spans: Iterable[Any], length: int) -> list[str]:
    """Character-level IOB2 tags of ``length`` characters. Empty or overlapping spans are dropped
    (with a debug log): IOB2 cannot express them, and keeping either half would invent an entity."""
    tags = ["O"] * length
    for start, end, label in sorted(map(as_span, spans), key=lambda s: (s[0], -s[1])):
        if end <= start or any(t != "O" for t in tags[start:end]):
            logger.debug("dropping empty or overlapping entity %s", (start, end, label))
            continue
        tags[start] = f"B-{label}"
        tags[start + 1 : end] = [f"I-{label}"] * (end - start - 1)
    return tags


@METRICS.register("seqeval")
def seqeval_scores(
    predictions: Sequence[Iterable[Any]], references: Sequence[Iterable[Any]]
) -> dict[str, float]:
    """``precision``, ``recall``, ``f1`` (micro over entities) and ``precision_<TYPE>`` ... per type."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    check_lengths(predictions, references)
    y_true, y_pred = [], []
    for pred, gold in zip(predictions, references, strict=True):
        pred, gold = [as_span(e) for e in pred], [as_span(e) for e in gold]
        length = max([e[1] for e in (*pred, *gold)], default=0)
        y_true.append(spans_to_tags(gold, length))
        y_pred.append(spans_to_tags(pred, length))
    report = classification_report(
        y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    micro = report.get("micro avg", {})
    out = {key: float(micro.get(name, 0.0)) for key, name in _FIELDS}
    for label, row in report.items():
        if label.endswith(" avg"):
            continue
        out.update({f"{key}_{label}": float(row[name]) for key, name in _FIELDS})
    return out


_FIELDS = (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"))
