"""What every evaluation mode shares: the result record and turning values into metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.metrics import compute, confusion_matrix


@dataclass
class EvalResult:
    """Metrics of one task on one gold file (fractions, like the JGLUE table)."""

    task: str
    data: str
    examples: int
    metrics: dict[str, float]
    model: str | None = None
    predictions: str | None = None  # the prediction file scored, or the per-example file written
    confusion: dict[str, Any] | None = None  # {"labels": [...], "matrix": rows gold x columns predicted}
    truncated: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: v for k, v in d.items() if v is not None and v != {}}


def score_values(
    spec: TaskSpec, labels: Sequence[str] | None, predictions: list[Any], references: list[Any]
) -> tuple[dict[str, float], dict[str, Any] | None]:
    """The spec's metrics; for label tasks also macro-F1 and the confusion matrix."""
    predictions = align_types(predictions, references)
    metrics = compute(spec.metrics, predictions, references)
    if labels is None or not all(isinstance(r, str) for r in references):
        return metrics, None
    if "macro_f1" not in metrics:
        metrics.update(compute(["macro_f1"], predictions, references))
    return metrics, confusion_matrix(predictions, references, labels)


def align_types(predictions: list[Any], references: list[Any]) -> list[Any]:
    """A prediction ``1`` against the gold label ``"1"`` (or ``"2"`` against index 2) is the same
    answer written differently: cast scalars to the gold value's type where that is lossless."""
    out = []
    for p, r in zip(predictions, references, strict=True):
        if _scalar(p) and _scalar(r) and type(p) is not type(r):
            try:
                cast = type(r)(p)
                p = cast if str(cast) == str(p) or isinstance(r, float) else p
            except (TypeError, ValueError):
                pass
        out.append(p)
    return out


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def require_references(examples: Sequence[Example], references: Sequence[Any]) -> None:
    """Every gold row needs its gold value: a missing one would silently count as a wrong answer."""
    for example, ref in zip(examples, references, strict=True):
        if ref is None or ref == "":
            raise DataFormatError(
                example.source,
                example.line,
                "no gold value (label/answers) in this row",
                "every evaluation row needs a gold label",
            )


def jsonable(value: Any) -> Any:
    """Gold values for output rows: entities (dataclasses) as dicts, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: v for k, v in dataclasses.asdict(value).items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
