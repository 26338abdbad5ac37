"""JSQuAD exact match and F1, CHARACTER-level, exactly as the JGLUE baselines computed them.

JGLUE patched ``transformers`` 4.9.2 ``data/metrics/squad_metrics.py``
(``fine-tuning/patch/transformers-4.9.2_jglue-1.1.0.patch`` in yahoojapan/JGLUE):

* ``normalize_answer``: lower case; punctuation is KEPT; the English-article removal step is
  replaced by ``rstrip("。")``; then whitespace runs collapse to one space (strip at both ends).
  The steps run in that order, so ``"答え。 "`` keeps its ``。`` (the space hides it from rstrip).
* ``compute_f1``: the "tokens" are the characters of the normalised strings (spaces included);
  if either side is empty the score is 1 when both are empty, else 0.
* ``compute_exact``: normalised strings equal.
* Per question, the maximum over the gold answers whose normalised text is not empty (``[""]`` if
  none is); the corpus score is the mean. jbert reports fractions (0.871), JGLUE percentages (87.1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from jbert.metrics.base import METRICS, check_lengths


def normalize_answer(text: str) -> str:
    """JGLUE's JSQuAD normalisation (see the module docstring)."""
    return " ".join(text.lower().rstrip("。").split())


def exact_score(gold: str, prediction: str) -> float:
    return float(normalize_answer(gold) == normalize_answer(prediction))


def char_f1_score(gold: str, prediction: str) -> float:
    gold_chars = list(normalize_answer(gold))
    pred_chars = list(normalize_answer(prediction))
    if not gold_chars or not pred_chars:
        return float(gold_chars == pred_chars)
    same = sum((Counter(gold_chars) & Counter(pred_chars)).values())
    if same == 0:
        return 0.0
    precision = same / len(pred_chars)
    recall = same / len(gold_chars)
    return 2 * precision * recall / (precision + recall)


@METRICS.register("squad_char")
def squad_char(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """``exact_match`` and ``f1``: one predicted answer string vs a list of gold strings per question."""
    check_lengths(predictions, references)
    if not references:
        return {"exact_match": 0.0, "f1": 0.0}
    em = f1 = 0.0
    for prediction, golds in zip(predictions, references, strict=True):
        if isinstance(golds, str):
            golds = [golds]
        golds = [g for g in golds if normalize_answer(g)] or [""]
        prediction = prediction or ""
        em += max(exact_score(g, prediction) for g in golds)
        f1 += max(char_f1_score(g, prediction) for g in golds)
    return {"exact_match": em / len(references), "f1": f1 / len(references)}
