import logging
from pathlib import Path

import numpy as np
import pytest

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.data import Entity, Example
from jbert.errors import DataFormatError
from jbert.heads import get_head
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"
SPEC = load_spec("ner")
TYPES = ["LOC", "ORG", "PER"]


def ner_head(labels=TYPES):
    return get_head("token")(SPEC, labels)


def ner_examples(split="train", fmt="conll"):
    return list(read(DATA / "ner" / f"{split}.{fmt}", SPEC, reader=fmt))


def perfect_logits(features, num_tags, width=None):
    """Logits that put all mass on each token's gold tag; -100 rows beyond a feature's length."""
    width = width or max(len(f["labels"]) for f in features)
    logits = np.full((len(features), width, num_tags), -100.0, dtype=np.float32)
    for row, feature in enumerate(features):
        gold = np.array(feature["labels"])
        logits[row, : len(gold)] = 0.0
        logits[row, np.flatnonzero(gold >= 0), gold[gold >= 0]] = 10.0
    return logits


def test_labels_are_types_and_the_head_derives_iob2_tags():
    head = ner_head()
    assert head.tags == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    saved = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]  # a saved model's id2label order is kept
    assert ner_head(saved).tags == saved and ner_head(saved).types == ["LOC", "PER"]
    assert ner_head(None).infer_labels(ner_examples()) == TYPES


@pytest.mark.parametrize("fmt", ["conll", "jsonl"])
def test_perfect_logits_decode_to_exactly_the_gold_entities(fast_tokenizer, fmt):
    head = ner_head()
    rows = ner_examples("train", fmt) + ner_examples("valid", fmt)
    features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=64))
    assert head.stats.misaligned == 0 and head.stats.truncated == 0
    first = features[0]
    assert first["labels"][0] == -100 and first["labels"][-1] == -100  # [CLS], [SEP]
    predictions = head.decode(perfect_logits(features, len(head.tags), width=80), features, rows, EncodeOptions())
    assert len(predictions) == len(rows)
    for prediction, example in zip(predictions, rows, strict=True):
        assert prediction.id == example.id
        assert [(e.start, e.end, e.label, e.text) for e in prediction.entities] == [
            (e.start, e.end, e.label, e.text) for e in example.entities
        ]
        assert all(e.score > 0.99 for e in prediction.entities)
    assert head.prediction_values(predictions) == head.reference_values(rows)


def test_offsets_point_into_the_original_text(fast_tokenizer):
    # Full-width letters and a space: NFKC changes them, the entity offsets must not move.
    text = "昨日ＮＨＫ の 山田さんが来た。"
    example = Example(id="1", line=1, text=text, entities=(Entity(2, 5, "ORG", "ＮＨＫ"), Entity(8, 10, "PER", "山田")),
                      fields={"entities": []})
    head = ner_head()
    features = head.encode([example], fast_tokenizer, EncodeOptions(max_length=32))
    (prediction,) = head.decode(perfect_logits(features, len(head.tags)), features, [example], EncodeOptions())
    assert [(e.start, e.end, e.text) for e in prediction.entities] == [(2, 5, "ＮＨＫ"), (8, 10, "山田")]


def test_misaligned_entities_are_widened_counted_and_reported(fast_tokenizer, caplog):
    head = ner_head()
    # A token of 2+ characters (the tiny vocabulary turns the unknown 鈴木 into one [UNK]).
    text, start, end = next(
        (t, s, e)
        for t in ("東京に住んでいる。", "鈴木さんが来た。", "Google の社員")
        for s, e in fast_tokenizer(t, return_offsets_mapping=True)["offset_mapping"]
        if e - s >= 2
    )
    entity = Entity(start, start + 1, "LOC", text[start])
    example = Example(id="1", line=3, source="x.jsonl", text=text, entities=(entity,), fields={"entities": []})
    with caplog.at_level(logging.WARNING, logger="jbert.heads.token"):
        features = head.encode([example], fast_tokenizer, EncodeOptions(max_length=32))
    assert head.stats.misaligned == 1
    assert "1 of 1 entities do not start and end on token boundaries" in caplog.text and "x.jsonl:3" in caplog.text
    (prediction,) = head.decode(perfect_logits(features, len(head.tags)), features, [example], EncodeOptions())
    assert [(e.start, e.end) for e in prediction.entities] == [(start, end)]  # the whole token, not dropped


def test_truncated_sentences_are_counted(fast_tokenizer):
    head = ner_head()
    rows = ner_examples()
    features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=6))
    assert head.stats.truncated == len(rows) and all(len(f["input_ids"]) <= 6 for f in features)


def test_forward_with_the_tiny_model_on_both_readers(fast_tokenizer, tiny_model_dir, run_model):
    head = ner_head()
    model = head.model(str(tiny_model_dir))
    assert model.config.id2label[1] == "B-LOC" and model.config.num_labels == 7
    for fmt in ("conll", "jsonl"):
        rows = ner_examples("valid", fmt)
        features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=64))
        outputs = run_model(head, model, features, fast_tokenizer)
        assert outputs.shape[0] == len(rows) and outputs.shape[2] == 7
        predictions = head.decode(outputs, features, rows, EncodeOptions())
        assert [p.id for p in predictions] == [e.id for e in rows]
        for p, e in zip(predictions, rows, strict=True):
            assert all(e.text[x.start : x.end] == x.text and x.label in TYPES for x in p.entities)


def test_prediction_text_needs_no_annotations(fast_tokenizer, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("山田さんは京都へ行った。\n", encoding="utf-8")
    rows = list(read(path, SPEC, reader="text"))
    features = ner_head().encode(rows, fast_tokenizer, EncodeOptions(max_length=32, train=False))
    assert "labels" not in features[0]


def test_unknown_type_and_missing_annotations(tmp_path):
    with pytest.raises(DataFormatError, match=r"train.conll:1: unknown entity type 'PER'; known: LOC, ORG"):
        ner_head(["LOC", "ORG"]).validate(ner_examples())
    path = tmp_path / "plain.jsonl"
    path.write_text('{"text": "東京"}\n', encoding="utf-8")
    rows = list(read(path, SPEC, reader="jsonl"))
    with pytest.raises(DataFormatError, match=r"plain.jsonl:1: no entity annotations \(no column 'entities' or 'tags'\)"):
        ner_head().validate(rows)
    with pytest.raises(DataFormatError, match=r"plain.jsonl:1: the training file has no entities"):
        ner_head(None).infer_labels(rows)
