"""Question answering in the report: exact match and F1 by gold answer length (JGLUE's character-level
metric, ``jbert.metrics``), and a sample of wrong answers shown in their context."""

from __future__ import annotations

import random
from typing import Any

from jbert.report import plots
from jbert.report.html import esc, image, section, table
from jbert.report.runs import RunData
from jbert.report.sections import ANALYSES

# (label, shortest, longest) in characters of the first gold answer
LENGTH_BUCKETS = (("1-2", 1, 2), ("3-5", 3, 5), ("6-10", 6, 10), ("11-20", 11, 20), ("21+", 21, 10**9))
SAMPLE = 10  # wrong answers shown
WINDOW = 80  # context characters shown either side of the gold answer


@ANALYSES.register("span")
def qa_html(run: RunData) -> str:
    return by_length_html(run) + wrong_answers_html(run)


def by_length_html(run: RunData) -> str:
    from jbert.metrics import compute

    rows, em, f1, groups = [], [], [], []
    for label, low, high in LENGTH_BUCKETS:
        index = [i for i, golds in enumerate(run.references) if low <= len(golds[0] if golds else "") <= high]
        if not index:
            continue
        scores = compute(["squad_char"], [run.predictions[i] for i in index], [run.references[i] for i in index])
        rows.append([label, len(index), scores["exact_match"], scores["f1"]])
        groups.append(label)
        em.append(scores["exact_match"])
        f1.append(scores["f1"])
    png = plots.grouped_bars(groups, {"exact match": em, "F1": f1}, "JSQuAD metrics by gold answer length")
    return section("Exact match and F1 by answer length (characters)", image(png, "EM and F1 by answer length"),
                   table(["answer length", "questions", "exact match", "f1"], rows), level=3)


def wrong_answers_html(run: RunData) -> str:
    from jbert.metrics.squad import exact_score

    wrong = [i for i, (pred, golds) in enumerate(zip(run.predictions, run.references, strict=True))
             if not any(exact_score(g, pred) for g in golds or [""])]
    shown = sorted(random.Random(0).sample(wrong, min(SAMPLE, len(wrong))))  # the same sample every time
    rows = [_wrong_row(run.examples[i], run.predictions[i]) for i in shown]
    text = f"<p>{len(wrong)} of {len(run.predictions)} answers are not an exact match; {len(shown)} shown.</p>"
    header = ["id", "question", "gold", "predicted", "context (gold answer marked)"]
    return section("A sample of wrong answers", text, table(header, rows, raw=True) if rows else "", level=3)


def _wrong_row(example: Any, predicted: str) -> list[str]:
    golds = " | ".join(dict.fromkeys(a.text for a in example.answers))  # JSQuAD repeats agreeing answers
    return [esc(example.id), esc(example.text), esc(golds), esc(predicted or "(empty)"), _context(example)]


def _context(example: Any) -> str:
    """The context around the first gold answer, the answer marked; escaped piece by piece."""
    context = example.text_pair or ""
    if not example.answers:
        return esc(context[: 2 * WINDOW])
    answer = example.answers[0]
    start, end = answer.start, answer.start + len(answer.text)
    left, right = max(0, start - WINDOW), min(len(context), end + WINDOW)
    return ("…" if left else "") + esc(context[left:start]) + f'<mark class="gold">{esc(context[start:end])}</mark>' \
        + esc(context[end:right]) + ("…" if right < len(context) else "")
