"""Juman++ through jbert's segmenter and through transformers' JumanppTokenizer, on recorded Juman++ output.

The Juman++ binary cannot be pip-installed, so the test puts a `jumanpp` on PATH that replays real Juman++
output recorded for a few sentences (tests/data/jumanpp/recorded.json): both tokenizers then go
through the same subprocess protocol (rhoknp: one line in, morpheme lines and EOS out) and the parser.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import BERT_INPUTS, variant

from jbert.errors import TokenizerLoadError

pytest.importorskip("rhoknp")
# Inputs with Juman++ output published by its authors (tests/data/jumanpp/recorded.json; `fake_jumanpp`, in
# conftest.py, replays it). Order matters below: TEXTS[0] and TEXTS[2] make a pair.
TEXTS = ["天気がいいので散歩した。", "天気が良かったので散歩した。", "EOSは特殊記号です。", "顔面を打ちつけ負傷した。",
         "あ い", "。"]


@pytest.fixture
def juman_dir(tmp_path: Path, tiny_tokenizer_dir: Path) -> Path:
    return variant(tiny_tokenizer_dir, tmp_path / "juman", word_tokenizer_type="jumanpp", do_lower_case=True)


def _pair(path: Path, **config: Any) -> tuple[Any, Any]:
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    return load_tokenizer(path), BertJapaneseTokenizer.from_pretrained(path, model_input_names=BERT_INPUTS)


def test_segmenter_reads_the_morphemes(fake_jumanpp: Path) -> None:
    from jbert.tokenization.segmenters.base import Words, make_segmenter

    seg = make_segmenter("jumanpp", {})
    words = seg.submit(["顔面を打ちつけ負傷した。", "あ い"]).result()
    assert words[0] == Words(["顔面", "を", "打ち", "つけ", "負傷", "した", "。"])  # homograph lines (@) are no words
    assert words[1].surfaces == ["あ", " ", "い"]  # the escaped space is a word of its own


@pytest.mark.parametrize("subword", ["wordpiece", "character"])
def test_ids_equal_transformers_jumanpp_tokenizer(fake_jumanpp: Path, juman_dir: Path, subword: str) -> None:
    path = variant(juman_dir, juman_dir.parent / subword, subword_tokenizer_type=subword)
    fast, slow = _pair(path)
    texts = TEXTS + [f"  {TEXTS[0]} "]  # JumanppTokenizer strips the text before Juman++
    assert fast(texts)["input_ids"] == [slow(t)["input_ids"] for t in texts]
    assert fast(TEXTS[0], TEXTS[2])["token_type_ids"] == slow(TEXTS[0], TEXTS[2])["token_type_ids"]


def test_offsets_and_word_ids(fake_jumanpp: Path, juman_dir: Path) -> None:
    fast, _ = _pair(juman_dir)
    text = "  天気がいいので散歩した。"
    enc = fast(text, return_offsets_mapping=True)
    tokens = fast.convert_ids_to_tokens(enc["input_ids"])
    spans = [text[a:b] for a, b in enc["offset_mapping"]]
    for token, span in zip(tokens[1:-1], spans[1:-1], strict=True):
        assert token == fast.unk_token or token.removeprefix("##") == span
    assert "".join(spans) == text.strip()
    assert enc.word_ids()[1] == 0 and enc.word_ids()[-2] == 6  # seven Juman++ words


def test_missing_binary_is_one_line_naming_the_install(juman_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from jbert.tokenization import load_tokenizer

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TokenizerLoadError) as info:
        load_tokenizer(juman_dir)
    message = str(info.value)
    assert "\n" not in message and "jumanpp" in message and "github.com/ku-nlp/jumanpp" in message


def test_missing_rhoknp_names_the_package(fake_jumanpp: Path, juman_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jbert.tokenization import load_tokenizer

    monkeypatch.setitem(sys.modules, "rhoknp", None)
    with pytest.raises(TokenizerLoadError, match="pip install rhoknp"):
        load_tokenizer(juman_dir)


def test_jumanpp_with_sentencepiece_like_nlp_waseda(fake_jumanpp: Path, tmp_path: Path) -> None:
    """nlp-waseda/roberta-base-japanese-with-auto-jumanpp: Juman++ words, each encoded by SentencePiece."""
    spm = pytest.importorskip("sentencepiece")
    out = tmp_path / "waseda"
    out.mkdir()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(TEXTS * 20) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(out / "spiece"), vocab_size=60,
                                   hard_vocab_limit=False, pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                                   pad_piece="[PAD]", unk_piece="[UNK]", user_defined_symbols=["[CLS]", "[SEP]", "[MASK]"],
                                   minloglevel=2)
    config = {"tokenizer_class": "BertJapaneseTokenizer", "word_tokenizer_type": "jumanpp",
              "subword_tokenizer_type": "sentencepiece", "do_lower_case": False}
    (out / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    fast, slow = _pair(out)
    assert fast(TEXTS)["input_ids"] == [slow(t)["input_ids"] for t in TEXTS]
    enc = fast(TEXTS[0], return_offsets_mapping=True)
    assert all(0 <= a <= b <= len(TEXTS[0]) for a, b in enc["offset_mapping"])
