"""`jbert data check embedding`: the layout every row of a file needs, scored validation pairs, and what
defeats in-batch negatives, each at its line; statistics per loss. Hand-written files of a few rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from jbert.cli import app
from jbert.tokenization import load_tokenizer

RUNNER = CliRunner()

TRAIN = [  # anchor / positive / one hard negative: MNRL
    {"anchor": "犬が走る", "positive": "犬が駆ける", "negative": "猫が寝る"},
    {"anchor": "", "positive": "空が青い", "negative": "海"},  # empty anchor
    {"anchor": "犬が走る", "positive": "犬が駆ける", "negative": "鳥"},  # the pair of line 1 again
    {"anchor": "同じ文", "positive": "同じ文", "negative": "別の文"},  # its own positive
    {"anchor": "朝", "positive": "晴れ", "negative": "晴れ"},  # negative = positive
    {"anchor": "昼", "positive": "晴れ", "negative": " "},  # positive of line 5; empty negative
    {"anchor": "夜", "positive": "晴れ", "negative": "雨"},  # positive of line 5
    {"anchor": "犬", "positive": "猫"},  # no negative: another layout
    {"text": "一文"},  # one text: another layout
]
VALID = [  # scored pairs (JSTS)
    {"sentence1": "犬が駆ける", "sentence2": "犬が走る", "label": 4.0},  # train line 1, swapped
    {"sentence1": "昼", "sentence2": "新しい文", "label": 1.0},  # sentence1 is train line 6's anchor
    {"sentence1": "新しい文", "sentence2": "別の新しい文", "label": 2.5},
    {"sentence1": "新しい文", "sentence2": "別の新しい文", "label": 3.5},  # line 3 with another score
    {"sentence1": "別の新しい文", "sentence2": "新しい文", "label": 2.5},  # line 3 swapped, same score
    {"sentence1": "a", "sentence2": "b"},  # no score: another layout
]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def check(*args: str):
    return RUNNER.invoke(app, ["data", "check", "embedding", *args])


def places(report: dict) -> dict[str, list[str]]:
    return {p["kind"]: p["where"] for p in report["problems"]}


def test_every_problem_of_anchor_positive_pairs_at_once(tmp_path):
    train, valid = write(tmp_path / "train.jsonl", TRAIN), write(tmp_path / "valid.jsonl", VALID)
    result = check("--train", str(train), "--valid", str(valid), "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    t, v = f"{train}:", f"{valid}:"
    assert places(report) == {
        "layout": [f"{t}8: this row holds a text pair without a label but line 1 holds a text pair with 1 negative(s)",
                   f"{t}9: this row holds one text but line 1 holds a text pair with 1 negative(s)",
                   f"{v}6: this row holds a text pair without a label but line 1 holds a labelled text pair"],
        "empty_text": [f"{t}2: empty anchor", f"{t}6: empty negative"],
        "conflicting_labels": [f"{v}4: label 3.5, but 2.5 at line 3"],
        "duplicate_pair": [f"{t}3: same pair as line 1", f"{v}5: same pair as line 3"],
        "positive_is_anchor": [f"{t}4: the positive is the anchor itself"],
        "negative_is_positive": [f"{t}5: negative 1 is the row's positive"],
        "shared_positive": [f"{t}6: the positive of line 5 too", f"{t}7: the positive of line 5 too"],
        "overlap": [f"{v}1: same text as train line 1"],
        "query_overlap": [f"{v}2: sentence1 is also in train line 6"],
    }
    assert report["errors"] == 3 and report["warnings"] == 11
    assert report["splits"]["train"]["statistics"] == {
        "loss": {"mnrl": 7},
        "positives per anchor": {"anchors": 6, "min": 1, "mean": 1.0, "max": 1},
        "shared positives": {"positives": 1, "anchors": 3},
    }
    assert "statistics" not in report["splits"]["valid"]  # scored, not trained on


def test_a_validation_file_without_scores_is_an_error_per_row(tmp_path):
    train = write(tmp_path / "train.jsonl", TRAIN[:1])
    valid = write(tmp_path / "valid.jsonl", [{"anchor": "a", "positive": "b"}, {"anchor": "c", "positive": "d"}])
    result = check("--train", str(train), "--valid", str(valid))
    assert result.exit_code == 1
    message = "label None is not a number (scoring an embedding model (Pearson/Spearman of cosine, as JSTS) needs a " \
              "similarity score)"
    assert f"error: 2 rows the task's head rejects\n  {valid}:1: {message}\n  {valid}:2: {message}\n" in result.stdout


def test_scored_pairs_choose_cosent_and_only_warnings_exit_0(tmp_path):
    # a `score` column makes the file scored pairs, whatever its values (labels read as classes otherwise)
    rows = [{"sentence1": "a", "sentence2": "b", "score": 1.5}, {"sentence1": "b", "sentence2": "a", "score": 4},
            {"sentence1": "c", "sentence2": "d", "score": "x"}, {"sentence1": "c", "sentence2": "c", "score": 3.0}]
    train = write(tmp_path / "train.jsonl", rows)
    result = check("--train", str(train))
    assert result.exit_code == 1, result.output  # "x" is no score: finetune would stop on it
    assert f"  {train}:3: label 'x' is not a number (a scored pair needs a similarity score)\n" in result.stdout
    result = check("--train", str(write(tmp_path / "ok.jsonl", rows[:2] + rows[3:])))
    assert result.exit_code == 0, result.output
    assert "  loss: cosent 3\n" in result.stdout
    assert f"warning: 1 pairs that occur again with another label (the model is taught both)\n" \
           f"  {tmp_path / 'ok.jsonl'}:2: label 4, but 1.5 at line 1\n" in result.stdout  # cosine is symmetric
    assert "positive_is_anchor" not in result.stdout and "anchor itself" not in result.stdout  # no in-batch loss


def test_token_lengths_measure_each_text_alone(tmp_path, tiny_model_dir):
    train = write(tmp_path / "train.jsonl", TRAIN[:7])
    report = json.loads(check("--train", str(train), "--model", str(tiny_model_dir), "--json").stdout)
    tokenizer = load_tokenizer(tiny_model_dir)
    longest = [max(len(tokenizer(r[c])["input_ids"]) for c in ("anchor", "positive", "negative")) for r in TRAIN[:7]]
    assert report["tokens"]["splits"]["train"]["percentiles"]["100"] == max(longest)
    assert report["tokens"]["splits"]["train"]["percentiles"]["50"] == int(np.percentile(longest, 50, method="lower"))
