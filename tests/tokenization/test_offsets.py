"""Offsets into the ORIGINAL text, word ids, and the truncation/overflow/padding rules of fast tokenizers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import HARD_STRINGS, _assert_spells, _rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers.tokenization_utils_tokenizers import TokenizersBackend

SQUAD = json.loads((Path(__file__).parents[1] / "data" / "jglue" / "jsquad-valid.json").read_text("utf-8"))
CONTEXT = SQUAD["data"][0]["paragraphs"][0]["context"]


def test_half_width_kana_token_spans_both_characters(fast_tok: Any) -> None:
    text = "ﾃﾞｰﾀ"
    spans = {text[a:b] for _, (a, b) in _rows(fast_tok, text)}
    assert spans <= {"ﾃﾞｰﾀ", "ﾃﾞ", "ｰ", "ﾀ", "ﾃﾞｰ", "ｰﾀ"}  # never half of ﾃﾞ
    assert _rows(fast_tok, text)[0][1][0] == 0 and _rows(fast_tok, text)[-1][1][1] == len(text)


def test_expanded_character_tokens_share_its_span(fast_tok: Any) -> None:
    rows = _rows(fast_tok, "気温は℃で")
    degree = [token.lstrip("#") for token, span in rows if span == (3, 4)]
    assert len(degree) == 2 and set(degree) <= {"°", "C", fast_tok.unk_token}  # NFKC: ℃ -> °C


def test_literal_sep_and_full_width_text(fast_tok: Any) -> None:
    text = "題名 [SEP] ＡＢＣです"
    rows = _rows(fast_tok, text)
    assert ("[SEP]", (3, 8)) in rows
    assert "".join(text[a:b] for t, (a, b) in rows if t.lstrip("#") in "ABC") == "ＡＢＣ"


def test_pair_offsets_refer_to_each_text(fast_tok: Any) -> None:
    enc = fast_tok("東京", "ﾃﾞｰﾀ", return_offsets_mapping=True)
    seq = enc.sequence_ids()
    assert all(b <= len("東京") for (a, b), s in zip(enc["offset_mapping"], seq, strict=True) if s == 0)
    assert max(b for (a, b), s in zip(enc["offset_mapping"], seq, strict=True) if s == 1) == len("ﾃﾞｰﾀ")


def test_encoding_api_answers_in_original_coordinates(fast_tok: Any) -> None:
    text = "ﾃﾞｰﾀは℃"
    enc = fast_tok(text, return_offsets_mapping=True)
    first = enc.char_to_token(0)
    assert first == enc.char_to_token(1) == 1  # both characters of ﾃﾞ belong to the first token
    assert tuple(enc.token_to_chars(first))[0] == 0
    assert enc.token_to_chars(0) is None  # [CLS]
    word = enc.word_ids()[first]
    assert enc.char_to_word(0) == word and tuple(enc.word_to_chars(word))[0] == 0
    assert enc.word_to_tokens(word) is not None and enc.tokens()[0] == "[CLS]"


def test_hard_strings_spell_their_spans(tokenizer_pair: tuple[Any, Any]) -> None:
    for text in HARD_STRINGS:
        _assert_spells(tokenizer_pair[0], text)


SNIPPETS = list("あいうえおかがきぎカキクケコ漢字東京都日本語ｶｷｸﾃﾊﾟﾞﾟｰＡＢＣ１２３ａｂAbc123①㍻℃…・、。！？") + [
    "\u3099", "\u309a", "\u0301", "゛", "👨\u200d👩\u200d👧", "👍🏽", "🇯🇵", "\u200b", "\u3000", " ", "  ", "\t", "\n",
    "[SEP]", " [SEP] ", "[MASK]", "ﬁ", "İ", "Σ", "ß", "x" * 101,
]
TEXTS = st.one_of(st.lists(st.sampled_from(SNIPPETS), max_size=30).map("".join), st.text(max_size=30))


@settings(max_examples=int(os.environ.get("JBERT_HYPOTHESIS_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_generated_text_spells_its_spans_and_matches_the_reference(tokenizer_pair: tuple[Any, Any], text: str) -> None:
    fast, slow = tokenizer_pair
    assert fast(text)["input_ids"] == slow(text)["input_ids"]
    _assert_spells(fast, text)


# ---- overflow windows ---------------------------------------------------------------------------------------


def test_overflow_windows_with_stride(fast_tok: Any) -> None:
    question = "この段落の主題は何か？"
    full = fast_tok(question, CONTEXT, return_offsets_mapping=True)
    context_tokens = [(i, o) for i, o, s in zip(full["input_ids"], full["offset_mapping"], full.sequence_ids(),
                                                 strict=True) if s == 1]
    enc = fast_tok([question], [CONTEXT], truncation="only_second", max_length=40, stride=10,
                   return_overflowing_tokens=True, return_offsets_mapping=True)
    n = len(enc["input_ids"])
    assert n > 2 and enc["overflow_to_sample_mapping"] == [0] * n
    starts = []
    for row in range(n):
        seq = enc.sequence_ids(row)
        assert len(enc["input_ids"][row]) <= 40
        window = [(i, o) for i, o, s in zip(enc["input_ids"][row], enc["offset_mapping"][row], seq, strict=True)
                  if s == 1]
        start = context_tokens.index(window[0])
        assert context_tokens[start : start + len(window)] == window  # same ids, same original offsets
        starts.append((start, start + len(window)))
        assert [i for i, s in zip(enc["input_ids"][row], seq, strict=True) if s == 0] == \
            [i for i, s in zip(full["input_ids"], full.sequence_ids(), strict=True) if s == 0]
    assert starts[0][0] == 0 and starts[-1][1] == len(context_tokens)
    assert all(prev[1] - nxt[0] == 10 for prev, nxt in zip(starts, starts[1:], strict=False))


def test_overflow_sample_mapping_over_a_batch(fast_tok: Any) -> None:
    enc = fast_tok(["問い", "短い問い"], [CONTEXT, "短い文脈"], truncation="only_second", max_length=32, stride=4,
                   return_overflowing_tokens=True)
    mapping = enc["overflow_to_sample_mapping"]
    assert mapping[0] == 0 and mapping[-1] == 1 and mapping.count(1) == 1 and mapping == sorted(mapping)


def test_truncation_that_cannot_fit_says_why(fast_tok: Any) -> None:
    with pytest.raises(ValueError, match="only_second"):
        fast_tok(CONTEXT, "短い", truncation="only_second", max_length=16)


# ---- same rules as the Rust tokenizers library ---------------------------------------------------------------

CASES = [
    {"truncation": True, "max_length": 24},
    {"truncation": "only_second", "max_length": 24, "stride": 4, "return_overflowing_tokens": True},
    {"truncation": "longest_first", "max_length": 20, "stride": 2, "return_overflowing_tokens": True},
    {"truncation": "only_first", "max_length": 30, "stride": 3, "return_overflowing_tokens": True},
    {"padding": "longest", "pad_to_multiple_of": 8},
    {"padding": "max_length", "max_length": 64, "truncation": True},
    {"add_special_tokens": False, "truncation": True, "max_length": 10, "return_overflowing_tokens": True},
    {"truncation": True, "max_length": 12, "return_overflowing_tokens": True, "padding": True, "side": "left"},
]
KEYS = ["input_ids", "token_type_ids", "attention_mask", "special_tokens_mask", "overflow_to_sample_mapping", "length"]


def _backend_reference(tok: Any, texts: list[str], pairs: list[str] | None, kwargs: dict[str, Any]) -> Any:
    """transformers' own fast path (Rust) on the words jbert prepared: the rules jbert must reproduce."""
    padding, truncation, max_length, _ = tok._get_padding_truncation_strategies(
        padding=kwargs.get("padding", False), truncation=kwargs.get("truncation"), max_length=kwargs.get("max_length"))
    return TokenizersBackend._encode_plus(
        tok, text=[tok._pre.prepare(t).joined for t in texts],
        text_pair=[tok._pre.prepare(t).joined for t in pairs] if pairs else None,
        add_special_tokens=kwargs.get("add_special_tokens", True), padding_strategy=padding,
        truncation_strategy=truncation, max_length=max_length, stride=kwargs.get("stride", 0),
        pad_to_multiple_of=kwargs.get("pad_to_multiple_of"), return_overflowing_tokens=kwargs.get(
            "return_overflowing_tokens", False), return_special_tokens_mask=True, return_length=True,
        return_token_type_ids=True, split_special_tokens=True)


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("paired", [False, True])
def test_rows_follow_the_tokenizers_rules(tiny_tokenizer_dir: Path, case: dict[str, Any], paired: bool) -> None:
    from jbert.tokenization import load_tokenizer

    kwargs = dict(case)
    side = kwargs.pop("side", "right")
    tok = load_tokenizer(tiny_tokenizer_dir, truncation_side=side, padding_side=side)
    if kwargs.get("truncation") == "only_second" and not paired:
        return
    texts = [CONTEXT[:60], "短い文", CONTEXT[100:180], "ﾃﾞｰﾀ [SEP] ℃"]
    pairs = ["質問ですか？", "はい", "答え", "[MASK]は何"] if paired else None
    if kwargs.get("truncation") == "only_second":  # the question first, the long context second
        texts, pairs = pairs, texts
    ours = tok(texts, pairs, return_special_tokens_mask=True, return_length=True, return_token_type_ids=True, **kwargs)
    ref = _backend_reference(tok, texts, pairs, kwargs)
    for key in KEYS:
        assert ours.get(key) == ref.get(key), key
    for row in range(len(ref["input_ids"])):
        assert ours.word_ids(row) == ref.word_ids(row)
        assert ours.sequence_ids(row) == ref.sequence_ids(row)


