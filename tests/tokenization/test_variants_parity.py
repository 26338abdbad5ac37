"""Every supported BertJapaneseTokenizer option combination gives the reference's ids, with true offsets.

The combinations are those of transformers' own tests/models/bert_japanese/test_tokenization_bert_japanese.py
(MeCab per dictionary and with normalize_text / do_lower_case; Sudachi split modes A/B/C, trim_whitespace,
projection; characters; do_word_tokenize / do_subword_tokenize false), each on this repository's JGLUE slice and
the hard strings; the slow test runs them on every JGLUE valid set in ../shared/jglue.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import (
    BERT_INPUTS,
    HARD_STRINGS,
    SHARED_JGLUE,
    _assert_spells,
    collect_texts,
    jglue_texts,
    variant,
)

HAS_SUDACHI = importlib.util.find_spec("sudachipy") is not None and importlib.util.find_spec("sudachidict_core")


# transformers' test strings (whitespace of every kind, half-width kana, full-width digits, split modes, projections)
TRANSFORMERS_TEXTS = [" \tｱｯﾌﾟﾙストアでiPhone８ が  \n 発売された　。  ", "外国人参政権", "これはねこです。",
                      "こんにちは、世界。\nこんばんは、世界。", "ありがとうございますm(_ _)ｍ見つけるのが大変です。"]


def _jumandic(normalize: bool = True) -> dict[str, Any]:
    import jumandic

    return {"mecab_dic": None, "mecab_option": jumandic.MECAB_ARGS, "normalize_text": normalize}


# name -> (tokenizer_config entries, offsets spell their tokens, needs)
CASES: dict[str, tuple[dict[str, Any], bool, str | None]] = {
    "mecab-ipadic": ({"mecab_kwargs": {"mecab_dic": "ipadic"}}, True, "ipadic"),
    "mecab-ipadic-lower": ({"mecab_kwargs": {"mecab_dic": "ipadic"}, "do_lower_case": True}, True, "ipadic"),
    "mecab-jumandic": ({"mecab_kwargs": "jumandic"}, True, "jumandic"),
    "mecab-jumandic-lower-no-normalize": ({"mecab_kwargs": "jumandic-raw", "do_lower_case": True}, False, "jumandic"),
    "mecab-unidic_lite-no-normalize": ({"mecab_kwargs": {"mecab_dic": "unidic_lite", "normalize_text": False}},
                                       False, None),
    "mecab-character-no-normalize": ({"subword_tokenizer_type": "character",
                                      "mecab_kwargs": {"mecab_dic": "unidic_lite", "normalize_text": False}}, False, None),
    "mecab-no-subwords": ({"do_subword_tokenize": False}, False, None),
    "mecab-no-subwords-lower": ({"do_subword_tokenize": False, "do_lower_case": True}, False, None),
    "no-words-wordpiece": ({"do_word_tokenize": False}, False, None),
    "no-words-character": ({"do_word_tokenize": False, "subword_tokenizer_type": "character"}, True, None),
    "no-words-no-subwords": ({"do_word_tokenize": False, "do_subword_tokenize": False}, False, None),
    "sudachi-A": ({"word_tokenizer_type": "sudachi"}, True, "sudachi"),
    "sudachi-B-lower": ({"word_tokenizer_type": "sudachi", "do_lower_case": True,
                         "sudachi_kwargs": {"sudachi_split_mode": "B"}}, True, "sudachi"),
    "sudachi-C-core": ({"word_tokenizer_type": "sudachi",
                        "sudachi_kwargs": {"sudachi_split_mode": "C", "sudachi_dict_type": "core"}}, True, "sudachi"),
    "sudachi-character": ({"word_tokenizer_type": "sudachi", "subword_tokenizer_type": "character"}, True, "sudachi"),
    "sudachi-character-trim": ({"word_tokenizer_type": "sudachi", "subword_tokenizer_type": "character",
                                "sudachi_kwargs": {"trim_whitespace": True}}, True, "sudachi"),
    "sudachi-no-normalize": ({"word_tokenizer_type": "sudachi", "sudachi_kwargs": {"normalize_text": False}},
                             False, "sudachi"),
    "sudachi-projection": ({"word_tokenizer_type": "sudachi", "sudachi_kwargs": {"sudachi_projection": "normalized"}},
                           False, "sudachi"),
    "sudachi-projection-nouns": ({"word_tokenizer_type": "sudachi",
                                  "sudachi_kwargs": {"sudachi_projection": "normalized_nouns"}}, False, "sudachi"),
}


def _skip_without(needs: str | None) -> None:
    if needs == "sudachi" and not HAS_SUDACHI:
        pytest.skip("sudachipy / sudachidict_core not installed (pip install 'jbert[sudachi]')")
    if needs in ("ipadic", "jumandic") and importlib.util.find_spec(needs) is None:
        pytest.skip(f"{needs} not installed (pip install {needs})")


@pytest.fixture(scope="module")
def case_dirs(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Any:
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            config = dict(CASES[name][0])
            if config.get("mecab_kwargs") in ("jumandic", "jumandic-raw"):
                config["mecab_kwargs"] = _jumandic(normalize=config["mecab_kwargs"] == "jumandic")
            made[name] = variant(tiny_tokenizer_dir, tmp_path_factory.mktemp(name), **config)
        return made[name]

    return get


def _pair(path: Path) -> tuple[Any, Any]:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    return load_tokenizer(path), BertJapaneseTokenizer.from_pretrained(path, model_input_names=BERT_INPUTS)


def _assert_same(fast: Any, slow: Any, singles: list[str], pairs: list[tuple[str, str]]) -> None:
    ours = fast(singles)["input_ids"]
    ref = [slow(t)["input_ids"] for t in singles]
    bad = [i for i in range(len(singles)) if ours[i] != ref[i]]
    assert not bad, (singles[bad[0]], fast.convert_ids_to_tokens(ours[bad[0]]), slow.convert_ids_to_tokens(ref[bad[0]]))
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    enc = fast(first, second)
    ref_pairs = [slow(a, b) for a, b in pairs]
    assert enc["input_ids"] == [r["input_ids"] for r in ref_pairs]
    assert enc["token_type_ids"] == [r["token_type_ids"] for r in ref_pairs]


@pytest.mark.parametrize("name", list(CASES))
def test_ids_and_offsets(name: str, case_dirs: Any) -> None:
    config, spells, needs = CASES[name]
    _skip_without(needs)
    fast, slow = _pair(case_dirs(name))
    singles, pairs = jglue_texts()
    _assert_same(fast, slow, singles[:400] + HARD_STRINGS + TRANSFORMERS_TEXTS, pairs[:100])
    for text in HARD_STRINGS + TRANSFORMERS_TEXTS + singles[:50]:
        enc = fast(text, return_offsets_mapping=True)
        assert all(0 <= a <= b <= len(text) for a, b in enc["offset_mapping"])
        if spells:
            _assert_spells(fast, text)


@pytest.mark.parametrize("name", ["sudachi-A", "sudachi-C-core", "sudachi-character", "mecab-ipadic",
                                  "mecab-jumandic"])
def test_saved_and_reloaded_in_plain_transformers(name: str, case_dirs: Any, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    _skip_without(CASES[name][2])
    fast, _ = _pair(case_dirs(name))
    fast.save_pretrained(tmp_path)
    plain = AutoTokenizer.from_pretrained(tmp_path)
    assert type(plain).__name__ == "BertJapaneseTokenizer"
    texts = HARD_STRINGS[:20] + jglue_texts()[0][:20]
    assert fast(texts)["input_ids"] == [plain(t)["input_ids"] for t in texts]


def test_sudachi_fingerprint_names_the_dictionary(case_dirs: Any) -> None:
    _skip_without("sudachi")
    from jbert.tokenization import load_tokenizer

    tok = load_tokenizer(case_dirs("sudachi-C-core"))
    assert tok.fingerprint["word_tokenizer"] == "sudachi"
    assert tok.fingerprint["dictionary"] == "sudachidict_core" and tok.fingerprint["split_mode"] == "C"


def test_sudachi_offsets_point_into_the_original_text(case_dirs: Any) -> None:
    _skip_without("sudachi")
    from jbert.tokenization import load_tokenizer

    tok = load_tokenizer(case_dirs("sudachi-A"))
    text = "ﾃﾞｰﾀは　東京都  [SEP] ＡＢＣ"
    enc = tok(text, return_offsets_mapping=True)
    rows = [(token, text[a:b]) for token, (a, b) in zip(tok.convert_ids_to_tokens(enc["input_ids"]),
                                                        enc["offset_mapping"], strict=True)]
    assert rows[1:4] == [("デ", "ﾃﾞ"), ("##ー", "ｰ"), ("##タ", "ﾀ")]  # NFKC merged ﾃﾞ: one span, two characters
    assert rows[4:] == [("は", "は"), ("東", "東"), ("##京", "京"), ("都", "都"), ("[SEP]", "[SEP]"), ("A", "Ａ"),
                        ("##B", "Ｂ"), ("##C", "Ｃ"), ("[SEP]", "")]  # the spaces (Sudachi words) give no token
    assert enc["offset_mapping"][rows.index(("[SEP]", "[SEP]"))] == (text.index("[SEP]"), text.index("[SEP]") + 5)


def _shared_valid() -> tuple[list[str], list[tuple[str, str]]]:
    valid = "valid-v1.3.json"
    return collect_texts([SHARED_JGLUE / f"{task}-v1.3" / valid for task in ("jsts", "jnli")],
                         [SHARED_JGLUE / "jcommonsenseqa-v1.3" / valid], [SHARED_JGLUE / "jsquad-v1.3" / valid])


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_JGLUE.is_dir(), reason=f"{SHARED_JGLUE} not found")
@pytest.mark.parametrize("name", ["mecab-ipadic", "mecab-jumandic", "sudachi-A", "sudachi-character"])
def test_all_jglue_valid_sets(name: str, case_dirs: Any) -> None:
    _skip_without(CASES[name][2])
    fast, slow = _pair(case_dirs(name))
    singles, pairs = _shared_valid()
    _assert_same(fast, slow, singles, pairs[::4])
