"""`--sweep` and `--report-to tensorboard` for the embedding and reranker tasks: each run is scored on
its validation file by the task's primary metric (embedding: spearman of cosine on scored pairs;
reranker: ndcg@10 of each query's ranking), the best configuration is linked, and every run writes
TensorBoard event files with that metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _retrieval_data import reranker_rows, write_jsonl
from typer.testing import CliRunner

from jbert.cli import app

JGLUE = Path(__file__).parent.parent / "data" / "jglue"
runner = CliRunner()


def _rows(path: Path, n: int) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n]]


def _triplets(n: int) -> list[dict]:
    rows = _rows(JGLUE / "jsts-train.jsonl", n)
    return [{"anchor": r["sentence1"], "positive": r["sentence2"]} for r in rows]


TASKS = {
    "embedding": ("spearman", lambda root: (write_jsonl(root / "train.jsonl", _triplets(8)),
                                            write_jsonl(root / "valid.jsonl", _rows(JGLUE / "jsts-valid.jsonl", 8)))),
    "reranker": ("ndcg@10", lambda root: (write_jsonl(root / "train.jsonl", reranker_rows("train", limit=4)),
                                          write_jsonl(root / "valid.jsonl", reranker_rows("valid", limit=8)))),
}


@pytest.mark.parametrize("task", TASKS)
def test_sweep_selects_by_the_primary_metric_and_logs_to_tensorboard(task, tmp_path, tiny_model_dir, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric, make = TASKS[task]
    train, valid = make(tmp_path)
    out = tmp_path / "sweep"
    result = runner.invoke(app, [
        "finetune", task, "--model", str(tiny_model_dir), "--output", str(out), "--train", str(train),
        "--valid", str(valid), "--max-steps", "2", "--batch-size", "4", "--max-length", "128",
        "--set", "training.progress_bar=false", "--set", "training.logging_steps=1",
        "--set", "training.warmup_ratio=0",  # both steps train: the two learning rates give two models
        "--sweep", "training.learning_rate=1e-2,1e-5", "--report-to", "tensorboard"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert record["metric"] == metric and len(record["runs"]) == 2
    scores = {r["path"]: r["metrics"][metric] for r in record["runs"]}  # each run's own metrics.json
    assert len(set(scores.values())) == 2  # the learning rates made a difference to choose by
    best = record["selected"]
    assert best["mean"] == max(scores.values()) == scores[best["best_run"]]
    assert (out / "best").resolve() == Path(best["best_run"]).resolve()
    for run in record["runs"]:  # one TensorBoard log per run, in the run's own directory
        (logs,) = Path(run["path"], "checkpoints", "runs").glob("*/")
        events = EventAccumulator(str(logs)).Reload()  # the final evaluation may add a second event file
        assert {"train/loss", f"eval/{metric}"} <= set(events.Tags()["scalars"])
        assert events.Scalars(f"eval/{metric}")[-1].value == pytest.approx(run["metrics"][metric], abs=1e-6)
