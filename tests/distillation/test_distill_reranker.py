"""A reranker (cross-encoder) distils: by default pair by pair (the student's logit learns the teacher's by
MSE, so a first stage's unlabeled candidates count), or in query groups (``training.loss=listwise``: the
KL of the documents' softmax). The student is a directory sentence-transformers' CrossEncoder loads with
the scores jbert gives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from _retrieval_data import reranker_rows, write_jsonl
from typer.testing import CliRunner

from jbert.cli import app
from jbert.distillation.cache import CachedTargets
from jbert.models.directory import CONFIG_FILE

runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--max-length", "48", "--set", "training.progress_bar=false"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reranker-distill")
    unlabeled = [{k: v for k, v in row.items() if k != "label"} for row in reranker_rows("valid", grouped=False, limit=3)]
    return {"train": write_jsonl(root / "train.jsonl", reranker_rows("train", limit=6)),
            "valid": write_jsonl(root / "valid.jsonl", reranker_rows("valid", limit=4)),
            "unlabeled": write_jsonl(root / "candidates.jsonl", unlabeled)}


def distill(teacher: Path, data: dict[str, Path], out: Path, *extra) -> object:
    return runner.invoke(app, [*map(str, ["distill", "--teacher", teacher, "--student-layers", 1, "--train",
                                          data["train"], "--valid", data["valid"], "--output", out, *QUICK, *extra])])


def test_pairs_with_unlabeled_candidates_give_a_cross_encoder_with_jbert_scores(finetuned, data, tmp_path):
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import CrossEncoder

    out = tmp_path / "student"
    result = distill(finetuned("reranker"), data, out, "--unlabeled", data["unlabeled"], "--teacher-cache",
                     tmp_path / "cache")
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["training"]["loss"] is None and saved["distill"]["record"]["rows"]["unlabeled"][str(data["unlabeled"])] == 9
    train_rows = len(data["train"].read_text(encoding="utf-8").splitlines())
    targets = CachedTargets(next((tmp_path / "cache").glob("train-teacher-*.arrow")))
    assert len(targets) == train_rows and targets[0]["logits"].shape == (1,)  # one logit a pair, groups or not

    scores = tmp_path / "scores.jsonl"
    predicted = runner.invoke(app, ["predict", "--model", str(out), str(data["valid"]), "--output", str(scores)])
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in scores.read_text(encoding="utf-8").splitlines()]
    theirs = CrossEncoder(str(out), max_length=48, device="cpu").predict([(r["query"], r["document"]) for r in rows])
    np.testing.assert_allclose([r["score"] for r in rows], theirs, atol=1e-5)
    evaluated = runner.invoke(app, ["eval", "--model", str(out), "--data", str(data["valid"])])
    assert evaluated.exit_code == 0 and "ndcg@10" in evaluated.output, evaluated.output


def test_listwise_distils_query_groups(finetuned, data, tmp_path):
    out = tmp_path / "student"
    result = distill(finetuned("reranker"), data, out, "--set", "training.loss=listwise", "--teacher-cache", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))["training"]["loss"] == "listwise"
    targets = CachedTargets(next((tmp_path / "cache").glob("train-teacher-*.arrow")))
    assert len(targets) == 6 and targets[0]["logits"].shape == (3,)  # a query, its positive and 2 negatives
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["final"]["ndcg@10"] > 0


def test_listwise_with_unlabeled_pairs_is_a_one_line_error(finetuned, data, tmp_path):
    result = distill(finetuned("reranker"), data, tmp_path / "out", "--set", "training.loss=listwise",
                     "--unlabeled", data["unlabeled"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --unlabeled {data['unlabeled']}: its rows are single "
                                                   "sequences but the training rows are groups"), result.output
