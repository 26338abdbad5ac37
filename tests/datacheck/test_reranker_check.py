"""`jbert data check reranker`: the query groups the listwise loss needs (errors, as finetune stops on
them), queries without a relevant document, repeated and conflicting pairs, queries shared with the
training file, and documents / relevant documents per query. Hand-written files of a few rows."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jbert.cli import app

RUNNER = CliRunner()

GROUPED = [  # query_id on (almost) every row: the listwise loss
    {"query": "首都は？", "document": "東京です", "label": 1, "query_id": "q1"},
    {"query": "首都は？", "document": "大阪です", "label": 0, "query_id": "q1"},
    {"query": "首都は？", "document": "東京です", "label": 0, "query_id": "q1"},  # line 1 with another label
    {"query": "山は？", "document": "富士山", "label": 0, "query_id": "q2"},  # q2: no relevant document
    {"query": "山は？", "document": "", "label": 0, "query_id": "q2"},  # empty document
    {"query": "川は？", "document": "信濃川", "label": 1, "query_id": "q3"},  # q3: one document
    {"query": "海は？", "document": "太平洋", "label": 2},  # no query_id among rows with one
    {"query": "首都は？", "document": "大阪です", "label": 0, "query_id": "q1"},  # line 2 again
]
PAIRS = [  # no query_id: pair by pair (binary cross-entropy); queries by their text
    {"query": "首都は？", "document": "東京です", "label": 1},  # a training pair (and query)
    {"query": "首都は？", "document": "京都です", "label": 0},
    {"query": "湖は？", "document": "琵琶湖", "label": 0},  # 湖は？: no relevant document
    {"query": "湖は？", "document": "霞ヶ浦", "label": 0},
    {"query": "島は？", "document": "佐渡", "label": "x"},  # not a relevance
]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def check(*args: str):
    return RUNNER.invoke(app, ["data", "check", "reranker", *args])


def test_every_problem_of_query_groups_at_once(tmp_path):
    train, valid = write(tmp_path / "train.jsonl", GROUPED), write(tmp_path / "valid.jsonl", PAIRS)
    result = check("--train", str(train), "--valid", str(valid), "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    t, v = f"{train}:", f"{valid}:"
    assert {p["kind"]: p["where"] for p in report["problems"]} == {
        "invalid": [f"{v}5: label 'x' is not a relevance 0, 1, 2 ..."],
        "missing_group": [f"{t}7: no 'query_id' while other rows have one"],
        "small_group": [f"{t}6: group 'q3' has one document"],
        "group_without_positive": [f"{t}4: none of the 2 document(s) of group 'q2' is relevant (label >= 1)"],
        "query_without_positive": [f"{v}3: none of the 2 document(s) of the query is relevant (label >= 1)"],
        "empty_text": [f"{t}5: empty document"],
        "conflicting_labels": [f"{t}3: label 0, but 1 at line 1"],
        "duplicate_pair": [f"{t}8: same pair as line 2"],
        "overlap": [f"{v}1: same text as train line 1"],
        "query_overlap": [f"{v}1: query also in train line 1"],
    }
    assert report["errors"] == 4 and report["warnings"] == 6
    assert report["splits"]["train"]["statistics"] == {
        "loss": {"listwise": 7, "binary cross-entropy": 1},
        "documents per query": {"queries": 3, "min": 1, "mean": 2.33, "max": 4},
        "relevant per query": {"min": 0, "mean": 0.67, "max": 1, "none": 1},
    }
    assert report["splits"]["valid"]["statistics"] == {  # the rows the head accepts (not line 5)
        "documents per query": {"queries": 2, "min": 2, "mean": 2.0, "max": 2},
        "relevant per query": {"min": 0, "mean": 0.5, "max": 1, "none": 1},
    }


def test_pairs_without_groups_only_warn_and_print_their_statistics(tmp_path):
    train = write(tmp_path / "train.jsonl", PAIRS[:4] + [{**PAIRS[0], "label": 0}])
    result = check("--train", str(train))
    assert result.exit_code == 0, result.output  # conflicting labels train (both are taught): a warning
    assert result.stdout.splitlines()[2:6] == [
        "  labels: 0 4, 1 1",
        "  loss: binary cross-entropy 5",
        "  documents per query: queries 2, min 2, mean 2.5, max 3",
        "  relevant per query: min 0, mean 0.5, max 1, none 1",
    ]
    assert f"warning: 1 pairs that occur again with another label (the model is taught both)\n" \
           f"  {train}:5: label 0, but 1 at line 1\n" in result.stdout
    assert f"  {train}:3: none of the 2 document(s) of the query is relevant (label >= 1)\n" in result.stdout
    assert result.stdout.rstrip().endswith("0 error(s), 2 warning(s): ready to train")


def test_training_loss_bce_checks_grouped_rows_as_pairs(tmp_path):
    train = write(tmp_path / "train.jsonl", GROUPED[:6])  # q2 has no relevant document, q3 one document
    result = check("--train", str(train), "--set", "training.loss=bce", "--json")
    report = json.loads(result.stdout)
    kinds = {p["kind"] for p in report["problems"]}
    assert "small_group" not in kinds and "group_without_positive" not in kinds  # no groups are formed
    assert "query_without_positive" in kinds and report["errors"] == 0, report["problems"]
    assert report["splits"]["train"]["statistics"]["loss"] == {"binary cross-entropy": 6}
