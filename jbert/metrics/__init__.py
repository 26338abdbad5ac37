"""Metrics: a registry of ``(predictions, references) -> dict[str, float]`` functions.

``compute(spec.metrics, predictions, references)`` merges the outputs of the named metrics.
Registered names: ``accuracy``, ``macro_f1``, ``mcc``, ``pearson``, ``spearman``, ``squad_char``
(-> ``exact_match``, ``f1``; JGLUE's character-level JSQuAD formula) and ``seqeval``
(-> ``precision``, ``recall``, ``f1`` and per-type ``f1_<TYPE>`` ...), ``retrieval`` and ``reranking``
(-> ``ndcg@10``, ``mrr@10``, ``recall@1/10/100``, ``map``; trec_eval's formulas).

>>> compute(["accuracy"], ["a", "b"], ["a", "a"])
{'accuracy': 0.5}

May import: the shared leaves (``jbert.registry``, ``jbert.errors``) and ``jbert.config`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jbert.metrics import classification, entities, regression, retrieval, squad  # noqa: F401  (registration)
from jbert.metrics.base import METRICS, Metric
from jbert.metrics.classification import confusion_matrix


def compute(names: Sequence[str], predictions: Sequence[Any], references: Sequence[Any]) -> dict[str, float]:
    """Run every named metric on the same rows and merge their dicts (a later key wins)."""
    results: dict[str, float] = {}
    for name in names:
        results.update(METRICS.get(name)(predictions, references))
    return results


__all__ = ["METRICS", "Metric", "compute", "confusion_matrix"]
