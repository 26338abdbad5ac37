"""Label metrics: accuracy (MARC-ja, JNLI, JCommonsenseQA), macro-F1, Matthews (JCoLA)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jbert.metrics.base import METRICS, check_lengths


@METRICS.register("accuracy")
def accuracy(predictions: Sequence[Any], references: Sequence[Any]) -> dict[str, float]:
    """Fraction of rows whose predicted label equals the gold label (0.0 on no rows)."""
    check_lengths(predictions, references)
    if not references:
        return {"accuracy": 0.0}
    correct = sum(p == r for p, r in zip(predictions, references, strict=True))
    return {"accuracy": correct / len(references)}


@METRICS.register("macro_f1")
def macro_f1(predictions: Sequence[Any], references: Sequence[Any]) -> dict[str, float]:
    """Unweighted mean of per-label F1 over every label seen on either side (sklearn's macro)."""
    from sklearn.metrics import f1_score

    check_lengths(predictions, references)
    if not references:
        return {"macro_f1": 0.0}
    preds, refs = _as_str(predictions), _as_str(references)
    return {"macro_f1": float(f1_score(refs, preds, average="macro", zero_division=0))}


@METRICS.register("mcc")
def mcc(predictions: Sequence[Any], references: Sequence[Any]) -> dict[str, float]:
    """Matthews correlation coefficient (JCoLA's metric); 0.0 when undefined (one class only)."""
    from sklearn.metrics import matthews_corrcoef

    check_lengths(predictions, references)
    if not references:
        return {"mcc": 0.0}
    return {"mcc": float(matthews_corrcoef(_as_str(references), _as_str(predictions)))}


def confusion_matrix(
    predictions: Sequence[Any], references: Sequence[Any], labels: Sequence[Any] | None = None
) -> dict[str, Any]:
    """``{"labels": [...], "matrix": rows = gold label, columns = predicted label}`` (JSON-ready).

    Labels seen in the data but missing from ``labels`` are appended (sorted) so no row is lost.
    """
    check_lengths(predictions, references)
    order = [str(x) for x in labels] if labels is not None else []
    seen = set(order)
    order += sorted({str(x) for x in (*references, *predictions)} - seen)
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for p, r in zip(predictions, references, strict=True):
        matrix[index[str(r)]][index[str(p)]] += 1
    return {"labels": order, "matrix": matrix}


def _as_str(values: Sequence[Any]) -> list[str]:
    # sklearn refuses a mix of int and str labels; comparing as strings keeps 2 == "2".
    return [str(v) for v in values]
