"""jbert's fast tokenizer gives exactly BertJapaneseTokenizer's ids: JGLUE text, pairs, hard strings, variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import HARD_STRINGS, SHARED_JGLUE, collect_texts, jglue_texts

from jbert.tokenization import BertJapaneseTokenizerFast


def _reference(slow: Any, texts: list[str], pairs: list[str] | None = None, **kwargs: Any) -> dict[str, list]:
    """The slow tokenizer one text at a time (its batch call loops the same way)."""
    rows = [slow(t, p, **kwargs) for t, p in zip(texts, pairs or [None] * len(texts), strict=True)]
    return {key: [r[key] for r in rows] for key in rows[0].keys()}


def test_is_a_fast_transformers_tokenizer(fast_tok: Any) -> None:
    from transformers import PreTrainedTokenizerFast

    assert isinstance(fast_tok, BertJapaneseTokenizerFast)
    assert isinstance(fast_tok, PreTrainedTokenizerFast)
    assert fast_tok.is_fast


def test_jglue_single_texts(fast_tok: Any, slow_tok: Any) -> None:
    singles, _ = jglue_texts()
    assert fast_tok(singles)["input_ids"] == _reference(slow_tok, singles)["input_ids"]


def test_jglue_pairs_with_token_type_ids(fast_tok: Any, slow_tok: Any) -> None:
    _, pairs = jglue_texts()
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    ours = fast_tok(first, second)
    ref = _reference(slow_tok, first, second)
    assert ours["input_ids"] == ref["input_ids"]
    assert ours["token_type_ids"] == ref["token_type_ids"]
    assert ours["attention_mask"] == ref["attention_mask"]


def test_jsquad_title_separator_becomes_the_sep_token(fast_tok: Any, slow_tok: Any) -> None:
    squad = json.loads((Path(__file__).parents[1] / "data" / "jglue" / "jsquad-valid.json").read_text("utf-8"))
    context = squad["data"][0]["paragraphs"][0]["context"]
    assert " [SEP] " in context
    ids = fast_tok(context)["input_ids"]
    assert ids == slow_tok(context)["input_ids"]
    assert ids.count(fast_tok.sep_token_id) == 2  # the literal one, and the closing one


@pytest.mark.parametrize("text", HARD_STRINGS, ids=[f"hard{i}" for i in range(len(HARD_STRINGS))])
def test_hard_strings(tokenizer_pair: tuple[Any, Any], text: str) -> None:
    fast, slow = tokenizer_pair
    assert fast.convert_ids_to_tokens(fast(text)["input_ids"]) == slow.convert_ids_to_tokens(slow(text)["input_ids"])


def test_variants_on_jglue_text(tokenizer_pair: tuple[Any, Any]) -> None:
    fast, slow = tokenizer_pair
    singles, pairs = jglue_texts()
    texts = singles[:150] + HARD_STRINGS
    assert fast(texts)["input_ids"] == _reference(slow, texts)["input_ids"]
    first, second = [a for a, _ in pairs[:60]], [b for _, b in pairs[:60]]
    assert fast(first, second)["token_type_ids"] == _reference(slow, first, second)["token_type_ids"]


def test_hard_string_pairs(fast_tok: Any, slow_tok: Any) -> None:
    first, second = HARD_STRINGS, HARD_STRINGS[::-1]
    ours, ref = fast_tok(first, second), _reference(slow_tok, first, second)
    assert (ours["input_ids"], ours["token_type_ids"]) == (ref["input_ids"], ref["token_type_ids"])


def test_batch_equals_one_call_per_text(fast_tok: Any) -> None:
    texts = jglue_texts()[0][:40] + HARD_STRINGS
    assert fast_tok(texts)["input_ids"] == [fast_tok(t)["input_ids"] for t in texts]


def test_split_special_tokens(fast_tok: Any, slow_tok: Any) -> None:
    text = "タイトル [SEP] 本文の[MASK]です"
    ours = fast_tok(text, split_special_tokens=True)["input_ids"]
    assert ours == slow_tok(text, split_special_tokens=True)["input_ids"]
    assert fast_tok.sep_token_id not in ours[1:-1]


def test_split_into_words(fast_tok: Any, slow_tok: Any) -> None:
    words = ["東京都", "の", "ﾃﾞｰﾀ", "[SEP]", "℃", "", "  "]
    ours = fast_tok(words, is_split_into_words=True)
    assert ours["input_ids"] == slow_tok(words, is_split_into_words=True)["input_ids"]
    word_ids = ours.word_ids()
    assert word_ids[0] is None and word_ids[-1] is None
    assert sorted(set(word_ids[1:-1])) == [0, 1, 2, 3, 4]  # the empty words give no token


def test_without_special_tokens_and_tokenize(fast_tok: Any, slow_tok: Any) -> None:
    text = "東京タワーは[SEP]ﾃﾞｰﾀ℃です。"
    assert fast_tok(text, add_special_tokens=False)["input_ids"] == slow_tok(text, add_special_tokens=False)["input_ids"]
    assert fast_tok.tokenize(text) == slow_tok.tokenize(text)


def test_added_tokens(tiny_tokenizer_dir: Path) -> None:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    fast, slow = load_tokenizer(tiny_tokenizer_dir), BertJapaneseTokenizer.from_pretrained(tiny_tokenizer_dir)
    for tok in (fast, slow):
        tok.add_tokens(["新語ABC", "<ent>"])
        tok.add_special_tokens({"additional_special_tokens": ["<e1>"]})
    text = "この新語ABCは<ent>東京<e1>です。新語AB"
    assert fast(text)["input_ids"] == slow(text)["input_ids"]
    assert fast.convert_ids_to_tokens(fast(text)["input_ids"]) == slow.convert_ids_to_tokens(slow(text)["input_ids"])


@pytest.mark.parametrize("added, text", [
    (["two words", "a\tb"], "これはtwo wordsとa\tbです two  words"),  # literals with whitespace: one token each
    (["アップルパイ"], "ｱｯﾌﾟﾙﾊﾟｲとアップルパイ"),  # only the literal as written; NFKC's match is WordPiece'd
    (["ABC"], "abcとABC"),
    (["<ent>", "two words"], "<ent>"),  # a text that is one added token and nothing else
    (["<ent>", "two words"], "two words"),
])
@pytest.mark.parametrize("lower", [False, True])
def test_added_tokens_match_the_raw_text_only(tiny_tokenizer_dir: Path, lower_tokenizer_dir: Path, added: list[str],
                                              text: str, lower: bool) -> None:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    path = lower_tokenizer_dir if lower else tiny_tokenizer_dir
    fast, slow = load_tokenizer(path), BertJapaneseTokenizer.from_pretrained(path)
    for tok in (fast, slow):
        tok.add_tokens(added)
    ours = fast(text, return_offsets_mapping=True)
    assert fast.convert_ids_to_tokens(ours["input_ids"]) == slow.convert_ids_to_tokens(slow(text)["input_ids"])
    for token, (start, end) in zip(fast.convert_ids_to_tokens(ours["input_ids"]), ours["offset_mapping"], strict=True):
        if token in added:
            assert text[start:end] == token


def test_added_token_with_a_space_loads_from_a_directory(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    slow = BertJapaneseTokenizer.from_pretrained(tiny_tokenizer_dir)
    slow.add_tokens(["New York"])
    slow.save_pretrained(tmp_path)
    fast = load_tokenizer(tmp_path)
    text = "New Yorkに行く"
    assert fast(text)["input_ids"] == BertJapaneseTokenizer.from_pretrained(tmp_path)(text)["input_ids"]


def test_vocabulary_api_matches(fast_tok: Any, slow_tok: Any) -> None:
    ids = slow_tok("東京の天気は晴れ[MASK]")["input_ids"]
    assert fast_tok.convert_ids_to_tokens(ids) == slow_tok.convert_ids_to_tokens(ids)
    assert fast_tok.decode(ids) == slow_tok.decode(ids)
    assert fast_tok.decode(ids, skip_special_tokens=True) == slow_tok.decode(ids, skip_special_tokens=True)
    assert fast_tok.get_vocab() == slow_tok.get_vocab()
    for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id", "mask_token_id", "model_max_length"):
        assert getattr(fast_tok, name) == getattr(slow_tok, name), name


def test_threaded_mecab_gives_the_same_ids(tiny_tokenizer_dir: Path, fast_tok: Any) -> None:
    from jbert.tokenization import load_tokenizer

    texts = jglue_texts()[0] + HARD_STRINGS
    threaded = load_tokenizer(tiny_tokenizer_dir, mecab_threads=2)
    assert threaded(texts, return_offsets_mapping=True).data == fast_tok(texts, return_offsets_mapping=True).data


def _shared_jglue() -> tuple[list[str], list[tuple[str, str]]]:
    valid = "valid-v1.3.json"
    return collect_texts(
        [SHARED_JGLUE / f"{task}-v1.3" / valid for task in ("jsts", "jnli")],
        [SHARED_JGLUE / "jcommonsenseqa-v1.3" / valid],
        [SHARED_JGLUE / "jsquad-v1.3" / valid],
    )


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_JGLUE.is_dir(), reason=f"{SHARED_JGLUE} not found")
def test_all_jglue_valid_sets(fast_tok: Any, slow_tok: Any) -> None:
    """Every JSTS, JNLI, JSQuAD and JCommonsenseQA valid text and pair."""
    singles, pairs = _shared_jglue()
    assert fast_tok(singles)["input_ids"] == slow_tok(singles)["input_ids"]
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    ours, ref = fast_tok(first, second), slow_tok(first, second)
    assert ours["input_ids"] == ref["input_ids"]
    assert ours["token_type_ids"] == ref["token_type_ids"]
