"""How closely an exported model's predictions agree with the original model's, per head.

Each comparison takes the two models' ``head.prediction_values`` for the same rows (original
first; the gold values, where the rows have them, only scale the regression tolerance) and returns figures, one of which, ``agreement`` (0..1), is what ``--min-agreement`` checks:

  classification, pair, choice   label agreement: share of rows with the same label
  span (QA)                      EM agreement: share of rows with exactly the same answer text
  token (NER)                    entity agreement: entity-level F1 of the export against the original
  pair-regression                max / mean |delta|; agreement: share of rows with |delta| <= tolerance,
                                 by default 1% of the score range (the gold scores' when the rows have
                                 them, JSTS: 0-5 -> 0.05; else the original predictions')
  reranker                       the same on its sigmoid scores (0..1): by default |delta| <= 0.01
  embedding                      per-row cosine of the export's vectors to the original's (a pair row:
                                 its lower text); agreement: the mean, with the lowest row recorded
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jbert.registry import Registry

Figures = dict[str, Any]
Compare = Callable[[Sequence[Any], Sequence[Any], float | None, Sequence[Any] | None], Figures]
AGREEMENT: Registry[Compare] = Registry("agreement measure")
TOLERANCE_SHARE = 0.01  # regression default tolerance: 1% of the score range


def _same(name: str) -> Compare:
    def compare(original: Sequence[Any], exported: Sequence[Any], tolerance: float | None = None,
                gold: Sequence[Any] | None = None) -> Figures:
        equal = sum(a == b for a, b in zip(original, exported, strict=True))
        return {"measure": name, "agreement": _share(equal, len(original)), "rows": len(original), "agreeing": equal}

    return compare


AGREEMENT.register("classification", "pair-classification", "choice")(_same("label agreement"))
AGREEMENT.register("span")(_same("EM agreement"))


@AGREEMENT.register("token")
def entity_agreement(original: Sequence[Any], exported: Sequence[Any], tolerance: float | None = None,
                     gold: Sequence[Any] | None = None) -> Figures:
    """Entity-level F1 (same start, end and type) of the export, the original's entities as gold."""
    common = gold = found = 0
    for a, b in zip(original, exported, strict=True):
        common += len(set(a) & set(b))
        gold += len(set(a))
        found += len(set(b))
    f1 = 1.0 if gold + found == 0 else 2 * common / (gold + found)
    return {"measure": "entity agreement", "agreement": f1, "rows": len(original),
            "entities_original": gold, "entities_export": found, "entities_common": common}


@AGREEMENT.register("pair-regression")
def score_agreement(original: Sequence[Any], exported: Sequence[Any], tolerance: float | None = None,
                    gold: Sequence[Any] | None = None) -> Figures:
    """Max and mean |delta|; rows within ``tolerance`` (default: 1% of the score range) agree."""
    deltas = [abs(float(a) - float(b)) for a, b in zip(original, exported, strict=True)]
    tol = tolerance if tolerance is not None else TOLERANCE_SHARE * _spread(gold, original)
    within = sum(d <= tol for d in deltas)
    return {"measure": "score agreement", "agreement": _share(within, len(deltas)), "rows": len(deltas),
            "agreeing": within, "tolerance": tol, "max_abs_diff": max(deltas, default=0.0),
            "mean_abs_diff": sum(deltas) / len(deltas) if deltas else 0.0}


@AGREEMENT.register("reranker")
def reranker_agreement(original: Sequence[Any], exported: Sequence[Any], tolerance: float | None = None,
                       gold: Sequence[Any] | None = None) -> Figures:
    """Score agreement on sigmoid scores; the gold values are relevance labels, not scores: unused."""
    return score_agreement(original, exported, TOLERANCE_SHARE if tolerance is None else tolerance, None)


@AGREEMENT.register("embedding")
def vector_agreement(original: Sequence[Any], exported: Sequence[Any], tolerance: float | None = None,
                     gold: Sequence[Any] | None = None) -> Figures:
    """Cosine of each row's exported vector(s) to the original's; a row of several texts counts its lowest."""
    import numpy as np

    cosines = []
    for a, b in zip(original, exported, strict=True):
        a, b = np.atleast_2d(np.asarray(a, dtype=np.float64)), np.atleast_2d(np.asarray(b, dtype=np.float64))
        norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
        cosines.append(float(((a * b).sum(axis=1) / norms).min()))
    mean = sum(cosines) / len(cosines) if cosines else 1.0
    return {"measure": "vector agreement", "agreement": mean, "rows": len(cosines),
            "mean_cosine": mean, "min_cosine": min(cosines, default=1.0)}


def describe(figures: Figures) -> str:
    """One line: ``label agreement 99.6% (1451/1457 rows)``, plus |delta| for scores."""
    if "mean_cosine" in figures:
        return (f"{figures['measure']}: mean cosine {figures['mean_cosine']:.5f} to the original vectors "
                f"(lowest row {figures['min_cosine']:.5f}, {figures['rows']} rows)")
    text = f"{figures['measure']} {100 * figures['agreement']:.2f}%"
    if "agreeing" in figures:
        text += f" ({figures['agreeing']}/{figures['rows']} rows"
        text += f" within {figures['tolerance']:.4g})" if "tolerance" in figures else ")"
    else:
        text += f" ({figures['entities_common']} of {figures['entities_original']} entities kept, "
        text += f"{figures['entities_export']} found, {figures['rows']} rows)"
    if "max_abs_diff" in figures:
        text += f", max |delta| {figures['max_abs_diff']:.4g}, mean |delta| {figures['mean_abs_diff']:.4g}"
    return text


def _spread(gold: Sequence[Any] | None, original: Sequence[Any]) -> float:
    """The range of the gold scores when the rows have them (the task's scale), else of the original's."""
    scores = [float(g) for g in gold or () if g is not None] or [float(o) for o in original]
    return max(scores) - min(scores) if scores else 0.0


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0
