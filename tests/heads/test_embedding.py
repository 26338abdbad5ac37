"""The embedding head: layouts pick the loss, texts get their prefixes, features and the bi-encoder's
outputs have the documented shapes, pooling equals sentence-transformers' Pooling module."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError
from jbert.heads import get_head
from jbert.heads.embedding_model import pool
from jbert.readers import read_examples

DATA = Path(__file__).parent.parent / "data" / "jglue"
SPEC = load_spec("embedding")


def _head(**options):
    return get_head("embedding")(replace(SPEC, options=options))


def _row(line: int, **fields) -> Example:
    text = fields.get("anchor", fields.get("sentence1", fields.get("text")))
    pair = fields.get("positive", fields.get("sentence2"))
    label = fields.get("score", fields.get("label"))
    return Example(id=str(line), line=line, source="rows.jsonl", text=text, text_pair=pair, label=label, fields=fields)


PAIRS = [_row(1, anchor="犬が走る", positive="走る犬", negative="猫が寝る"),
         _row(2, anchor="雨の日", positive="雨が降る日", negative="晴れの日")]
SCORED = [_row(1, sentence1="a", sentence2="b", score=4), _row(2, sentence1="c", sentence2="d", score=1)]
JSTS = read_examples(DATA / "jsts-train.jsonl", SPEC)
JNLI = read_examples(DATA / "jnli-train.jsonl", SPEC)
SINGLE = [_row(1, text="今日は晴れ"), _row(2, text="明日は雨")]


@pytest.mark.parametrize(("rows", "loss"), [(PAIRS, "mnrl"), (SCORED, "cosent"), (JSTS, "cosent"),
                                             (JNLI, "softmax"), (SINGLE, "simcse")])
def test_the_rows_columns_pick_the_loss(rows, loss):
    head = _head()
    head.labels = head.infer_labels(rows)
    head.choose_loss(None, rows)
    assert head.loss_name == loss
    assert (head.labels == ["contradiction", "entailment", "neutral"]) == (loss == "softmax")


def test_training_loss_overrides_and_incompatible_losses_are_refused():
    head = _head()
    head.choose_loss("cosine", [_row(1, sentence1="a", sentence2="b", score=0.5),
                                _row(2, sentence1="c", sentence2="d", score=0.1)])
    assert head.loss_name == "cosine"
    with pytest.raises(DataFormatError, match="needs a score or class label"):
        _head().choose_loss("cosent", PAIRS)
    with pytest.raises(DataFormatError, match="use loss simcse"):
        _head().choose_loss("mnrl", SINGLE)
    with pytest.raises(DataFormatError, match="divide by 5"):
        _head().choose_loss("cosine", JSTS)
    with pytest.raises(ConfigError, match="available: cosent, cosine, mnrl, simcse, softmax"):
        _head().choose_loss("triplet", JSTS)
    _head().choose_loss("mnrl", JSTS)  # any pairs train with in-batch negatives
    _head().choose_loss("simcse", PAIRS)  # the first text alone


def test_rows_of_another_layout_are_reported_at_their_line():
    with pytest.raises(DataFormatError, match=r"rows.jsonl:2: this row holds one text but line 1 holds a text pair"):
        _head().validate([PAIRS[0], _row(2, text="x")])
    odd = _row(2, anchor="x", positive="y")
    with pytest.raises(DataFormatError, match="a text pair without a label but line 1 holds a text pair with 1 neg"):
        _head().validate([PAIRS[0], odd])
    with pytest.raises(DataFormatError, match="not a number"):
        _head().choose_loss("cosent", [_row(1, sentence1="a", sentence2="b", score="high"), *SCORED])


def test_bad_options_are_one_line_errors():
    with pytest.raises(ConfigError, match="unknown embedding option"):
        _head(pool="mean")
    with pytest.raises(ConfigError, match="pooling must be one of mean, cls, last"):
        _head(pooling="max")
    with pytest.raises(ConfigError, match="quote it"):
        _head(query_prefix={"クエリ": None})  # what YAML makes of an unquoted `クエリ: `


def test_features_hold_each_text_with_its_prefix(fast_tokenizer):
    head = _head(query_prefix="クエリ: ", document_prefix="文章: ")
    head.choose_loss(None, PAIRS)
    features = head.encode(PAIRS, fast_tokenizer, EncodeOptions(max_length=32))
    expect = [fast_tokenizer(t)["input_ids"] for t in ("クエリ: 犬が走る", "文章: 走る犬", "文章: 猫が寝る")]
    assert features[0]["input_ids"] == expect and "labels" not in features[0]
    # evaluation pairs are symmetric: both texts are queries; scored training rows carry their score
    head = _head(query_prefix="クエリ: ", document_prefix="文章: ")
    head.choose_loss(None, SCORED)
    features = head.encode(SCORED, fast_tokenizer, EncodeOptions(max_length=32))
    assert features[1]["input_ids"][1] == fast_tokenizer("クエリ: d")["input_ids"] and features[1]["labels"] == 1.0
    # a lone text takes the prefix it is embedded as
    head.embed_as = "document"
    (feature,) = head.encode(SINGLE[:1], fast_tokenizer, EncodeOptions(max_length=32, train=False))
    assert feature["input_ids"] == [fast_tokenizer("文章: 今日は晴れ")["input_ids"]]


def test_simcse_features_repeat_the_text(fast_tokenizer):
    head = _head()
    head.choose_loss(None, SINGLE)
    features = head.encode(SINGLE, fast_tokenizer, EncodeOptions(max_length=32))
    assert features[0]["input_ids"][0] == features[0]["input_ids"][1]
    assert head.distinct_keys(SINGLE, features) == [frozenset({"今日は晴れ"}), frozenset({"明日は雨"})]


def test_duplicate_free_batches_only_for_in_batch_negatives(fast_tokenizer):
    head = _head()
    head.choose_loss(None, PAIRS)
    features = head.encode(PAIRS, fast_tokenizer, EncodeOptions(max_length=32))
    assert head.distinct_keys(PAIRS, features)[0] == frozenset({"犬が走る", "走る犬", "猫が寝る"})
    head = _head()
    head.choose_loss(None, SCORED)
    assert head.distinct_keys(SCORED, head.encode(SCORED, fast_tokenizer, EncodeOptions(max_length=32))) is None


def test_model_gives_embeddings_per_text_and_a_loss_when_training(fast_tokenizer, tiny_model_dir):
    head = _head()
    head.choose_loss(None, PAIRS)
    features = head.encode(PAIRS, fast_tokenizer, EncodeOptions(max_length=32))
    model = head.model(str(tiny_model_dir))
    batch = head.collator(fast_tokenizer)(features)
    model.train()
    out = model(**batch)
    assert out["embeddings"].shape == (2, 3, 32) and out["loss"].ndim == 0
    model.eval()
    with torch.no_grad():
        evaluated = model(**batch)
    assert "loss" not in evaluated  # no labels, no loss at evaluation
    predictions = head.decode(evaluated["embeddings"].numpy(), features, PAIRS, EncodeOptions(train=False))
    vectors = evaluated["embeddings"].numpy()[0]
    cosine = vectors[0] @ vectors[1] / np.linalg.norm(vectors[0]) / np.linalg.norm(vectors[1])
    assert predictions[0].score == pytest.approx(float(cosine), abs=1e-6)
    assert predictions[0].vector.shape == (3, 32)


def test_columns_cut_to_their_own_length_give_the_same_vectors(fast_tokenizer, tiny_model_dir):
    """Training embeds the anchor column and the other columns apart, each cut to its longest row."""
    head = _head()
    head.choose_loss(None, JSTS[:6])
    features = head.encode(JSTS[:6], fast_tokenizer, EncodeOptions(max_length=64))
    model = head.model(str(tiny_model_dir))
    batch = head.collator(fast_tokenizer)(features)
    for module in model.modules():  # training mode without dropout: the same function both ways
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    with torch.no_grad():
        model.train()
        cut = model(**batch)["embeddings"]
        model.eval()
        whole = model(**batch)["embeddings"]
    assert torch.allclose(cut, whole, atol=1e-5)


@pytest.mark.parametrize(("ours", "theirs"), [("mean", "mean"), ("cls", "cls"), ("last", "lasttoken")])
def test_pooling_equals_sentence_transformers(ours, theirs):
    modules = pytest.importorskip("sentence_transformers.sentence_transformer.modules")
    torch.manual_seed(0)
    tokens = torch.randn(3, 7, 16)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
    expected = modules.Pooling(16, theirs)({"token_embeddings": tokens, "attention_mask": mask})["sentence_embedding"]
    assert torch.allclose(pool(tokens, mask, ours), expected, atol=1e-6)


def test_eval_needs_scored_pairs():
    head = _head()
    assert head.reference_values(JSTS[:2]) == [0.0, 3.8]
    with pytest.raises(DataFormatError, match="needs a text pair"):
        head.reference_values(SINGLE)
    with pytest.raises(DataFormatError, match="not a number"):
        head.reference_values(JNLI[:1])
