"""Output rows, formats, atomic files and metric tables."""

from __future__ import annotations

import csv
import json
import math
import os

import pytest

from jbert.data import Entity, Example, Prediction
from jbert.errors import ConfigError, UnknownNameError
from jbert.writers import (
    atomic_output,
    confusion_table,
    markdown_table,
    metrics_table,
    open_rows,
    output_format,
    prediction_row,
    write_metrics_json,
)

EX = Example(
    id="7",
    line=3,
    text="今日は晴れ",
    fields={"review_id": "7", "sentence": "今日は晴れ", "label": "positive"},
)
PRED = Prediction(
    id="7", line=3, label="negative", score=0.75, probabilities={"negative": 0.75, "positive": 0.25}
)


def test_prediction_row_keeps_id_fields_and_renames_a_clashing_gold_column():
    row = prediction_row(EX, PRED)
    assert row == {
        "id": "7",
        "review_id": "7",
        "sentence": "今日は晴れ",
        "input_label": "positive",
        "label": "negative",
        "score": 0.75,
        "probabilities": {"negative": 0.75, "positive": 0.25},
    }


def test_prediction_row_entities_and_unset_fields():
    ex = Example(id="1", line=1, text="山田さん", fields={"text": "山田さん"})
    pred = Prediction(id="1", line=1, entities=(Entity(0, 2, "PER", text="山田", score=0.9),))
    assert prediction_row(ex, pred) == {
        "id": "1",
        "text": "山田さん",
        "entities": [{"text": "山田", "label": "PER", "start": 0, "end": 2, "score": 0.9}],
    }


def test_prediction_row_keeps_a_different_id_field():
    ex = Example(id="q1", line=1, fields={"id": 5, "q_id": "q1"})
    assert prediction_row(ex, Prediction(id="q1", line=1, score=1.0)) == {
        "id": "q1",
        "input_id": 5,
        "q_id": "q1",
        "score": 1.0,
    }


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        ("out.csv", None, "csv"),
        ("out.TSV", None, "tsv"),
        ("out.txt", None, "jsonl"),
        ("-", None, "jsonl"),
        (None, "tsv", "tsv"),
        ("out.csv", "jsonl", "jsonl"),
    ],
)
def test_output_format(path, fmt, expected):
    assert output_format(path, fmt) == expected


def test_unknown_format_lists_the_formats():
    with pytest.raises(UnknownNameError, match="unknown output format 'xml'; available: csv, jsonl, tsv"):
        output_format("x", "xml")


def test_jsonl_rows(tmp_path):
    out = tmp_path / "p.jsonl"
    with open_rows(out) as w:
        w.write([prediction_row(EX, PRED), {"id": "8", "score": float("nan")}])
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["sentence"] == "今日は晴れ"  # not \\u-escaped
    assert "今日は晴れ" in lines[0]
    assert json.loads(lines[1]) == {"id": "8", "score": None}
    assert w.rows == 2


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_csv_tsv_rows_have_a_header_and_json_cells(tmp_path, fmt, delimiter):
    out = tmp_path / f"p.{fmt}"
    with open_rows(out) as w:
        w.write([prediction_row(EX, PRED), {"id": "9", "label": "positive", "other": 1}])
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=delimiter))
    assert list(rows[0]) == ["id", "review_id", "sentence", "input_label", "label", "score", "probabilities"]
    assert json.loads(rows[0]["probabilities"]) == {"negative": 0.75, "positive": 0.25}
    assert rows[1]["id"] == "9" and rows[1]["sentence"] == "" and "other" not in rows[1]


def test_stdout(capsys):
    with open_rows("-") as w:
        w.write([{"id": "1", "label": "a"}])
    assert capsys.readouterr().out == '{"id": "1", "label": "a"}\n'


def test_failed_write_leaves_no_file_and_no_temp(tmp_path):
    out = tmp_path / "p.jsonl"
    with pytest.raises(RuntimeError), open_rows(out) as w:
        w.write([{"id": "1"}])
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    out = tmp_path / "p.jsonl"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_output(out) as f:
        f.write("new")
        raise RuntimeError("boom")
    assert out.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [out]


def test_output_into_a_missing_folder_is_a_clear_error(tmp_path):
    target = tmp_path / "nope" / "p.jsonl"
    with pytest.raises(
        ConfigError, match=f"^{target}: the folder {target.parent} does not exist; create it first$"
    ):
        with open_rows(target):
            pass


def test_output_onto_a_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="is a directory; give a file name for the output"):
        with atomic_output(tmp_path):
            pass


def test_output_onto_a_pipe_or_device_is_refused_not_replaced(tmp_path):
    # a pipe stands for any special file (never /dev/null itself: a broken build would replace it, as root)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ConfigError, match=r"is not a regular file; give a file name for the output \(or - for"):
        with atomic_output(tmp_path / "pipe") as stream:
            stream.write("x")
    assert (tmp_path / "pipe").is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_metrics_json(tmp_path):
    out = tmp_path / "m.json"
    write_metrics_json(out, {"pearson": 0.5, "bad": math.nan, "task": "jsts"})
    assert json.loads(out.read_text()) == {"pearson": 0.5, "bad": None, "task": "jsts"}


def test_tables():
    assert metrics_table({"f1": 0.5, "accuracy": 2 / 3}) == (
        "| metric | value |\n| --- | --- |\n| accuracy | 0.6667 |\n| f1 | 0.5000 |"
    )
    assert markdown_table(["a", "b"], [[None, "x|y"]]) == "| a | b |\n| --- | --- |\n| - | x\\|y |"
    cm = {"labels": ["a", "b"], "matrix": [[2, 0], [1, 3]]}
    assert confusion_table(cm).splitlines()[2:] == ["| a | 2 | 0 |", "| b | 1 | 3 |"]


def test_entities_of_pretokenized_input_name_their_first_and_last_token():
    # "新型Xbox 360を買う" from the tokens 新型 | Xbox | 360 | を | 買う
    spans = ((0, 2), (2, 6), (7, 10), (10, 11), (11, 13))
    ex = Example(id="1", line=1, text="新型Xbox 360を買う", fields={"text": "新型Xbox 360を買う"}, token_spans=spans)
    pred = Prediction(id="1", line=1, entities=(Entity(2, 10, "PRD", "Xbox 360"), Entity(11, 13, "ACT", "買う")))
    row = prediction_row(ex, pred)
    assert row["text"][2:10] == "Xbox 360"
    assert [(e["first_token"], e["last_token"]) for e in row["entities"]] == [(1, 2), (4, 4)]


def test_entities_of_raw_text_input_have_no_token_indices():
    ex = Example(id="1", line=1, text="山田さん", fields={"text": "山田さん"})
    row = prediction_row(ex, Prediction(id="1", line=1, entities=(Entity(0, 2, "PER", "山田"),)))
    assert "first_token" not in row["entities"][0]
