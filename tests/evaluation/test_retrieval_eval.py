"""Retrieval evaluation through the Python API: any encoder callable as the first stage, any scorer as
the reranker; failed queries and unscored queries are kept in the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jbert import api
from jbert.evaluation import RetrievalConfig
from jbert.metrics.retrieval import ranked
from jbert.retrieval.rerank import rerank_run

# four documents on four axes; each query points at one of them (or between two)
VECTORS = {"犬": [1, 0, 0, 0], "猫": [0, 1, 0, 0], "鳥": [0, 0, 1, 0], "魚": [0, 0, 0, 1],
           "犬?": [1, 0.1, 0, 0], "猫?": [0.2, 1, 0, 0], "魚か鳥?": [0, 0, 1, 0.9], "何?": [0, 0, 0, 0]}


def encode(texts: list[str], as_: str) -> np.ndarray:
    return np.array([VECTORS[t] for t in texts], dtype=np.float32)


@pytest.fixture()
def files(tmp_path: Path) -> RetrievalConfig:
    (tmp_path / "c.jsonl").write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                                              for i, t in enumerate(["犬", "猫", "鳥", "魚"])), encoding="utf-8")
    (tmp_path / "q.tsv").write_text("q1\t犬?\nq2\t猫?\nq3\t魚か鳥?\nq4\t何?\n", encoding="utf-8")
    # q3's relevant document is the fish (d3), but the query is nearer the bird (d2); q4 has nothing relevant
    (tmp_path / "r.tsv").write_text("q1\td0\t1\nq2\td1\t1\nq3\td3\t1\nq4\td0\t0\n", encoding="utf-8")
    return RetrievalConfig(encoder=encode, queries=str(tmp_path / "q.tsv"), corpus=str(tmp_path / "c.jsonl"),
                           qrels=str(tmp_path / "r.tsv"), output=str(tmp_path / "m.json"))


def test_dense_first_stage_metrics_failures_and_unscored(files: RetrievalConfig) -> None:
    result = api.evaluate(files)
    # q1, q2 first; q3's fish second: MRR = (1 + 1 + 1/2) / 3, Recall@1 = 2/3
    assert result.metrics["mrr@10"] == pytest.approx(2.5 / 3)
    assert result.metrics["recall@1"] == pytest.approx(2 / 3) and result.metrics["recall@10"] == 1.0
    assert result.queries == 3 and result.not_scored == {"count": 1, "ids": ["q4"]}
    assert result.failed == 1
    [failure] = result.failures
    assert failure["id"] == "q3" and failure["first_relevant_rank"] == 2
    assert [d["id"] for d in failure["retrieved"]][:2] == ["d2", "d3"] and failure["relevant"][0]["id"] == "d3"
    saved = json.loads(Path(files.output).read_text(encoding="utf-8"))
    assert saved["metrics"] == pytest.approx(result.metrics) and saved["failures"][0]["query"] == "魚か鳥?"


def test_reranker_scorer_reorders_the_top_k_only(files: RetrievalConfig) -> None:
    def prefers_fish(pairs: list[tuple[str, str]]) -> list[float]:
        return [1.0 if doc == "魚" else 0.5 if query.startswith(doc) else 0.0 for query, doc in pairs]

    files.scorer, files.top_k = prefers_fish, 2
    result = api.evaluate(files)
    assert result.metrics["mrr@10"] == pytest.approx(2.5 / 3)
    # q3's fish was second: now first; q1 and q2 have no fish in their top 2, their first stays
    assert result.reranked["mrr@10"] == 1.0 and result.failed == 0
    files.top_k = 4  # now the fish goes first for q1 and q2 as well, their answer second
    result = api.evaluate(files)
    assert result.reranked["mrr@10"] == pytest.approx((0.5 + 0.5 + 1) / 3)
    assert result.failures[0]["first_relevant_rank_before_rerank"] == 1
    assert result.failures[0]["first_relevant_rank"] == 2


def test_rerank_keeps_the_documents_below_top_k_in_order() -> None:
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}}
    out = rerank_run(run, {"q": "?"}, {"a": "a", "b": "b", "c": "c", "d": "d"},
                     lambda pairs: [{"a": 0.1, "b": 0.9}[d] for _, d in pairs], top_k=2)
    assert ranked(out["q"]) == ["b", "a", "c", "d"]