def test_tensors_and_pad(fast_tok: Any) -> None:
    enc = fast_tok(["東京", "大阪の天気"], ["はい", "いいえ"], padding=True, return_tensors="pt",
                   return_offsets_mapping=True)
    assert tuple(enc["input_ids"].shape) == tuple(enc["attention_mask"].shape)
    assert tuple(enc["offset_mapping"].shape) == (*enc["input_ids"].shape, 2)
    unpadded = fast_tok(["東京", "大阪の天気"])
    padded = fast_tok.pad(unpadded, return_tensors="pt")
    assert padded["input_ids"].shape[1] == max(len(x) for x in unpadded["input_ids"])


def test_vectorised_offset_map_equals_the_word_by_word_reference(fast_tok: Any) -> None:
    import numpy as np
    from _tok_texts import jglue_texts

    from jbert.tokenization.fast.offsets import build_maps, exact_map

    texts = jglue_texts()[0] + HARD_STRINGS
    units = [u for u in next(fast_tok._pre.prepare_stream([texts])) if u.joined]
    maps = build_maps(fast_tok._pre, units)
    start = 0
    for unit in units:
        fast = maps[start : start + len(unit.joined)]
        words = fast[:, 0] >= 0
        assert np.array_equal(fast[words], exact_map(fast_tok._pre, unit)[words]), unit.joined
        start += len(unit.joined) + 1


def test_token_offsets_without_the_map_equal_the_map(fast_tok: Any) -> None:
    """The fast path looks up only the tokens' own characters; it answers what the whole map does, spaces
    (-1) included, and token_offsets falls back to the map when a unit needs the word-by-word path."""
    import numpy as np
    from _tok_texts import jglue_texts

    from jbert.tokenization.fast.offsets import _Alignment, build_maps, token_offsets
    from jbert.tokenization.fast.wordpiece import tokenize_units

    units = next(fast_tok._pre.prepare_stream([jglue_texts()[0][:300] + HARD_STRINGS]))
    align = _Alignment(fast_tok._pre, units)
    maps, everywhere = align.maps(), np.arange(len(align.in_word))
    assert align.ok.all()
    for column in (0, 1):
        assert np.array_equal(align.direct(everywhere, column), maps[:, column])
    units[0].exact = True  # one unit on the word-by-word path: the map serves every token
    tokens = tokenize_units(fast_tok._wordpiece, units)
    starts, ends = token_offsets(fast_tok._pre, units, tokens)
    maps = build_maps(fast_tok._pre, units)
    assert np.array_equal(starts, maps[tokens.first, 0]) and np.array_equal(ends, maps[tokens.last, 1])
