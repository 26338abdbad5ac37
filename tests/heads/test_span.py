import logging
from pathlib import Path

import numpy as np
import pytest

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.data import Answer, Example
from jbert.errors import DataFormatError
from jbert.heads import get_head
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"
SPEC = load_spec("jsquad")


def jsquad(split="valid"):
    return list(read(DATA / "jglue" / f"jsquad-{split}.json", SPEC))


def perfect_outputs(features, width=None):
    """(start, end) logits with all mass on each window's gold positions, -100 past its length."""
    width = width or max(len(f["input_ids"]) for f in features)
    start = np.full((len(features), width), -100.0, dtype=np.float32)
    end = start.copy()
    for row, f in enumerate(features):
        start[row, : len(f["input_ids"])] = end[row, : len(f["input_ids"])] = 0.0
        start[row, f["start_positions"]] = end[row, f["end_positions"]] = 10.0
    return start, end


def on_token_boundaries(tokenizer, example):
    spans = tokenizer(example.text_pair, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    answer = example.answers[0]
    return answer.start in {s for s, _ in spans} and answer.start + len(answer.text) in {e for _, e in spans}


@pytest.mark.parametrize("max_length, doc_stride", [(384, 128), (64, 32)])
def test_perfect_logits_decode_to_the_gold_answers(fast_tokenizer, max_length, doc_stride):
    head = get_head("span")(SPEC)
    rows = jsquad("train") + jsquad("valid")
    options = EncodeOptions(max_length=max_length, doc_stride=doc_stride)
    features = head.encode(rows, fast_tokenizer, options)
    assert [f["example_index"] for f in features] == sorted(f["example_index"] for f in features)
    assert all(len(f["input_ids"]) <= max_length for f in features)
    if max_length == 64:
        assert 2 * len(rows) < len(features) < 10 * len(rows)  # overlapping windows, not a crawl
    predictions = head.decode(perfect_outputs(features, width=max_length + 7), features, rows, options)
    assert [p.id for p in predictions] == [e.id for e in rows]
    aligned = [on_token_boundaries(fast_tokenizer, e) for e in rows]
    assert head.stats.misaligned == aligned.count(False)
    for prediction, example, exact in zip(predictions, rows, aligned, strict=True):
        gold = example.answers[0]
        assert example.text_pair[prediction.start : prediction.end] == prediction.answer
        if exact:
            assert (prediction.answer, prediction.start) == (gold.text, gold.start)
        else:
            assert prediction.start <= gold.start and prediction.end >= gold.start + len(gold.text)
    values, refs = head.prediction_values(predictions), head.reference_values(rows)
    assert all(v in r for v, r, exact in zip(values, refs, aligned, strict=True) if exact)
    assert aligned.count(True) > len(rows) // 2  # the check above is not vacuous


def test_windows_hold_only_context_offsets_and_overlap(fast_tokenizer):
    head = get_head("span")(SPEC)
    (example,) = jsquad("valid")[:1]
    features = head.encode([example], fast_tokenizer, EncodeOptions(max_length=48, doc_stride=16))
    assert len(features) >= 3
    spans = [[s for s in f["offset_mapping"] if s is not None] for f in features]
    for f, window in zip(features, spans, strict=True):
        assert f["offset_mapping"][0] is None  # [CLS] and the question are not answer candidates
        assert len(f["offset_mapping"]) == len(f["input_ids"])
        assert all(0 <= s <= e <= len(example.text_pair) for s, e in window)
    assert spans[1][0][0] < spans[0][-1][1]  # consecutive windows overlap
    assert spans[-1][-1][1] == len(example.text_pair.rstrip())


def test_misaligned_gold_answer_is_counted_reported_and_widened(fast_tokenizer, caplog):
    context = "鈴木さんが来た。"  # the tiny vocabulary has no 鈴: 鈴木 is one [UNK] token
    assert (0, 2) in fast_tokenizer(context, return_offsets_mapping=True)["offset_mapping"]
    example = Example(id="q", line=1, text="誰？", text_pair=context, answers=(Answer("木", 1),))
    head = get_head("span")(SPEC)
    with caplog.at_level(logging.WARNING, logger="jbert.heads.span"):
        features = head.encode([example], fast_tokenizer, EncodeOptions(max_length=32))
    assert head.stats.misaligned == 1
    assert "1 of 1 gold answers do not start and end on token boundaries" in caplog.text
    (prediction,) = head.decode(perfect_outputs(features), features, [example], EncodeOptions())
    assert (prediction.answer, prediction.start, prediction.end) == ("鈴木", 0, 2)


def test_tiny_model_forward_and_n_best(fast_tokenizer, tiny_model_dir, run_model):
    head = get_head("span")(SPEC)
    rows = jsquad("valid")[:4]
    options = EncodeOptions(max_length=96, doc_stride=32, n_best_size=5, max_answer_length=8)
    features = head.encode(rows, fast_tokenizer, options)
    model = head.model(str(tiny_model_dir))
    start, end = run_model(head, model, features, fast_tokenizer, batch_size=3)
    assert start.shape[0] == len(features) == end.shape[0]
    predictions = head.decode((start, end), features, rows, options)
    assert len(predictions) == 4
    for p, e in zip(predictions, rows, strict=True):
        assert p.answer == e.text_pair[p.start : p.end] and p.answer
        assert 1 <= len(p.n_best) <= 5 and p.n_best[0]["text"] == p.answer
        scores = [c["logit"] for c in p.n_best]
        assert scores == sorted(scores, reverse=True)
        assert sum(c["score"] for c in p.n_best) == pytest.approx(1.0)
        assert all(len(fast_tokenizer(c["text"], add_special_tokens=False)["input_ids"]) <= 8 for c in p.n_best)


def test_flat_jsonl_reader_and_prediction_without_answers(fast_tokenizer, tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"id": "a", "question": "首都は？", "context": "日本の首都は東京です。"}\n', encoding="utf-8")
    rows = list(read(path, load_spec("qa")))
    head = get_head("span")(load_spec("qa"))
    features = head.encode(rows, fast_tokenizer, EncodeOptions(max_length=32, train=False))
    assert "start_positions" not in features[0]
    with pytest.raises(DataFormatError, match=r"qa.jsonl:1: question 'a' has no answers"):
        head.validate(rows, train=True)


def test_long_question_is_cut_so_a_context_fits(fast_tokenizer):
    example = Example(id="q", line=1, text="とても長い質問です。" * 20, text_pair="答えはここにある。", answers=(Answer("ここ", 3),))
    head = get_head("span")(SPEC)
    features = head.encode([example], fast_tokenizer, EncodeOptions(max_length=32))
    assert head.stats.truncated == 1 and all(len(f["input_ids"]) <= 32 for f in features)


def test_no_candidates_gives_an_empty_answer():
    head = get_head("span")(SPEC)
    example = Example(id="q", line=1, text="?", text_pair="", answers=())
    features = [{"input_ids": [2, 5, 3, 3], "offset_mapping": [None, None, None, None], "example_index": 0}]
    logits = np.zeros((1, 4), dtype=np.float32)
    (prediction,) = head.decode((logits, logits), features, [example], EncodeOptions())
    assert prediction.answer == "" and prediction.start is None
