"""Retrieval metrics, computed as trec_eval does (the numbers pytrec_eval, BEIR and JMTEB report).

``qrels``: query id -> document id -> relevance (an integer; graded: 0 not relevant, 1, 2 ... more).
``run``: query id -> document id -> score (higher first).

* Order: score descending; equal scores are ordered by document id DESCENDING (trec_eval sorts ties by
  ``strcmp`` of the ids, reversed), so a tie gives the same number here as in pytrec_eval.
* ``ndcg@k``: graded gain = the relevance value (not 2^rel - 1), discount log2(rank + 1); the ideal
  ranking is every judged document sorted by relevance, cut at k (trec_eval's ``ndcg_cut.k``).
* ``mrr@k``: 1 / rank of the first relevant document in the top k (trec_eval's ``recip_rank`` on the
  run cut at k, as BEIR computes MRR@k).
* ``recall@k``: relevant documents in the top k / relevant documents judged (``recall_k``).
* ``map``: trec_eval's ``map`` over the whole retrieved list (so its depth is the retrieval depth).
* Relevant means relevance >= 1 for mrr, recall and map (trec_eval's ``relevance_level``); judgements
  of 0 or below add no gain to nDCG.

A query is averaged when it has at least one relevant document; one missing from the run scores 0
(pytrec_eval would leave it out: callers report such queries instead of hiding them).

Written here rather than calling pytrec_eval at run time: it is a C extension without wheels for every
platform jbert supports, and these four formulas are short; tests check equality with pytrec_eval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from jbert.metrics.base import METRICS, check_lengths

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]
RELEVANT = 1  # trec_eval's default relevance_level
NAMES = ("ndcg@10", "mrr@10", "recall@1", "recall@10", "recall@100", "map")


def ranked(scores: Mapping[str, float]) -> list[str]:
    """Document ids in trec_eval's order: score descending, ties by id descending."""
    return [doc for doc, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def ndcg_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    gains = [max(judged.get(doc, 0), 0) for doc in ranking[:k]]
    ideal = sorted((max(g, 0) for g in judged.values()), reverse=True)[:k]
    best = _dcg(ideal)
    return _dcg(gains) / best if best > 0 else 0.0


def _dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains) if gain > 0)


def reciprocal_rank_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) >= RELEVANT:
            return 1.0 / rank
    return 0.0


def recall_at(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    relevant = relevant_count(judged)
    if not relevant:
        return 0.0
    return sum(judged.get(doc, 0) >= RELEVANT for doc in ranking[:k]) / relevant


def average_precision(ranking: Sequence[str], judged: Mapping[str, int]) -> float:
    relevant = relevant_count(judged)
    hits, total = 0, 0.0
    for rank, doc in enumerate(ranking, start=1):
        if judged.get(doc, 0) >= RELEVANT:
            hits += 1
            total += hits / rank
    return total / relevant if relevant else 0.0


def relevant_count(judged: Mapping[str, int]) -> int:
    return sum(rel >= RELEVANT for rel in judged.values())


def first_relevant_rank(ranking: Sequence[str], judged: Mapping[str, int]) -> int | None:
    """1-based rank of the first relevant document; None when none was retrieved."""
    return next((rank for rank, doc in enumerate(ranking, 1) if judged.get(doc, 0) >= RELEVANT), None)


def query_metrics(ranking: Sequence[str], judged: Mapping[str, int]) -> dict[str, float]:
    """Every metric of NAMES for one query's ranking."""
    return {
        "ndcg@10": ndcg_at(ranking, judged, 10),
        "mrr@10": reciprocal_rank_at(ranking, judged, 10),
        "recall@1": recall_at(ranking, judged, 1),
        "recall@10": recall_at(ranking, judged, 10),
        "recall@100": recall_at(ranking, judged, 100),
        "map": average_precision(ranking, judged),
    }


def evaluate_run(qrels: Qrels, run: Run) -> dict[str, float]:
    """The mean of each metric over the queries of ``qrels`` that have a relevant document."""
    queries = [q for q, judged in qrels.items() if relevant_count(judged)]
    totals = dict.fromkeys(NAMES, 0.0)
    for query in queries:
        for name, value in query_metrics(ranked(run.get(query, {})), qrels[query]).items():
            totals[name] += value
    return {name: total / len(queries) if queries else 0.0 for name, total in totals.items()}


@METRICS.register("retrieval")
def retrieval(predictions: Sequence[Mapping[str, float]], references: Sequence[Mapping[str, int]]) -> dict[str, float]:
    """One row per query: the retrieved ``{doc id: score}`` against the judged ``{doc id: relevance}``."""
    check_lengths(predictions, references)
    qrels = {str(i): judged for i, judged in enumerate(references)}
    return evaluate_run(qrels, {str(i): run for i, run in enumerate(predictions)})


@METRICS.register("reranking")
def reranking(predictions: Sequence[float], references: Sequence[tuple[Any, int]]) -> dict[str, float]:
    """One row per (query, document) pair: its score against ``(query key, relevance)``; the rows of one
    query key are ranked together (a reranker's validation set)."""
    check_lengths(predictions, references)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    width = len(str(len(references)))  # zero-padded row ids: ties keep a fixed order
    for row, (score, (query, relevance)) in enumerate(zip(predictions, references, strict=True)):
        doc = str(row).zfill(width)
        qrels.setdefault(str(query), {})[doc] = int(relevance)
        run.setdefault(str(query), {})[doc] = float(score)
    return evaluate_run(qrels, run)
