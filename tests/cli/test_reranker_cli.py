"""`jbert finetune reranker` end to end (pairs with binary cross-entropy, groups with the listwise loss):
the directory loads in sentence-transformers' CrossEncoder with the scores jbert gives; `jbert predict`
writes scores; `jbert eval` ranks each query's rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _retrieval_data import reranker_rows, write_jsonl
from typer.testing import CliRunner

from jbert.cli import app

runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--max-length", "48", "--set", "training.progress_bar=false"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("reranker-data")
    write_jsonl(root / "train.jsonl", reranker_rows("train", limit=8))
    write_jsonl(root / "valid.jsonl", reranker_rows("valid", limit=6))
    write_jsonl(root / "train_pairs.jsonl", reranker_rows("train", grouped=False, limit=8))
    return root


@pytest.fixture(scope="module", params=["listwise", "pairs"])
def trained(request, data: Path, tiny_model_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp(f"reranker-{request.param}") / "model"
    train = data / ("train.jsonl" if request.param == "listwise" else "train_pairs.jsonl")
    result = runner.invoke(app, ["finetune", "reranker", "--model", str(tiny_model_dir), "--output", str(out),
                                 "--train", str(train), "--valid", str(data / "valid.jsonl"), *QUICK])
    assert result.exit_code == 0, result.output
    return out


def test_finetune_reports_ranking_metrics(trained: Path) -> None:
    final = json.loads((trained / "metrics.json").read_text(encoding="utf-8"))["final"]
    assert {"ndcg@10", "mrr@10", "map"} <= set(final) and 0 < final["mrr@10"] <= 1


def test_cross_encoder_gives_jbert_scores(trained: Path, data: Path, tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import CrossEncoder

    out = tmp_path / "scores.jsonl"
    result = runner.invoke(app, ["predict", "--model", str(trained), str(data / "valid.jsonl"),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 18 and all(0 < r["score"] < 1 for r in rows)
    model = CrossEncoder(str(trained), max_length=48, device="cpu")
    theirs = model.predict([(r["query"], r["document"]) for r in rows], batch_size=4)
    np.testing.assert_allclose([r["score"] for r in rows], theirs, atol=1e-5)
    assert np.ptp(theirs) > 0  # not one constant score


def test_eval_ranks_each_query(trained: Path, data: Path) -> None:
    result = runner.invoke(app, ["eval", "--model", str(trained), "--data", str(data / "valid.jsonl")])
    assert result.exit_code == 0, result.output
    assert "ndcg@10" in result.output and "mrr@10" in result.output


def test_a_group_without_a_relevant_document_is_one_line(data: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    rows = reranker_rows("train", limit=2)
    rows[0]["label"] = 0
    train = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = runner.invoke(app, ["finetune", "reranker", "--model", str(tiny_model_dir), "--output",
                                 str(tmp_path / "m"), "--train", str(train), *QUICK])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {train}:1: group '{rows[0]['query_id']}' has no relevant "
                                                  "document (label >= 1)"]
