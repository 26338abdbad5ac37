"""`jbert distill --sweep`: the selection protocol over distillation settings, on tiny models. Every run
is a distilled model directory, the best is linked, the teacher runs once for the whole grid (its
outputs shared through OUTPUT/teacher-cache), a rerun reuses the finished runs, and a rerun with other
settings is refused."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jbert.cli import app
from jbert.models.directory import CONFIG_FILE

JGLUE = Path(__file__).resolve().parents[1] / "data" / "jglue"
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--set", "training.progress_bar=false"]


def rows(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


@pytest.fixture
def short_tmp():
    """A short folder: the refusal message shortens values past 80 characters."""
    path = Path(tempfile.mkdtemp(prefix="jb-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def distill(teacher: Path, train: Path, valid: Path, out: Path, *extra) -> object:
    return runner.invoke(app, [*map(str, ["distill", "--teacher", teacher, "--student-layers", 1, "--train", train,
                                          "--valid", valid, "--output", out, *QUICK, *extra])])


def test_a_distillation_sweep_selects_links_shares_the_teacher_and_reruns(finetuned, forwards, short_tmp):
    teacher = finetuned("pair-classification")
    train = rows(JGLUE / "jnli-train.jsonl", short_tmp / "train.jsonl")
    valid = rows(JGLUE / "jnli-valid.jsonl", short_tmp / "valid.jsonl")
    out = short_tmp / "sweep"
    result = distill(teacher, train, valid, out, "--sweep", "distill.alpha=0.0,1.0", "--sweep", "distill.temperature=1,4")
    assert result.exit_code == 0, result.output

    record = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert record["metric"] == "accuracy" and len(record["runs"]) == 4 and len(record["configs"]) == 4
    for run in record["runs"]:
        saved = yaml.safe_load((Path(run["path"]) / CONFIG_FILE).read_text(encoding="utf-8"))
        assert saved["distill"]["alpha"] == run["params"]["distill.alpha"]
        assert saved["distill"]["temperature"] == run["params"]["distill.temperature"]
        assert saved["distill"]["teacher_cache"] == str(out / "teacher-cache")
        assert saved["distill"]["student_layers"] == 1 and saved["distill"]["record"]["student"]["layers"] == 1
    best = (out / "best").resolve()
    assert best == Path(record["selected"]["best_run"]).resolve() and (best / "model.safetensors").is_file()
    scores = {c["config"]: c["mean"] for c in record["configs"]}
    assert max(scores.values()) == record["selected"]["mean"]
    assert "alpha=" in (out / "sweep.md").read_text(encoding="utf-8")

    teacher_rows = sum(forwards)
    assert teacher_rows == 8  # the 8 training rows, once for the 4 runs

    again = distill(teacher, train, valid, out, "--sweep", "distill.alpha=0.0,1.0", "--sweep", "distill.temperature=1,4")
    assert again.exit_code == 0, again.output
    assert sum(forwards) == teacher_rows and "sweep run" not in again.output  # every run reused, nothing rerun

    stale = distill(teacher, train, valid, out, "--sweep", "distill.alpha=0.0,1.0", "--sweep",
                    "distill.temperature=1,4", "--hidden-weight", "1")
    assert stale.exit_code == 1
    assert "distill.hidden_weight (was 0.0, now 1.0)" in stale.output and "4 run(s)" in stale.output, stale.output


def test_a_distillation_sweep_needs_a_validation_file(finetuned, tmp_path):
    teacher = finetuned("pair-regression")
    train = rows(JGLUE / "jsts-train.jsonl", tmp_path / "train.jsonl")
    result = runner.invoke(app, [*map(str, ["distill", "--teacher", teacher, "--student-layers", 1, "--train", train,
                                            "--output", tmp_path / "out", "--sweep", "distill.alpha=0.1,0.9", *QUICK])])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: a sweep selects on the validation set: pass --valid FILE "
                                                  "(or --jglue-dir DIR)"]
