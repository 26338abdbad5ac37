"""``jbert data check embedding``: what the embedding head adds to the generic check.

* every row of a file in one layout (the layout chooses the loss: ``jbert.heads.embedding_rows``);
  a row of another layout is an error at its line, as ``jbert finetune`` would stop on it;
* the validation file scored pairs (finetune scores each epoch by Spearman of cosine on it);
* empty hard negatives; repeated pairs (a scored pair again with another score: ``conflicting_labels``);
* for in-batch negatives (MNRL): a positive equal to its anchor, a hard negative equal to its own
  anchor or positive, and positives shared by several anchors (duplicate-free batches keep those rows
  apart, so they are no false negatives; the count says how much they constrain the batches);
* validation sentences already in the training file, where the pair itself is not;
* statistics: rows per loss, and for anchor/positive pairs positives per anchor and shared positives.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.datacheck.hooks import HEAD_CHECKS, HeadCheck, accepted
from jbert.datacheck.pairs import column_name, first_lines, repeated, spread
from jbert.datacheck.report import DataReport
from jbert.errors import DataFormatError
from jbert.heads import Head, get_head
from jbert.heads import embedding_rows as rows


@HEAD_CHECKS.register("embedding")
class EmbeddingCheck(HeadCheck):
    def rows(self, report: DataReport, spec: TaskSpec, examples: list[Example]) -> list[Example]:
        """The rows in the layout of the file's first good row (finetune's rule: that row decides)."""
        negatives = get_head(spec.head)(spec).negative_columns
        kept: list[Example] = []
        for example in examples:
            try:
                rows.layout([example], negatives)  # the row alone: its negative columns are texts
            except DataFormatError as exc:
                report.add(exc.kind, exc.path, exc.line, exc.reason)
                continue
            try:
                rows.layout([kept[0], example] if kept else [example], negatives)
                kept.append(example)
            except DataFormatError as exc:
                report.add("layout", exc.path, exc.line, exc.reason)
        return kept

    def validate(self, report: DataReport, head: Head, split: str, examples: Sequence[Example]) -> list[Example]:
        if split == "valid":  # what finetune scores each epoch on: scored pairs
            return accepted(report, examples, lambda e: head.reference_values([e]), "invalid", with_fix=True)
        if rows.layout(examples, _negatives(head)) == "scored":  # alone, a row scored 3 would read as a class
            return accepted(report, examples, lambda e: rows.scores([e], "a scored pair"), with_fix=True)
        return super().validate(report, head, split, examples)

    def key(self, example: Example) -> tuple[Any, ...]:
        """Cosine similarity is symmetric: a pair and its swap are the same input."""
        return tuple(sorted(t for t in (example.text, example.text_pair) if t is not None))

    def token_lengths(self, head: Head, examples: Sequence[Example], tokenizer: Any) -> np.ndarray:
        """Each text is encoded alone: a row's length is its longest text's (prefix included)."""
        columns = head.texts(examples)  # type: ignore[attr-defined]
        return np.max([[len(ids) for ids in tokenizer(texts, truncation=False)["input_ids"]] for texts in columns],
                      axis=0)

    def check(self, report: DataReport, head: Head, splits: dict[str, list[Example]]) -> None:
        for split, examples in splits.items():
            layout = rows.layout(examples, _negatives(head))
            _empty_negatives(report, head, examples)
            # a scored pair is symmetric (cosine); anchor -> positive and a classified pair (u, v, |u-v|) are not
            key = self.key if layout == "scored" else (lambda e: (e.text, e.text_pair))
            repeated(report, examples, key, _label(layout))
            if split == "train" and head.loss_name and examples:
                statistics = report.splits[split].setdefault("statistics", {})
                statistics["loss"] = {head.loss_name: len(examples)}
                kind = rows.LOSSES.get(head.loss_name)
                if layout == "pairs" and kind.targets is None and kind.texts == "rows":  # in-batch negatives
                    statistics.update(_in_batch(report, head, examples))
        if "valid" in splits:
            self._sentence_overlap(report, head, splits["train"], splits["valid"])

    def _sentence_overlap(self, report: DataReport, head: Head, train: Sequence[Example],
                          valid: Sequence[Example]) -> None:
        """Validation sentences a training row holds (any column), where the whole pair is not in training
        (that is an ``overlap``)."""
        pairs = {self.key(e) for e in train}
        seen = first_lines((text, e.line) for e in train for text in _texts(e, _negatives(head)) if text.strip())
        for example in valid:
            if self.key(example) in pairs:
                continue
            for role, text in (("text", example.text), ("text_pair", example.text_pair)):
                if text is not None and text in seen:
                    report.add("query_overlap", example.source, example.line,
                               f"{column_name(head.spec, example, role)} is also in train line {seen[text]}")
                    break


def _negatives(head: Head) -> list[str] | None:
    return getattr(head, "negative_columns", None)


def _label(layout: str) -> Any:
    """What makes two rows' labels the same: the number of a score, the text of a class."""
    if layout == "scored":
        return lambda e: rows.number(e.label)
    return lambda e: str(e.label) if layout == "classes" else None


def _texts(example: Example, negatives: list[str] | None) -> list[str]:
    pair = [example.text_pair] if example.text_pair is not None else []
    return [example.text, *pair, *rows.negatives(example, negatives)]


def _empty_negatives(report: DataReport, head: Head, examples: Sequence[Example]) -> None:
    for example in examples:
        columns = rows.negative_columns(example, _negatives(head))
        empty = [str(c) for c in columns if not str(example.fields.get(c, "")).strip()]
        if empty:
            report.add("empty_text", example.source, example.line, f"empty {' and '.join(empty)}")


def _in_batch(report: DataReport, head: Head, examples: Sequence[Example]) -> dict[str, dict[str, Any]]:
    """Anchor/positive rows trained with in-batch negatives: the rows that defeat the loss, and how much
    texts are shared (positives per anchor, positives with several anchors)."""
    anchors: dict[Hashable, dict[str, int]] = {}  # positive -> {anchor: its first line}
    positives: dict[str, set[str]] = {}
    for example in examples:
        anchor, positive = example.text, example.text_pair or ""
        negatives = rows.negatives(example, _negatives(head))
        if positive == anchor:
            report.add("positive_is_anchor", example.source, example.line, "the positive is the anchor itself")
        for j, negative in enumerate(negatives):
            if negative in (anchor, positive):
                report.add("negative_is_positive", example.source, example.line,
                           f"negative {j + 1} is the row's {'positive' if negative == positive else 'anchor'}")
        seen = anchors.setdefault(positive, {})
        if seen and anchor not in seen:
            first = next(iter(seen.values()))
            report.add("shared_positive", example.source, example.line, f"the positive of line {first} too")
        seen.setdefault(anchor, example.line)
        positives.setdefault(anchor, set()).add(positive)
    shared = [by for by in anchors.values() if len(by) > 1]
    return {
        "positives per anchor": {"anchors": len(positives), **spread([len(p) for p in positives.values()])},
        "shared positives": {"positives": len(shared), "anchors": sum(len(by) for by in shared)},
    }
