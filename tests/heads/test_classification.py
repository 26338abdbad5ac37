import csv
import math
from pathlib import Path

import numpy as np
import pytest

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.errors import DataFormatError
from jbert.heads import get_head
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"


def head_for(task, labels="spec"):
    spec = load_spec(task)
    return get_head(spec.head)(spec, spec.labels if labels == "spec" else labels)


def examples(path, task, reader=None):
    return list(read(path, load_spec(task), reader=reader))


@pytest.fixture(scope="module")
def marc_model(tiny_model_dir):
    return head_for("marc_ja").model(str(tiny_model_dir))


def test_marc_ja_encode_collate_forward_decode(fast_tokenizer, marc_model, run_model):
    head = head_for("marc_ja")
    valid = examples(DATA / "marc_ja" / "valid.jsonl", "marc_ja")
    features = head.encode(valid, fast_tokenizer, EncodeOptions(max_length=64))
    assert [f["labels"] for f in features[:2]] == [0, 1]  # positive, negative in the spec's order
    assert marc_model.config.id2label == {0: "positive", 1: "negative"} and marc_model.config.num_labels == 2
    outputs = run_model(head, marc_model, features, fast_tokenizer)
    assert outputs.shape == (len(valid), 2)
    predictions = head.decode(outputs, features, valid, EncodeOptions())
    assert [p.id for p in predictions] == [e.id for e in valid]
    for p in predictions:
        assert p.label in ("positive", "negative")
        assert math.isclose(sum(p.probabilities.values()), 1.0, rel_tol=1e-5)
        assert p.score == max(p.probabilities.values())
    assert head.prediction_values(predictions) == [p.label for p in predictions]
    assert head.reference_values(valid)[:2] == ["positive", "negative"]
    assert (head.stats.examples, head.stats.features, head.stats.truncated) == (8, 8, 0)


def test_same_head_on_csv_and_text_readers(fast_tokenizer, marc_model, run_model, tmp_path):
    rows = [(e.text, e.label) for e in examples(DATA / "marc_ja" / "valid.jsonl", "marc_ja")]
    path = tmp_path / "reviews.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("sentence", "label"), *rows])
    head = head_for("marc_ja")
    from_csv = examples(path, "marc_ja", reader="csv")
    assert head.reference_values(from_csv) == [label for _, label in rows]
    text_path = tmp_path / "reviews.txt"
    text_path.write_text("\n".join(t for t, _ in rows) + "\n", encoding="utf-8")
    plain = examples(text_path, "marc_ja", reader="text")
    features = head.encode(plain, fast_tokenizer, EncodeOptions(max_length=64, train=False))
    assert "labels" not in features[0]
    predictions = head.decode(run_model(head, marc_model, features, fast_tokenizer), features, plain, EncodeOptions())
    assert [p.id for p in predictions] == [str(i) for i in range(1, 9)]


def test_jcola_integer_labels_are_label_strings(fast_tokenizer, tmp_path):
    path = tmp_path / "jcola.jsonl"
    path.write_text('{"uid": 1, "sentence": "太郎が本を読んだ。", "label": 1}\n'
                    '{"uid": 2, "sentence": "本が太郎を読んだを。", "label": 0}\n', encoding="utf-8")
    head = head_for("jcola")
    rows = examples(path, "jcola")
    features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=32))
    assert [f["labels"] for f in features] == [1, 0]
    assert head.reference_values(rows) == ["1", "0"]


def test_jnli_pairs(fast_tokenizer, tiny_model_dir, run_model):
    head = head_for("jnli")
    valid = examples(DATA / "jglue" / "jnli-valid.jsonl", "jnli")[:6]
    features = head.encode(valid, fast_tokenizer, EncodeOptions(max_length=128))
    assert 1 in features[0]["token_type_ids"]  # the second sentence is segment 1
    model = head.model(str(tiny_model_dir))
    predictions = head.decode(run_model(head, model, features, fast_tokenizer), features, valid, EncodeOptions())
    assert len(predictions) == 6
    assert set(predictions[0].probabilities) == {"entailment", "contradiction", "neutral"}


