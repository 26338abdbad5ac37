"""Shared offset tuples and id ints: equal to freshly built ones everywhere, shared where the tables hold them."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from jbert.tokenization.fast import interned
from jbert.tokenization.fast.interned import INTS, SPANS, _SpanTable


def test_pairs_equal_fresh_tuples_inside_and_outside_the_table() -> None:
    start = np.array([0, 3, 3, 300, 5, interned._MAX_START + 7, 10, 42], dtype=np.int64)
    end = np.array([2, 3, 4, 301, 5 + interned._WIDTH + 3, interned._MAX_START + 9, 10, 40], dtype=np.int64)
    got = _SpanTable().pairs(start, end)
    assert got == list(zip(start.tolist(), end.tolist(), strict=True))
    assert all(type(p) is tuple and all(type(v) is int for v in p) for p in got)


def test_pairs_are_shared_between_calls_and_the_table_grows() -> None:
    table = _SpanTable()
    first = table.pairs(np.array([1, 2]), np.array([2, 4]))
    assert len(table.table) == 256 * interned._WIDTH  # smallest height
    second = table.pairs(np.array([2, 1000]), np.array([4, 1003]))
    assert second[0] is first[1]  # the same (2, 4) object: nothing allocated per token
    assert second[1] == (1000, 1003) and len(table.table) == 1024 * interned._WIDTH
    assert table.pairs(np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == []


def test_ints_are_shared_and_plain_for_negative_values() -> None:
    values = np.array([5, 30_000, 30_000, 7], dtype=np.int64)
    out = INTS.ints(values)
    assert out == [5, 30_000, 30_000, 7] and all(type(v) is int for v in out)
    assert out[1] is out[2] is INTS.ints(np.array([30_000]))[0]
    assert INTS.ints(np.array([-1, 3])) == [-1, 3]
    assert INTS.ints(np.array([], dtype=np.int64)) == []


def test_shared_objects_survive_the_tokenizer_round_trip(fast_tok: Any) -> None:
    """Outputs built from shared objects compare, pickle and mutate like fresh lists."""
    texts = ["東京都に住んでいる。", "東京都に住んでいる。", "京都"]
    enc = fast_tok(texts, return_offsets_mapping=True)
    assert enc["offset_mapping"][0] == enc["offset_mapping"][1]
    enc["offset_mapping"][0].append((9, 9))  # the caller's lists are its own
    assert enc["offset_mapping"][1][-1] == (0, 0)
    again = pickle.loads(pickle.dumps(enc))
    assert again["offset_mapping"] == enc["offset_mapping"] and again["input_ids"] == enc["input_ids"]
    assert again.encodings[2].offsets == enc.encodings[2].offsets
    assert SPANS.table.dtype == object
