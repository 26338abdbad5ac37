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
