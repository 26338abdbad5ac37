"""LINE DistilBERT style: BertJapaneseTokenizer with MeCab words and SentencePiece subwords (spiece.model).

The test trains a small SentencePiece model (sentencepiece's own trainer) on MeCab-segmented text of
tests/data, writes a hub-like directory (spiece.model + tokenizer_config.json naming the slow class) and
compares jbert's fast tokenizer with transformers' BertJapaneseTokenizer: ids, pairs, offsets, save/reload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import BERT_INPUTS, HARD_STRINGS, _assert_spells, jglue_texts

spm = pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def spm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import unicodedata

    from jbert.tokenization.segmenters.mecab_threads import Segmenter

    out = tmp_path_factory.mktemp("line_distilbert")
    singles, _ = jglue_texts()
    words = Segmenter({"mecab_dic": "unidic_lite"}, threads=0).submit(
        [unicodedata.normalize("NFKC", t) for t in singles]).result()
    corpus = out / "corpus.txt"
    corpus.write_text("\n".join(w.lower() for w in words) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(out / "spiece"), vocab_size=1200, character_coverage=0.995,
        pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, pad_piece="[PAD]", unk_piece="[UNK]",
        user_defined_symbols=["[CLS]", "[SEP]", "[MASK]"], minloglevel=2,
    )
    corpus.unlink()
    (out / "spiece.vocab").unlink()
    config = {"tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": True, "word_tokenizer_type": "mecab",
              "subword_tokenizer_type": "sentencepiece", "mecab_kwargs": {"mecab_dic": "unidic_lite"},
              "model_max_length": 512}
    (out / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def pair(spm_dir: Path) -> tuple[Any, Any]:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    return load_tokenizer(spm_dir), BertJapaneseTokenizer.from_pretrained(spm_dir, model_input_names=BERT_INPUTS)


def test_loads_fast(pair: tuple[Any, Any]) -> None:
    from jbert.tokenization import BertJapaneseTokenizerFast

    fast, slow = pair
    assert isinstance(fast, BertJapaneseTokenizerFast) and fast.is_fast
    for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id", "mask_token_id"):
        assert getattr(fast, name) == getattr(slow, name), name


def test_ids_equal_the_reference(pair: tuple[Any, Any]) -> None:
    fast, slow = pair
    singles, pairs = jglue_texts()
    texts = singles[:600] + HARD_STRINGS + ["1,000円と2,5,6個", "``引用''です", "ＡＢＣ１２３"]
    ours = fast(texts)["input_ids"]
    ref = [slow(t)["input_ids"] for t in texts]
    bad = [i for i in range(len(texts)) if ours[i] != ref[i]]
    assert not bad, (texts[bad[0]], fast.convert_ids_to_tokens(ours[bad[0]]), slow.convert_ids_to_tokens(ref[bad[0]]))
    first, second = [a for a, _ in pairs[:80]], [b for _, b in pairs[:80]]
    enc = fast(first, second)
    refs = [slow(a, b) for a, b in zip(first, second, strict=True)]
    assert enc["input_ids"] == [r["input_ids"] for r in refs]
    assert enc["token_type_ids"] == [r["token_type_ids"] for r in refs]


def test_tokens_and_decode(pair: tuple[Any, Any]) -> None:
    fast, slow = pair
    text = "東京都の天気は晴れです。"
    ids = slow(text)["input_ids"]
    assert fast.convert_ids_to_tokens(ids) == slow.convert_ids_to_tokens(ids)
    assert fast.decode(ids, skip_special_tokens=True).replace(" ", "") == text


def test_offsets_spell_the_pieces(pair: tuple[Any, Any]) -> None:
    fast, _ = pair
    for text in HARD_STRINGS + jglue_texts()[0][:60]:
        enc = fast(text, return_offsets_mapping=True)
        assert all(0 <= a <= b <= len(text) for a, b in enc["offset_mapping"])
        _assert_spells(fast, text)


def test_save_and_reload_in_plain_transformers(pair: tuple[Any, Any], tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from jbert.tokenization import load_tokenizer

    fast, _ = pair
    fast.save_pretrained(tmp_path)
    assert (tmp_path / "spiece.model").is_file()
    plain = AutoTokenizer.from_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    texts = HARD_STRINGS[:30]
    assert fast(texts)["input_ids"] == [plain(t)["input_ids"] for t in texts] == again(texts)["input_ids"]
