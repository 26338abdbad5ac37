"""`jbert distill` through CliRunner: a student from a model directory with hidden-state matching, the
output used by eval / predict / export / report, and every user error as one line and exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jbert.cli import app
from jbert.models.directory import CONFIG_FILE

JGLUE = Path(__file__).resolve().parents[1] / "data" / "jglue"
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--set", "training.progress_bar=false"]


def invoke(*args) -> object:
    return runner.invoke(app, [*map(str, args)])


def fails_with(result, message: str) -> None:
    """Exit code 1 and one line starting ``error: <message>``."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {message}"), lines[0]


def rows(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


@pytest.fixture
def jsts(finetuned, tmp_path) -> dict[str, Path]:
    return {"teacher": finetuned("pair-regression"), "train": rows(JGLUE / "jsts-train.jsonl", tmp_path / "train.jsonl"),
            "valid": rows(JGLUE / "jsts-valid.jsonl", tmp_path / "valid.jsonl")}


def test_student_directory_with_hidden_matching_then_eval_predict_export_report(jsts, wide_student, tmp_path):
    student = wide_student
    out = tmp_path / "out"
    result = invoke("distill", "jsts", "--teacher", jsts["teacher"], "--student", student, "--train", jsts["train"],
                    "--valid", jsts["valid"], "--output", out, "--hidden-weight", 1.0, "--alpha", 0.7,
                    "--temperature", 3, *QUICK)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["distill"]["hidden_weight"] == 1.0 and saved["distill"]["alpha"] == 0.7
    assert saved["distill"]["record"]["matched_layers"] == [2] and saved["model"]["name_or_path"] == str(student)
    assert json.loads((out / "config.json").read_text())["hidden_size"] == 48
    assert "teacher" in json.loads((out / "metrics.json").read_text())
    assert not any("project" in line for line in _weight_names(out))  # the projection stays behind

    evaluated = invoke("eval", "--model", out, "--data", jsts["valid"])
    assert evaluated.exit_code == 0 and "pearson" in evaluated.output, evaluated.output
    predicted = invoke("predict", jsts["valid"], "--model", out, "--output", tmp_path / "p.jsonl")
    assert predicted.exit_code == 0, predicted.output
    assert len((tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()) == 8
    exported = invoke("export", "--model", out, "--output", tmp_path / "int8", "--format", "torch", "--quantize", "int8")
    assert exported.exit_code == 0, exported.output
    reported = invoke("report", out, "--output", tmp_path / "r.html")
    assert reported.exit_code == 0 and (tmp_path / "r.html").is_file(), reported.output


def _weight_names(model_dir: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as f:
        return list(f.keys())


def test_a_teacher_without_jbert_config_is_one_line(tiny_model_dir, jsts, tmp_path):
    fails_with(invoke("distill", "--teacher", tiny_model_dir, "--student-layers", 1, "--train", jsts["train"],
                      "--output", tmp_path / "o"),
               f"--teacher: {tiny_model_dir} has no jbert_config.yaml: not a jbert fine-tuned model directory")


def test_a_student_with_another_tokenizer_is_one_line(jsts, tiny_model_dir, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    with (other / "vocab.txt").open("a", encoding="utf-8") as f:
        f.write("新語\n")
    fails_with(invoke("distill", "--teacher", jsts["teacher"], "--student", other, "--train", jsts["train"],
                      "--output", tmp_path / "o"),
               f"--student {other} does not tokenize as the teacher does (vocab_sha256: ")


@pytest.mark.parametrize(("flags", "message"), [
    ([], "give the student as --student MODEL (a model directory with the teacher's tokenizer) or --student-layers N"),
    (["--student-layers", 1, "--student", "x"], "give the student as --student MODEL"),
    (["--student-layers", 2], "--student-layers 2: the teacher has 2 layers; choose 1 to 1"),
    (["--student-layers", 1, "--alpha", 1.5], "distill.alpha must be in [0, 1], got 1.5"),
    (["--student-layers", 1, "--temperature", 0], "distill.temperature must be > 0, got 0.0"),
    (["--student-layers", 1, "--unlabeled", "missing.txt"], "unlabeled file not found: missing.txt"),
    (["--student-layers", 1, "--set", "distill.tempreature=2"], "--set: unknown key 'distill.tempreature'; valid keys"),
])
def test_bad_settings_are_one_line(flags, message, jsts, tmp_path):
    fails_with(invoke("distill", "--teacher", jsts["teacher"], "--train", jsts["train"], "--valid", jsts["valid"],
                      "--output", tmp_path / "o", *flags, *QUICK), message)


def test_missing_flags_and_files_are_one_line(jsts, tmp_path):
    fails_with(invoke("distill", "--student-layers", 1), "missing --teacher, --train, --output: e.g. `jbert distill")
    fails_with(invoke("distill", "--teacher", jsts["teacher"], "--student-layers", 1, "--train", tmp_path / "no.jsonl",
                      "--output", tmp_path / "o"), f"training file not found: {tmp_path / 'no.jsonl'}")
    fails_with(invoke("distill", "--teacher", tmp_path / "nowhere", "--student-layers", 1, "--train", jsts["train"],
                      "--output", tmp_path / "o"), f"--teacher: model directory not found: {tmp_path / 'nowhere'}")


def test_a_task_that_is_not_the_teachers_is_one_line(jsts, tmp_path):
    fails_with(invoke("distill", "jnli", "--teacher", jsts["teacher"], "--student-layers", 1, "--train", jsts["train"],
                      "--output", tmp_path / "o"),
               f"task 'jnli' has a pair-classification head but the teacher {jsts['teacher']} was fine-tuned for 'jsts'")


def test_output_that_holds_a_model_and_labels_missing_from_training_rows(jsts, tmp_path):
    out = tmp_path / "out"
    args = ["distill", "--teacher", jsts["teacher"], "--student-layers", 1, "--train", jsts["train"], "--output", out, *QUICK]
    assert invoke(*args).exit_code == 0
    fails_with(invoke(*args), f"{out} already holds a trained model; choose another --output")
    unlabeled = tmp_path / "nolabel.jsonl"
    unlabeled.write_text(json.dumps({"sentence1": "犬が走る。", "sentence2": "猫が寝る。"}, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    fails_with(invoke("distill", "--teacher", jsts["teacher"], "--student-layers", 1, "--train", unlabeled,
                      "--output", tmp_path / "o2"), f"{unlabeled}:1: no label")


def test_report_to_tensorboard_logs_the_distillation(jsts, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "out"
    result = invoke("distill", "--teacher", jsts["teacher"], "--student-layers", 1, "--train", jsts["train"],
                    "--valid", jsts["valid"], "--output", out, "--report-to", "tensorboard",
                    "--set", "training.logging_steps=1", *QUICK)
    assert result.exit_code == 0, result.output
    events = list((out / "checkpoints" / "runs").glob("*/events.out.tfevents.*"))
    assert events, f"no event file under {out / 'checkpoints' / 'runs'}"
    scalars = EventAccumulator(str(events[0].parent)).Reload().Tags()["scalars"]
    assert {"train/loss", "eval/pearson"} <= set(scalars)
