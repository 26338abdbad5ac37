from pathlib import Path

from jbert.config.tasks import load_spec
from jbert.data import Entity
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"


def test_conll_and_jsonl_versions_give_the_same_texts_and_entities():
    ner = load_spec("ner")
    for split in ("train", "valid"):
        conll = list(read(DATA / "ner" / f"{split}.conll", ner))
        jsonl = list(read(DATA / "ner" / f"{split}.jsonl", ner, reader="jsonl"))
        assert [e.text for e in conll] == [e.text for e in jsonl]
        assert [e.entities for e in conll] == [e.entities for e in jsonl]
        assert all(e.entities is not None for e in conll)


def test_ids_lines_and_fields():
    examples = list(read(DATA / "ner" / "train.conll", load_spec("ner")))
    assert len(examples) == 12
    assert [(e.id, e.line) for e in examples[:3]] == [("1", 1), ("2", 11), ("3", 22)]
    assert examples[0].fields["tokens"][:2] == ["山田", "太郎"]
    assert examples[0].fields["tags"][:2] == ["B-PER", "I-PER"]


def test_ascii_words_are_joined_with_a_space_japanese_without(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("-DOCSTART- O\n\nNew B-LOC\nYork I-LOC\nの O\niPhone B-PRD\n15 I-PRD\n。 O\n", encoding="utf-8")
    (example,) = read(path, load_spec("ner"))
    assert example.text == "New YorkのiPhone 15。"
    assert example.entities == (Entity(0, 8, "LOC", "New York"), Entity(9, 18, "PRD", "iPhone 15"))


def test_extra_columns_tag_is_last(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("東京 名詞 B-LOC\nへ 助詞 O\n", encoding="utf-8")
    (example,) = read(path, load_spec("ner"))
    assert example.entities == (Entity(0, 2, "LOC", "東京"),)


def test_the_joined_text_and_token_spans_travel_with_the_example(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("新型 O\nXbox B-PRD\n360 I-PRD\nを O\n買う O\n", encoding="utf-8")
    (example,) = read(path, load_spec("ner"))
    assert example.fields["text"] == example.text == "新型Xbox 360を買う"
    assert example.token_spans == ((0, 2), (2, 6), (7, 10), (10, 11), (11, 13))
    assert example.entities == (Entity(2, 10, "PRD", "Xbox 360"),)


def test_jsonl_token_rows_get_the_joined_text_too(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"tokens": ["iPhone", "15", "を"], "tags": ["B-PRD", "I-PRD", "O"]}\n', encoding="utf-8")
    (example,) = read(path, load_spec("ner"), reader="jsonl")
    assert example.fields["text"] == "iPhone 15を"
    assert example.token_spans == ((0, 6), (7, 9), (9, 10))
