"""Correlation metrics for JSTS: Pearson and Spearman, as GLUE's STS-B metric computes them (scipy)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from jbert.metrics.base import METRICS, check_lengths

logger = logging.getLogger(__name__)


@METRICS.register("pearson")
def pearson(predictions: Sequence[float], references: Sequence[float]) -> dict[str, float]:
    """Pearson's r between predicted and gold scores (``scipy.stats.pearsonr``)."""
    from scipy.stats import pearsonr

    return {"pearson": _correlation(pearsonr, predictions, references, "pearson")}


@METRICS.register("spearman")
def spearman(predictions: Sequence[float], references: Sequence[float]) -> dict[str, float]:
    """Spearman's rho between predicted and gold scores (``scipy.stats.spearmanr``)."""
    from scipy.stats import spearmanr

    return {"spearman": _correlation(spearmanr, predictions, references, "spearman")}


def _correlation(fn, predictions: Sequence[float], references: Sequence[float], name: str) -> float:  # noqa: ANN001
    check_lengths(predictions, references)
    preds = [float(p) for p in predictions]
    refs = [float(r) for r in references]
    # A constant side (e.g. an untrained model) makes the coefficient undefined: scipy gives NaN
    # with a warning. Report 0.0 (no correlation) so checkpoint selection and JSON stay sane.
    if len(preds) < 2 or len(set(preds)) < 2 or len(set(refs)) < 2:
        logger.warning("%s is undefined on constant or fewer than 2 values; reporting 0.0", name)
        return 0.0
    value = float(fn(preds, refs)[0])
    return 0.0 if math.isnan(value) else value
