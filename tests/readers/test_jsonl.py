import io
import itertools
import json
import sys
from pathlib import Path

from jbert.config.tasks import TaskSpec, load_spec
from jbert.data import Entity
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"


def spec(**columns):
    return TaskSpec(name="t", head="classification", reader="jsonl", metrics=("accuracy",),
                    primary_metric="accuracy", columns=columns)


def test_jsts_maps_columns_keeps_raw_label_and_row():
    examples = list(read(DATA / "jglue" / "jsts-train.jsonl", load_spec("jsts")))
    assert len(examples) == 64
    first = examples[0]
    assert (first.id, first.line) == ("0", 1)
    assert first.text == "川べりでサーフボードを持った人たちがいます。"
    assert first.text_pair == "トイレの壁に黒いタオルがかけられています。"
    assert first.label == 0.0 and examples[1].label == 3.8
    assert first.fields["yjcaptions_id"] == "10005_480798-10996-92616"
    assert first.source.endswith("jsts-train.jsonl")


def test_jcommonsenseqa_named_choice_columns_and_int_ids():
    examples = list(read(DATA / "jglue" / "jcommonsenseqa-valid.jsonl", load_spec("jcommonsenseqa")))
    first = examples[0]
    assert first.id == "8939"  # q_id is a JSON number; ids are strings
    assert first.choices == ("掲示板", "パソコン", "マザーボード", "ハードディスク", "まな板")
    assert first.label == 2 and first.text_pair is None


def test_marc_ja_sample():
    examples = list(read(DATA / "marc_ja" / "train.jsonl", load_spec("marc_ja")))
    assert len(examples) == 16
    assert {e.label for e in examples} == {"positive", "negative"}
    assert examples[0].id == "R000001TEST"


def test_id_falls_back_to_line_number_and_blank_lines_count(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": "b", "id": 7}\n{"text": "c", "id": null}\n', encoding="utf-8")
    examples = list(read(path, spec(id="id")))
    assert [(e.id, e.line) for e in examples] == [("1", 1), ("7", 3), ("4", 4)]
    assert [e.label for e in examples] == [None, None, None]  # no label column: fine for predict


def test_numbers_as_text_are_kept_as_text(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": 12345, "label": 1}\n', encoding="utf-8")
    (example,) = read(path, spec())
    assert example.text == "12345" and example.label == 1


def test_ner_rows_with_character_entities():
    examples = list(read(DATA / "ner" / "train.jsonl", load_spec("ner"), reader="jsonl"))
    first = examples[0]
    assert first.text == "山田太郎は東京に住んでいる。"
    assert first.entities == (Entity(0, 4, "PER", "山田太郎"), Entity(5, 7, "LOC", "東京"))


def test_ner_rows_with_tokens_and_tags(tmp_path):
    path = tmp_path / "x.jsonl"
    row = {"tokens": ["New", "York", "の", "国連"], "tags": ["B-LOC", "I-LOC", "O", "B-ORG"]}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    (example,) = read(path, load_spec("ner"), reader="jsonl")
    assert example.text == "New Yorkの国連"
    assert example.entities == (Entity(0, 8, "LOC", "New York"), Entity(9, 11, "ORG", "国連"))


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO('{"text": "標準入力"}\n'.encode())))
    (example,) = read("-", spec())
    assert example.text == "標準入力" and example.source == "-"


def test_streams_without_reading_the_whole_file(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\nnot json\n', encoding="utf-8")
    first_two = list(itertools.islice(read(path, spec()), 2))  # the bad third line is never parsed
    assert [e.text for e in first_two] == ["a", "b"]


def test_entity_layouts_from_annotation_tools(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "東京と大阪", "entities": [[0, 2, "LOC"], {"start_offset": 3, "end_offset": 5, "label": "LOC"}]}\n',
                    encoding="utf-8")
    (example,) = read(path, load_spec("ner"), reader="jsonl")
    assert example.entities == (Entity(0, 2, "LOC", "東京"), Entity(3, 5, "LOC", "大阪"))
