"""`jbert data check`: every kind of problem at once, a golden report, JSON, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from jbert.cli import app

DATA = Path(__file__).parent.parent / "data"
GOLDEN = DATA / "datacheck"
RUNNER = CliRunner()


def run(*args: str):
    return RUNNER.invoke(app, ["data", "check", *args])


def golden_args(model: Path) -> list[str]:
    return ["ner", "--train", str(GOLDEN / "train.jsonl"), "--valid", str(GOLDEN / "valid.jsonl"),
            "--reader", "jsonl", "--set", "task.columns.id=id", "--model", str(model), "--max-length", "24"]


def test_golden_report_lists_every_problem_and_exits_1(tiny_model_dir):
    result = run(*golden_args(tiny_model_dir))
    assert result.exit_code == 1
    text = result.stdout.replace(str(GOLDEN), "DATA").replace(str(tiny_model_dir), "MODEL")
    if os.environ.get("JBERT_REGOLD"):  # regenerate after a deliberate change, then review the diff
        (GOLDEN / "expected.txt").write_text(text, encoding="utf-8")
    assert text == (GOLDEN / "expected.txt").read_text(encoding="utf-8")


def test_json_report_holds_every_place_and_the_same_counts(tiny_model_dir):
    result = run(*golden_args(tiny_model_dir), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["ok"] is False
    kinds = {p["kind"]: p for p in report["problems"]}
    assert {k: p["count"] for k, p in kinds.items()} == {
        "unparseable": 1, "missing_column": 1, "iob": 1, "missing_label": 1, "unknown_label": 1,
        "iob_repaired": 1, "empty_text": 2, "duplicate_id": 1, "overlap": 1, "truncated": 1, "misaligned": 1,
    }
    assert all(len(p["where"]) == p["count"] for p in report["problems"])
    assert report["errors"] == 5 and report["warnings"] == 7
    assert report["labels_only_in_valid"] == ["COMPANY"]
    assert report["splits"]["train"] == {
        "path": str(GOLDEN / "train.jsonl"), "rows": 12, "examples": 9, "rows_in_error": 3,
        "labels": {"LOC": 4, "ORG": 3, "PER": 2, "PRODUCT": 1},
    }
    assert report["tokens"]["max_length"] == 24


def test_places_are_capped_per_kind_with_a_count(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join('{"text": "", "label": "a"}\n' if i % 2 else '{"text": "x", "label": "b"}\n'
                            for i in range(30)), encoding="utf-8")
    result = run("classification", "--train", str(path), "--show", "3")
    assert result.exit_code == 0, result.output  # empty texts are a warning, not an error
    assert "warning: 15 rows with an empty text" in result.stdout
    assert f"  {path}:6: empty text\n  ... and 12 more (--json lists all)" in result.stdout
    assert result.stdout.rstrip().endswith("0 error(s), 15 warning(s): ready to train")


def test_strict_iob_turns_the_repairs_into_errors():
    args = ["ner", "--train", str(DATA / "broken" / "broken.conll")]
    assert "warning: 1 I-X tags" in run(*args).stdout
    result = run(*args, "--set", "data.iob=strict")
    assert result.exit_code == 1
    assert "broken.conll:13: 'I-LOC' does not continue a B-LOC or I-LOC" in result.stdout


def test_classification_labels_and_a_clean_file():
    from collections import Counter

    train, valid = DATA / "jglue" / "jnli-train.jsonl", DATA / "jglue" / "jnli-valid.jsonl"
    result = run("jnli", "--train", str(train), "--valid", str(valid), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["problems"] == [] and report["tokens"] is None
    rows = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines()]
    assert report["splits"]["train"]["labels"] == dict(Counter(r["label"] for r in rows).most_common())


def test_qa_windows_with_a_model(tiny_model_dir):
    result = run("jsquad", "--train", str(DATA / "jglue" / "jsquad-train.json"), "--model", str(tiny_model_dir),
                 "--max-length", "64", "--set", "encoding.doc_stride=16", "--json")
    tokens = json.loads(result.stdout)["tokens"]["splits"]["train"]
    assert tokens["windows"] > tokens["examples"] and tokens["split_into_windows"] > 0
    assert tokens["percentiles"]["100"] > 64


def test_no_training_file_is_a_one_line_error():
    result = run("ner")
    assert result.exit_code == 1 and "no training data: pass --train FILE" in result.output


def test_infinite_regression_labels_are_row_errors_not_a_crash(tmp_path):
    # finetune's rule (PairRegressionHead.target): inf and -Infinity are no numbers; the label statistics
    # used to round them and crash with an OverflowError
    path = tmp_path / "train.jsonl"
    rows = [("a", "b", 3.5), ("c", "d", "inf"), ("e", "f", "-Infinity"), ("g", "h", 1.0)]
    path.write_text("".join(json.dumps({"sentence1": s1, "sentence2": s2, "label": label}) + "\n"
                            for s1, s2, label in rows), encoding="utf-8")
    result = run("jsts", "--train", str(path), "--json")
    assert result.exit_code == 1, result.output  # an error in the data, not a crash (which would exit 1 too)
    assert isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.stdout)
    (problem,) = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem["where"] == [f"{path}:2: label 'inf' is not a number", f"{path}:3: label '-Infinity' is not a number"]
    assert report["splits"]["train"]["labels"] == {"-Infinity": 1, "inf": 1, "~1": 1, "~4": 1}
    text = run("jsts", "--train", str(path))
    assert text.exit_code == 1 and isinstance(text.exception, SystemExit)
    assert f"  {path}:2: label 'inf' is not a number\n" in text.stdout
