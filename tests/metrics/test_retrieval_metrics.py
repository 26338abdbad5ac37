"""Retrieval metrics equal trec_eval's (through pytrec_eval) on hand-made and random runs, ties and graded
relevance included; one golden case with the arithmetic written out."""

from __future__ import annotations

import math
import random

import pytest

from jbert.metrics import compute
from jbert.metrics.retrieval import evaluate_run, query_metrics, ranked

pytrec_eval = pytest.importorskip("pytrec_eval")

MEASURES = {"ndcg_cut.10", "recall.1,10,100", "map", "recip_rank"}


def reference(qrels: dict, run: dict) -> dict[str, float]:
    """pytrec_eval's means; MRR@10 is recip_rank on the run cut at 10 in trec_eval's order (as BEIR)."""
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, MEASURES)
    full = evaluator.evaluate(run)
    cut = {q: {d: docs[d] for d in ranked(docs)[:10]} for q, docs in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut)
    keys = {"ndcg@10": "ndcg_cut_10", "recall@1": "recall_1", "recall@10": "recall_10",
            "recall@100": "recall_100", "map": "map"}
    out = {name: sum(full[q][key] for q in full) / len(full) for name, key in keys.items()}
    out["mrr@10"] = sum(rr[q]["recip_rank"] for q in rr) / len(rr)
    return out


def assert_equal_to_reference(qrels: dict, run: dict) -> None:
    ours, theirs = evaluate_run(qrels, run), reference(qrels, run)
    for name in theirs:
        assert ours[name] == pytest.approx(theirs[name], abs=1e-9), name


HAND_MADE = [
    # one positive, found second
    ({"q1": {"d1": 1}}, {"q1": {"d2": 0.9, "d1": 0.8, "d3": 0.1}}),
    # several positives, graded, one never retrieved
    ({"q1": {"d1": 2, "d2": 1, "d9": 1, "d3": 0}}, {"q1": {"d3": 3.0, "d2": 2.0, "d4": 1.5, "d1": 1.0}}),
    # ties: equal scores are ordered by document id descending (d2 before d1)
    ({"q1": {"d1": 1}}, {"q1": {"d1": 0.5, "d2": 0.5, "d0": 0.5}}),
    ({"q1": {"d2": 1, "d10": 1}}, {"q1": {"d10": 1.0, "d2": 1.0, "d3": 1.0, "d1": 0.2}}),
    # two queries, one with nothing relevant retrieved
    ({"a": {"x": 1, "y": 3}, "b": {"z": 1}}, {"a": {"y": 0.3, "x": 0.7, "w": 0.9}, "b": {"w": 0.1, "v": 0.2}}),
    # more than 10 and more than 100 retrieved: the cut-offs matter
    ({"q": {f"d{i}": 1 for i in (0, 11, 150)}}, {"q": {f"d{i}": 200.0 - i for i in range(200)}}),
]


@pytest.mark.parametrize(("qrels", "run"), HAND_MADE)
def test_hand_made_runs_equal_trec_eval(qrels: dict, run: dict) -> None:
    assert_equal_to_reference(qrels, run)


def test_random_runs_with_ties_equal_trec_eval() -> None:
    rng = random.Random(7)
    for _ in range(40):
        docs = [f"d{i}" for i in range(rng.randint(3, 130))]
        qrels, run = {}, {}
        for q in range(rng.randint(1, 6)):
            judged = {d: rng.choice([0, 1, 1, 2, 3]) for d in rng.sample(docs, rng.randint(1, min(8, len(docs))))}
            if not any(v >= 1 for v in judged.values()):
                judged[docs[0]] = 1
            qrels[f"q{q}"] = judged
            # scores from a few values only, so many ties
            run[f"q{q}"] = {d: float(rng.randint(0, 5)) for d in rng.sample(docs, rng.randint(1, len(docs)))}
        assert_equal_to_reference(qrels, run)


def test_golden_case_with_the_arithmetic_written_out() -> None:
    # Judged: d1 rel 2, d3 rel 1, d5 rel 1 (three relevant). Retrieved in order d3, d2, d1, d4.
    qrels = {"q": {"d1": 2, "d3": 1, "d5": 1}}
    run = {"q": {"d3": 0.9, "d2": 0.8, "d1": 0.7, "d4": 0.6}}
    # DCG = 1/log2(2) + 0 + 2/log2(4) + 0 = 1 + 1 = 2
    # ideal gains 2, 1, 1: IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093
    ndcg = 2 / (2 + 1 / math.log2(3) + 0.5)
    # first relevant (d3) at rank 1: MRR = 1
    # recall@1 = 1/3 (d3); recall@10 = recall@100 = 2/3 (d3, d1; d5 never retrieved)
    # AP = (1/1 [d3 at rank 1] + 2/3 [d1 at rank 3]) / 3 relevant = (5/3) / 3 = 5/9
    expected = {"ndcg@10": ndcg, "mrr@10": 1.0, "recall@1": 1 / 3, "recall@10": 2 / 3,
                "recall@100": 2 / 3, "map": 5 / 9}
    assert evaluate_run(qrels, run) == pytest.approx(expected)
    assert ndcg == pytest.approx(0.638788, abs=1e-6)


def test_queries_without_relevant_documents_are_not_averaged_and_missing_runs_score_zero() -> None:
    qrels = {"a": {"x": 1}, "b": {"y": 0}, "c": {"z": 1}}
    result = evaluate_run(qrels, {"a": {"x": 1.0}})  # b has nothing relevant; c was not retrieved
    assert result["mrr@10"] == 0.5 and result["recall@1"] == 0.5


def test_registered_metrics() -> None:
    per_query = compute(["retrieval"], [{"x": 0.2, "y": 0.9}], [{"x": 1}])
    assert per_query["mrr@10"] == 0.5 and per_query["recall@10"] == 1.0
    rows = compute(["reranking"], [0.1, 0.8, 0.3], [("q", 1), ("q", 0), ("r", 1)])
    assert rows["mrr@10"] == pytest.approx((0.5 + 1.0) / 2)
    assert query_metrics(["a"], {"a": 1})["ndcg@10"] == 1.0
