"""NFKC with alignment: the normalised text is exactly NFKC, and each character knows its source span."""

from __future__ import annotations

import unicodedata

import numpy as np
from _tok_texts import HARD_STRINGS
from hypothesis import given, settings
from hypothesis import strategies as st

from jbert.tokenization.normalize import normalize_with_alignment


def _spans(text: str) -> list[tuple[str, str]]:
    """(normalised character, the source text it came from) for every normalised character."""
    norm, spans = normalize_with_alignment(text)
    if spans is None:
        return [(c, text[i]) for i, c in enumerate(norm)]
    return [(c, text[a:b]) for c, (a, b) in zip(norm, spans.tolist(), strict=True)]


def test_already_normalised_text_is_identity_without_arrays() -> None:
    assert normalize_with_alignment("東京タワーは333mです。") == ("東京タワーは333mです。", None)


def test_full_width_ascii_maps_one_to_one() -> None:
    norm, spans = normalize_with_alignment("ＡＢＣ１２３？")
    assert norm == "ABC123?" and spans is None


def test_half_width_voiced_kana_spans_both_characters() -> None:
    assert _spans("ﾃﾞｰﾀ") == [("デ", "ﾃﾞ"), ("ー", "ｰ"), ("タ", "ﾀ")]


def test_combining_voiced_mark_merges_with_its_base() -> None:
    assert _spans("か\u3099き") == [("が", "か\u3099"), ("き", "き")]


def test_expansions_share_the_source_character() -> None:
    assert _spans("℃①㍻…") == [("°", "℃"), ("C", "℃"), ("1", "①"), ("平", "㍻"), ("成", "㍻"),
                                (".", "…"), (".", "…"), (".", "…")]


def test_expansion_and_merge_in_one_text_keep_positions() -> None:
    # equal lengths before and after, but not one to one: the alignment must not be taken as identity
    assert _spans("ﾃﾞ℃") == [("デ", "ﾃﾞ"), ("°", "℃"), ("C", "℃")]


def test_reordered_combining_marks_stay_with_their_base() -> None:
    text = "e\u0301\u0323x"
    pairs = _spans(text)
    assert "".join(c for c, _ in pairs) == unicodedata.normalize("NFKC", text)
    assert {src for _, src in pairs[:-1]} == {"e\u0301\u0323"} and pairs[-1] == ("x", "x")


def _check(text: str) -> None:
    norm, spans = normalize_with_alignment(text)
    assert norm == unicodedata.normalize("NFKC", text)
    if spans is None:
        assert len(norm) == len(text)
        return
    assert spans.shape == (len(norm), 2)
    # the spans partition the text in order, and each span's NFKC is exactly its characters
    groups: dict[tuple[int, int], str] = {}
    for c, (a, b) in zip(norm, spans.tolist(), strict=True):
        groups[(a, b)] = groups.get((a, b), "") + c
    edges = sorted(groups)
    assert edges[0][0] == 0 and edges[-1][1] == len(text)
    assert all(x[1] == y[0] for x, y in zip(edges, edges[1:], strict=False))
    for (a, b), chars in groups.items():
        assert unicodedata.normalize("NFKC", text[a:b]) == chars
    assert np.all(np.diff(spans[:, 0]) >= 0)


def test_hard_strings() -> None:
    for text in HARD_STRINGS:
        _check(text)


SNIPPETS = list("あいうカキクｶｷｸﾃﾊﾟﾞﾟ漢字ＡＢ１２ａｂAa1①㍻℃…") + [
    "\u3099", "\u309a", "\u0301", "\u0323", "゛", "゜", "👨\u200d👩", "\u200b", "\u3000", " ", "\t", "\n",
    "\u1100", "\u1161", "\u11a8", "ﾡ", "ﾤ", "ｪ", "\ufe00", "ﬁ", "Å", "Ω", "K",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), max_size=25).map("".join))
def test_alignment_property_on_tricky_mixtures(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=25))
def test_alignment_property_on_any_unicode(text: str) -> None:
    _check(text)
