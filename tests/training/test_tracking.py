"""`--report-to`: TensorBoard event files written offline through the Trainer's own callback; bad
names and missing packages are one-line errors before training."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app
from jbert.errors import ConfigError
from jbert.training import tracking

DATA = Path(__file__).parent.parent / "data" / "jglue"
runner = CliRunner()


def _args(tiny_model_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(out),
            "--train", str(DATA / "jsts-train.jsonl"), "--valid", str(DATA / "jsts-valid.jsonl"),
            "--max-steps", "2", "--batch-size", "4", "--max-length", "64",
            "--set", "training.progress_bar=false", "--set", "training.logging_steps=1", *extra]


def test_report_to_parses_and_checks_names(monkeypatch):
    assert tracking.report_to("none") == [] and tracking.report_to("") == []
    assert tracking.report_to("TensorBoard") == ["tensorboard"]
    with pytest.raises(ConfigError, match="unknown tracker 'tensorbord'; valid: none, tensorboard"):
        tracking.report_to("tensorbord")
    monkeypatch.setitem(tracking.TRACKERS, "mlflow", "jbert_no_such_module")
    with pytest.raises(ConfigError, match="--report-to mlflow needs the 'jbert_no_such_module' package"):
        tracking.report_to("tensorboard,mlflow")


def test_unknown_tracker_is_a_one_line_error(tmp_path, tiny_model_dir):
    result = runner.invoke(app, _args(tiny_model_dir, tmp_path / "out", "--report-to", "nope"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --report-to: unknown tracker 'nope'; valid: none, tensorboard, wandb, mlflow"]


def test_tensorboard_event_files_are_written_offline(tmp_path, tiny_model_dir, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "out"
    result = runner.invoke(app, _args(tiny_model_dir, out, "--report-to", "tensorboard"))
    assert result.exit_code == 0, result.output
    events = list((out / "checkpoints" / "runs").glob("*/events.out.tfevents.*"))
    assert events, f"no event file under {out / 'checkpoints' / 'runs'}"
    acc = EventAccumulator(str(events[0].parent)).Reload()
    scalars = acc.Tags()["scalars"]
    assert {"train/loss", "eval/pearson"} <= set(scalars)
    assert [e.step for e in acc.Scalars("train/loss")] == [1, 2]  # logging_steps=1, max_steps=2
