"""``jbert data check reranker``: what the reranker head adds to the generic check.

A file whose rows carry a group id (``query_id``) trains listwise, and finetune encodes both files that
way: a row without a group id among them, a group of one document and a group without a relevant
document stop it (errors, as ``RerankerHead.groups`` raises them). A file without group ids trains pair
by pair with binary cross-entropy: a query (by its text) without a relevant document is only a warning
there (no ranking signal; nDCG/MRR/MAP leave it out when scoring).

The same (query, document) pair twice is ``duplicate_pair``; twice with different relevance labels it is
``conflicting_labels``, a warning and not an error: finetune trains on such rows (the model is taught
both labels, the listwise target splits between the copies) and errors here are what stops it.

Statistics per file: rows per loss (listwise / binary cross-entropy), documents and relevant documents
per query. Validation queries that are also training queries are reported once per query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jbert.data import Example
from jbert.datacheck.hooks import HEAD_CHECKS, HeadCheck
from jbert.datacheck.pairs import first_lines, repeated, spread
from jbert.datacheck.report import DataReport
from jbert.heads import Head
from jbert.heads.reranker import RerankerHead


@HEAD_CHECKS.register("reranker")
class RerankerCheck(HeadCheck):
    def check(self, report: DataReport, head: Head, splits: dict[str, list[Example]]) -> None:
        for split, examples in splits.items():
            if not examples:
                continue
            repeated(report, examples, lambda e: (e.text, e.text_pair), head.target)
            # training.loss=bce: every row a pair, whatever its group id
            listwise = [e for e in examples if head.group(e) is not None] if head.loss != "bce" else []
            if listwise:
                _missing_groups(report, head, examples)
            queries = _queries(head, listwise or examples)
            _queries_without_positive(report, head, queries, listwise=bool(listwise))
            statistics = report.splits[split].setdefault("statistics", {})
            if split == "train":
                loss = {"listwise": len(listwise), "binary cross-entropy": len(examples) - len(listwise)}
                statistics["loss"] = {name: rows for name, rows in loss.items() if rows}
            statistics.update(_statistics(head, queries))
        if "valid" in splits:
            _query_overlap(report, splits["train"], splits["valid"])


def _queries(head: RerankerHead, examples: Sequence[Example]) -> dict[str, list[Example]]:
    """Rows per query key (the group id, else the query text), in first-seen order."""
    out: dict[str, list[Example]] = {}
    for example in examples:
        out.setdefault(head.query_key(example), []).append(example)
    return out


def _missing_groups(report: DataReport, head: RerankerHead, examples: Sequence[Example]) -> None:
    column = head.spec.column("group")
    for example in examples:
        if head.group(example) is None:
            report.add("missing_group", example.source, example.line, f"no {column!r} while other rows have one")


def _queries_without_positive(report: DataReport, head: RerankerHead, queries: dict[str, list[Example]],
                              listwise: bool) -> None:
    for key, rows in queries.items():
        first, what = rows[0], key.partition(":")[2]
        if listwise and len(rows) < 2:
            report.add("small_group", first.source, first.line, f"group {what!r} has one document")
        if not any(head.target(e) >= 1 for e in rows):
            kind, name = ("group_without_positive", f"group {what!r}") if listwise else ("query_without_positive",
                                                                                       "the query")
            report.add(kind, first.source, first.line, f"none of the {len(rows)} document(s) of {name} is "
                       "relevant (label >= 1)")


def _statistics(head: RerankerHead, queries: dict[str, list[Example]]) -> dict[str, dict[str, Any]]:
    positives = [sum(head.target(e) >= 1 for e in rows) for rows in queries.values()]
    return {
        "documents per query": {"queries": len(queries), **spread([len(rows) for rows in queries.values()])},
        "relevant per query": {**spread(positives), "none": positives.count(0)},
    }


def _query_overlap(report: DataReport, train: Sequence[Example], valid: Sequence[Example]) -> None:
    """Validation queries (by text) asked in the training file too: once per query, at its first row."""
    seen = first_lines((e.text, e.line) for e in train)
    reported: set[str] = set()
    for example in valid:
        if example.text in seen and example.text not in reported:
            reported.add(example.text)
            report.add("query_overlap", example.source, example.line, f"query also in train line {seen[example.text]}")
