import json
from pathlib import Path

import numpy as np
import pytest

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.errors import DataFormatError
from jbert.heads import get_head
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"
SPEC = load_spec("jcommonsenseqa")


def jcqa(split="valid"):
    return list(read(DATA / "jglue" / f"jcommonsenseqa-{split}.jsonl", SPEC))


def test_jcommonsenseqa_encode_collate_forward_decode(fast_tokenizer, tiny_model_dir, run_model):
    head = get_head("choice")(SPEC)
    rows = jcqa()[:6]
    features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=64))
    assert len(features[0]["input_ids"]) == 5 and features[0]["labels"] == 2
    batch = head.collator(fast_tokenizer)(features[:3])
    assert batch["input_ids"].shape[:2] == (3, 5) and batch["labels"].tolist() == [r.label for r in rows[:3]]
    model = head.model(str(tiny_model_dir))
    outputs = run_model(head, model, features, fast_tokenizer, batch_size=4)
    assert outputs.shape == (6, 5)
    predictions = head.decode(outputs, features, rows, EncodeOptions())
    assert [p.id for p in predictions] == [r.id for r in rows]
    assert all(0 <= p.label < 5 and set(p.probabilities) == {"0", "1", "2", "3", "4"} for p in predictions)
    assert head.prediction_values(predictions) == [p.label for p in predictions]
    assert head.reference_values(rows) == [r.label for r in rows]


def test_decode_picks_the_highest_choice():
    head = get_head("choice")(SPEC)
    rows = jcqa()[:2]
    logits = np.array([[0, 0, 9, 0, 0], [1, 0, 0, 0, 0]], dtype=np.float32)
    predictions = head.decode(logits, [{"example_index": 0}, {"example_index": 1}], rows, EncodeOptions())
    assert [p.label for p in predictions] == [2, 0]
    assert predictions[0].score == pytest.approx(predictions[0].probabilities["2"])


def test_list_column_any_number_of_choices_and_text_labels(fast_tokenizer, tmp_path):
    path = tmp_path / "mc.jsonl"
    rows = [{"id": "a", "question": "空の色は？", "choices": ["赤", "青", "緑"], "label": "青"},
            {"id": "b", "question": "海の味は？", "choices": ["甘い", "しょっぱい", "苦い"], "label": "1"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    spec = load_spec("multiple_choice")
    examples = list(read(path, spec))
    head = get_head("choice")(spec)
    features = head.encode(examples, fast_tokenizer, EncodeOptions(max_length=32))
    assert [len(f["input_ids"]) for f in features] == [3, 3]
    assert [f["labels"] for f in features] == [1, 1]


def test_truncation_is_counted_once_per_question(fast_tokenizer):
    head = get_head("choice")(SPEC)
    head.encode(jcqa()[:4], fast_tokenizer, EncodeOptions(max_length=8))
    assert head.stats.truncated == 4


def test_bad_labels_and_choice_counts(tmp_path):
    spec = load_spec("multiple_choice")
    bad = DATA / "bad" / "choice_label.jsonl"
    with pytest.raises(DataFormatError) as info:
        get_head("choice")(spec).validate(list(read(bad, spec)))
    assert str(info.value) == (f"{bad}:2: label 5 is not a choice index 0-1 nor a choice's text "
                               "(the label is the index of the right choice)")
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"question": "q", "choices": ["a", "b"]}\n{"question": "r", "choices": ["a", "b", "c"]}\n',
                    encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"mixed.jsonl:2: 3 choices, but line 1 has 2"):
        get_head("choice")(spec).validate(list(read(path, spec)), train=False)
