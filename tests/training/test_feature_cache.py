"""The OUTPUT/.encoded cache: Arrow, not pickle; what comes back decodes exactly as what went in."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.heads import get_head
from jbert.readers import read
from jbert.training.feature_cache import cache_file, load_features, save_features

DATA = Path(__file__).parent.parent / "data"
# head -> (task, labels, file)
CASES = {
    "span": ("jsquad", None, DATA / "jglue" / "jsquad-valid.json"),
    "token": ("ner", ["LOC", "ORG", "PER"], DATA / "ner" / "valid.jsonl"),
    "choice": ("jcommonsenseqa", None, DATA / "jglue" / "jcommonsenseqa-valid.jsonl"),
    "pair-classification": ("jnli", ["entailment", "contradiction", "neutral"], DATA / "jglue" / "jnli-valid.jsonl"),
}


@pytest.fixture(scope="module")
def tokenizer(tiny_tokenizer_dir):
    from jbert.tokenization import load_tokenizer

    return load_tokenizer(tiny_tokenizer_dir)


def _as_lists(value):
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


def _random_outputs(head_name, features, n_labels, seed=0):
    rng = np.random.default_rng(seed)
    if head_name == "choice":
        return rng.normal(size=(len(features), len(features[0]["input_ids"]))).astype(np.float32)
    if head_name == "pair-classification":
        return rng.normal(size=(len(features), n_labels)).astype(np.float32)
    width = max(len(f["input_ids"]) for f in features)
    if head_name == "span":
        return tuple(rng.normal(size=(len(features), width)).astype(np.float32) for _ in range(2))
    return rng.normal(size=(len(features), width, n_labels)).astype(np.float32)


@pytest.mark.parametrize("head_name", list(CASES))
def test_round_trip_decodes_to_the_same_predictions(tmp_path, tokenizer, head_name):
    task, labels, path = CASES[head_name]
    spec = load_spec(task)
    reader = "jsonl" if path.suffix == ".jsonl" and spec.reader == "conll" else None
    examples = list(read(path, spec, reader))[:12]
    head = get_head(spec.head)(spec, labels)
    options = EncodeOptions(max_length=48, doc_stride=16)
    features = head.encode(examples, tokenizer, options)
    cache = cache_file(tmp_path / ".encoded", "valid", {"split": "valid", "head": head_name})
    save_features(cache, features)
    loaded = load_features(cache)
    assert loaded == _as_lists(features)  # same values; tuples (offsets) come back as lists
    n_labels = len(getattr(head, "tags", None) or labels or [])
    outputs = _random_outputs(head_name, features, n_labels)
    assert head.decode(outputs, loaded, examples, options) == head.decode(outputs, features, examples, options)


def test_the_key_decides_the_file(tmp_path):
    a = cache_file(tmp_path, "train", {"mtime": 1})
    assert a == cache_file(tmp_path, "train", {"mtime": 1}) and a.suffix == ".arrow"
    assert a != cache_file(tmp_path, "train", {"mtime": 2}) != cache_file(tmp_path, "valid", {"mtime": 1})


def test_a_planted_pickle_is_refused_not_run(tmp_path):
    class Payload:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "ran",))

    cache = tmp_path / "train-0.arrow"
    cache.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(Exception):  # noqa: B017 - whatever Arrow raises; what matters is below
        load_features(cache)
    assert not (tmp_path / "ran").exists()


def test_empty_split_and_mixed_keys(tmp_path):
    save_features(tmp_path / "e.arrow", [])
    assert load_features(tmp_path / "e.arrow") == []
    with pytest.raises(ValueError, match="same keys"):
        save_features(tmp_path / "m.arrow", [{"a": 1}, {"b": 2}])
