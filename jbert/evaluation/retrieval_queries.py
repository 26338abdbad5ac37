"""Per-query results of ``jbert eval retrieval``: one record per scored query, written as JSON Lines
beside the metrics (``metrics.json`` -> ``metrics.queries.jsonl``), and the failed queries worst first.

A record (the final ranking: after reranking when there was one)::

    {"id": "q3", "query": "魚か鳥?", "relevant": ["d3"], "first_relevant_rank": 2, "ndcg@10": 0.6309,
     "retrieved": [{"id": "d2", "score": 0.74}, {"id": "d3", "score": 0.67}, ...]}

With a reranker, ``first_relevant_rank_before_rerank``, ``ndcg@10_before_rerank`` and
``retrieved_before_rerank`` hold the first stage's. ``first_relevant_rank`` is 1-based over the whole
retrieved list (``--depth``), null when no relevant document was retrieved; ``retrieved`` keeps the
top ``docs``. A document below the reranked top k keeps its first-stage place with score null (its
place is not a reranker score). ``worst_first`` orders the failed queries (first document not
relevant) for the sample ``jbert report`` shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jbert.metrics.retrieval import RELEVANT, first_relevant_rank, ndcg_at, ranked
from jbert.writers import open_rows

SUFFIX = ".queries.jsonl"
BEFORE = "_before_rerank"  # suffix of the first stage's fields when the run was reranked


def per_query_path(output: str | Path | None) -> Path | None:
    """The per-query file beside a metrics file (None for stdout or no output)."""
    if output is None or str(output) == "-":
        return None
    path = Path(output)
    return path.with_name(path.stem + SUFFIX if path.suffix == ".json" else path.name + SUFFIX)


def query_record(qid: str, text: str, judged: Mapping[str, int], scores: Mapping[str, float], docs: int,
                 before: Mapping[str, float] | None = None, reranked: int | None = None) -> dict[str, Any]:
    """One query's record; ``scores`` is the final run's, ``before`` the first stage's when reranked
    (then ``reranked`` is how many documents the reranker scored)."""
    record = {"id": qid, "query": text, "relevant": [d for d, r in judged.items() if r >= RELEVANT]}
    record.update(_ranking(judged, scores, docs, reranked))
    if before is not None:
        record.update({k + BEFORE: v for k, v in _ranking(judged, before, docs, None).items()})
    return record


def _ranking(judged: Mapping[str, int], scores: Mapping[str, float], docs: int,
             scored: int | None) -> dict[str, Any]:
    ranking = ranked(scores)
    return {
        "first_relevant_rank": first_relevant_rank(ranking, judged),
        "ndcg@10": ndcg_at(ranking, judged, 10),
        "retrieved": [{"id": d, "score": scores[d] if scored is None or rank < scored else None}
                      for rank, d in enumerate(ranking[:docs])],
    }


def failed(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The records whose first document is not relevant, in their order."""
    return [r for r in records if r["first_relevant_rank"] != 1]


def worst_first(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The failed records, worst first: nothing relevant retrieved, then the deepest first relevant
    rank, then the lowest nDCG@10; ties keep their order (sorted is stable)."""
    def badness(record: Mapping[str, Any]) -> tuple[float, float]:
        rank = record["first_relevant_rank"]
        return (float("inf") if rank is None else rank, -record["ndcg@10"])

    return sorted(failed(records), key=badness, reverse=True)


def write_per_query(path: str | Path, records: Sequence[Mapping[str, Any]]) -> None:
    """The records as JSON Lines, written atomically (a temp file renamed over ``path``)."""
    with open_rows(path, "jsonl") as writer:
        writer.write(records)
