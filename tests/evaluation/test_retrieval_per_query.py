"""`jbert eval retrieval`'s per-query file on the hand-made set (tests/_retrieval_data.py), whose ranks are
known exactly: every scored query's ranking, before and after reranking, and the failed queries worst first."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _retrieval_data import HAND_DOCS, hand_cosine, hand_encode, prefers_fish, write_hand_set

from jbert import api
from jbert.errors import ConfigError
from jbert.evaluation import RetrievalConfig
from jbert.evaluation.retrieval_queries import per_query_path, worst_first


@pytest.fixture()
def cfg(tmp_path: Path) -> RetrievalConfig:
    # depth 3: q3's bird (d2) is fifth, so not retrieved; 3 documents kept per query
    return RetrievalConfig(encoder=hand_encode, **write_hand_set(tmp_path), output=str(tmp_path / "m.json"),
                           depth=3, per_query_docs=3)


def records(cfg: RetrievalConfig) -> list[dict]:
    path = Path(cfg.output).with_name("m.queries.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def retrieved(query: str, ids: list[str]) -> list[dict]:
    """The documents ``ids`` in this order, each with its cosine to ``query``."""
    return [{"id": d, "score": pytest.approx(hand_cosine(query, HAND_DOCS[d]), abs=1e-6)} for d in ids]


def test_first_stage_records_exact_ranks(cfg: RetrievalConfig) -> None:
    result = api.evaluate(cfg)
    assert result.per_query == "m.queries.jsonl"
    assert json.loads(Path(cfg.output).read_text(encoding="utf-8"))["per_query"] == "m.queries.jsonl"
    assert records(cfg) == [
        {"id": "q1", "query": "犬?", "relevant": ["d0"], "first_relevant_rank": 1, "ndcg@10": 1.0,
         "retrieved": retrieved("犬?", ["d0", "d4", "d1"])},
        {"id": "q2", "query": "鳥魚?", "relevant": ["d3"], "first_relevant_rank": 2,
         "ndcg@10": pytest.approx(1 / math.log2(3)), "retrieved": retrieved("鳥魚?", ["d2", "d3", "d0"])},
        {"id": "q3", "query": "猫?", "relevant": ["d2"], "first_relevant_rank": None, "ndcg@10": 0.0,
         "retrieved": retrieved("猫?", ["d1", "d4", "d0"])},
    ]
    # the records' nDCG@10 averages to the metric; the sample is worst first: nothing retrieved, then rank 2
    assert sum(r["ndcg@10"] for r in records(cfg)) / 3 == pytest.approx(result.metrics["ndcg@10"])
    assert result.failed == 2 and [f["id"] for f in result.failures] == ["q3", "q2"]
    assert result.failures[1]["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert [d["text"] for d in result.failures[1]["retrieved"]] == ["鳥", "魚", "犬"]


def test_reranked_records_keep_the_first_stage(cfg: RetrievalConfig) -> None:
    cfg.scorer, cfg.top_k = prefers_fish, 2
    result = api.evaluate(cfg)
    by_id = {r["id"]: r for r in records(cfg)}
    q2 = by_id["q2"]
    # the fish (0.9) over the bird (0.5); d0, below the reranked top 2, keeps its place with no score
    assert q2["retrieved"] == [{"id": "d3", "score": 0.9}, {"id": "d2", "score": 0.5}, {"id": "d0", "score": None}]
    assert (q2["first_relevant_rank"], q2["ndcg@10"]) == (1, 1.0)
    assert q2["first_relevant_rank_before_rerank"] == 2
    assert q2["ndcg@10_before_rerank"] == pytest.approx(1 / math.log2(3))
    assert q2["retrieved_before_rerank"] == retrieved("鳥魚?", ["d2", "d3", "d0"])
    assert [d["id"] for d in by_id["q1"]["retrieved"]] == ["d0", "d4", "d1"]  # 0.5 over 0.1: unchanged
    assert by_id["q3"]["first_relevant_rank"] is None and by_id["q3"]["first_relevant_rank_before_rerank"] is None
    assert result.failed == 1 and [f["id"] for f in result.failures] == ["q3"]
    assert result.reranked["mrr@10"] == pytest.approx(2 / 3) and result.metrics["mrr@10"] == pytest.approx(1.5 / 3)


def test_worst_first_orders_by_rank_then_ndcg() -> None:
    rows = [{"id": "a", "first_relevant_rank": 2, "ndcg@10": 0.6}, {"id": "b", "first_relevant_rank": None, "ndcg@10": 0.0},
            {"id": "c", "first_relevant_rank": 1, "ndcg@10": 0.9}, {"id": "d", "first_relevant_rank": 5, "ndcg@10": 0.4},
            {"id": "e", "first_relevant_rank": 2, "ndcg@10": 0.5}, {"id": "f", "first_relevant_rank": 2, "ndcg@10": 0.5}]
    assert [r["id"] for r in worst_first(rows)] == ["b", "d", "e", "f", "a"]  # c succeeded; e before f: file order


def test_per_query_file_name_and_no_file_without_output(cfg: RetrievalConfig, tmp_path: Path) -> None:
    assert per_query_path("out/bm25.json") == Path("out/bm25.queries.jsonl")
    assert per_query_path("metrics") == Path("metrics.queries.jsonl")
    assert per_query_path("-") is None and per_query_path(None) is None
    cfg.output = None
    assert api.evaluate(cfg).per_query is None and not list(tmp_path.glob("*.queries.jsonl"))


def test_unwritable_per_query_file_fails_before_searching(cfg: RetrievalConfig, tmp_path: Path) -> None:
    (tmp_path / "m.queries.jsonl").mkdir()
    calls = []
    cfg.encoder = lambda texts, as_: calls.append(texts) or hand_encode(texts, as_)
    with pytest.raises(ConfigError, match="m.queries.jsonl: is a directory"):
        api.evaluate(cfg)
    assert not calls and not Path(cfg.output).exists()
