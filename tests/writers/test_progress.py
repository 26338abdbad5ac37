"""stdout carries results only: no Trainer log dicts from finetune/pretrain, no torch warnings from
export; progress bars (with a total, so an ETA) go to stderr, and only on a terminal, never with --quiet."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from _finetuned import DATA, JGLUE, finetuned  # noqa: F401,F811 (fixture)
from typer.testing import CliRunner

import jbert.writers.progress
from jbert.cli import app

runner = CliRunner()
QUICK = ["--max-steps", "3", "--batch-size", "4", "--max-length", "32"]
SUMMARY = re.compile(r"^(fine-tuned model written to .*|  \w+ +-?\d+\.\d{4})$")


@pytest.fixture
def terminal(monkeypatch):
    """stderr reported as a terminal, as an interactive shell has it."""
    monkeypatch.setattr(jbert.writers.progress, "stderr_is_tty", lambda: True)


def finetune(out: Path, *extra: str):
    return runner.invoke(app, ["finetune", "jsts", "--model", str(out.parent / "model"), "--train",
                               str(JGLUE / "jsts-train.jsonl"), "--valid", str(JGLUE / "jsts-valid.jsonl"),
                               "--output", str(out), *QUICK, *extra])


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path) -> Path:
    (tmp_path / "model").symlink_to(tiny_model_dir, target_is_directory=True)
    return tmp_path


def test_finetune_stdout_holds_the_summary_only_and_the_bar_goes_to_stderr(model_dir, terminal):
    result = finetune(model_dir / "run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines and all(SUMMARY.match(line) for line in lines), lines  # no {'eval_loss': ...} dicts
    assert "{'" not in result.stdout and "{'" not in result.stderr
    assert re.search(r"train: +100%\|.*\| 3/3 \[", result.stderr)  # a total, so tqdm shows an ETA
    logged = [json.loads(line) for line in (model_dir / "run" / "train_log.jsonl").read_text().splitlines()]
    assert any("eval_loss" in row for row in logged)  # the logs went to the run's file instead


def test_quiet_and_pipes_draw_no_bar(model_dir, terminal, monkeypatch):
    quiet = finetune(model_dir / "quiet", "-q")
    assert quiet.exit_code == 0, quiet.output
    assert "train:" not in quiet.stderr and "{'" not in quiet.stdout
    monkeypatch.setattr(jbert.writers.progress, "stderr_is_tty", lambda: False)  # a log file or a pipe
    piped = finetune(model_dir / "piped")
    assert piped.exit_code == 0, piped.output
    assert "train:" not in piped.stderr and "{'" not in piped.stdout


def test_predict_bar_has_the_row_total(finetuned, terminal):  # noqa: F811
    data = DATA / "marc_ja" / "valid.jsonl"
    rows = sum(1 for line in data.read_text(encoding="utf-8").splitlines() if line.strip())
    result = runner.invoke(app, ["predict", "--model", str(finetuned("classification")), str(data)])
    assert result.exit_code == 0, result.output
    assert re.search(rf"predict: 100%\|.*\| {rows}/{rows} \[", result.stderr)
    assert len(result.stdout.splitlines()) == rows  # the predictions, nothing else


def test_export_prints_no_torch_warning_and_its_bar_counts_both_passes(finetuned, terminal, tmp_path):  # noqa: F811
    pytest.importorskip("onnxruntime")
    data = DATA / "marc_ja" / "valid.jsonl"
    rows = sum(1 for line in data.read_text(encoding="utf-8").splitlines() if line.strip())
    with warnings.catch_warnings(record=True) as caught:  # what a user's terminal would have shown
        warnings.simplefilter("always")
        result = runner.invoke(app, ["export", "--model", str(finetuned("classification")), "--output",
                                     str(tmp_path / "onnx"), "--data", str(data), "--min-agreement", "0"])
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in caught if issubclass(w.category, FutureWarning)] == []
    assert "Warning" not in result.output and result.stdout == ""
    assert re.search(rf"export: onnx fp32: 100%\|.*\| {2 * rows}/{2 * rows} \[", result.stderr)