def test_jsts_regression(fast_tokenizer, tiny_model_dir, run_model):
    head = head_for("jsts")
    valid = examples(DATA / "jglue" / "jsts-valid.jsonl", "jsts")[:5]
    features = head.encode(valid, fast_tokenizer, EncodeOptions(max_length=128))
    assert [f["labels"] for f in features] == [0.0, 2.4, *[float(e.label) for e in valid[2:]]]
    model = head.model(str(tiny_model_dir))
    assert model.config.num_labels == 1 and model.config.problem_type == "regression"
    outputs = run_model(head, model, features, fast_tokenizer)
    assert outputs.shape == (5, 1)
    predictions = head.decode(outputs, features, valid, EncodeOptions())
    assert [p.score for p in predictions] == pytest.approx(outputs[:, 0].tolist())
    assert all(isinstance(v, float) for v in head.prediction_values(predictions))
    assert head.reference_values(valid)[:2] == [0.0, 2.4]


def test_regression_labels_from_csv_strings(tmp_path):
    path = tmp_path / "sts.csv"
    path.write_text("sentence1,sentence2,label\n犬,猫,3.8\n", encoding="utf-8")
    head = head_for("jsts")
    assert head.reference_values(examples(path, "jsts", reader="csv")) == [3.8]


def test_infer_labels_sorted_and_needs_two(tmp_path):
    head = head_for("classification", labels=None)
    rows = examples(DATA / "marc_ja" / "train.jsonl", "marc_ja")
    assert head.infer_labels(rows) == ["negative", "positive"]
    same = [r for r in rows if r.label == "positive"]
    with pytest.raises(DataFormatError, match=r"train.jsonl:1: every training label is 'positive' \(a classifier"):
        head.infer_labels(same)


def test_truncation_is_counted(fast_tokenizer):
    head = head_for("marc_ja")
    valid = examples(DATA / "marc_ja" / "valid.jsonl", "marc_ja")
    features = head.encode(valid, fast_tokenizer, EncodeOptions(max_length=8))
    assert all(len(f["input_ids"]) <= 8 for f in features)
    assert head.stats.truncated == 8


BAD = DATA / "bad"


@pytest.mark.parametrize("task, name, expected", [
    ("marc_ja", "unknown_label.jsonl",
     ":2: unknown label 'neutral'; known labels: positive, negative (fix the row or add the label to the task spec's labels)"),
    ("marc_ja", "missing_label.jsonl",
     ":2: no label: no column 'label' (columns in this row: sentence) (set --label-column or the task spec's columns.label)"),
    ("jsts", "regression_label.jsonl",
     ":2: label 'high' is not a number (a regression label is a number such as 3.8)"),
])
def test_label_errors_name_file_and_line(fast_tokenizer, task, name, expected):
    head = head_for(task)
    rows = examples(BAD / name, task)
    with pytest.raises(DataFormatError) as info:
        head.validate(rows, train=True)
    assert str(info.value) == f"{BAD / name}{expected}"
    head.validate(rows, train=False)  # prediction needs no labels
    with pytest.raises(DataFormatError):
        head.encode(rows, fast_tokenizer, EncodeOptions())


def test_pair_task_without_second_text(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("一文だけ\n", encoding="utf-8")
    rows = list(read(path, load_spec("marc_ja"), reader="text"))  # spec without text_pair: no split
    with pytest.raises(DataFormatError, match=r"x.txt:1: no second text \(text_pair\) for a sentence-pair task"):
        head_for("jnli").validate(rows, train=False)


def test_decode_ignores_nothing_and_keeps_example_order():
    head = head_for("marc_ja")
    rows = examples(DATA / "marc_ja" / "valid.jsonl", "marc_ja")[:3]
    features = [{"example_index": i} for i in (2, 0, 1)]
    logits = np.array([[0.0, 5.0], [5.0, 0.0], [0.0, 5.0]])
    predictions = head.decode(logits, features, rows, EncodeOptions())
    assert [p.label for p in predictions] == ["positive", "negative", "negative"]


def test_without_explicit_labels_the_spec_labels_apply():
    spec = load_spec("jnli")
    assert get_head("pair-classification")(spec).labels == ["entailment", "contradiction", "neutral"]
    assert get_head("pair-classification")(spec, ["a", "b"]).labels == ["a", "b"]
