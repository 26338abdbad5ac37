"""Words for whole-word masking: the tokenizer's own where it segments Japanese, MeCab's over offsets else."""

from __future__ import annotations

import json

from jbert.pretraining.words import mecab_word_starts, word_source
from jbert.tokenization import load_tokenizer

TEXT = "東北大学で自然言語処理の研究をしています。"
WORDS = "東北/大学/で/自然/言語/処理/の/研究/を/し/て/い/ます/。".split("/")  # unidic-lite


def test_a_mecab_wordpiece_tokenizer_gives_its_own_words(tiny_tokenizer_dir):
    assert word_source(load_tokenizer(tiny_tokenizer_dir)) == "tokenizer"


def test_a_character_tokenizer_takes_mecab_words(tiny_tokenizer_dir, tmp_path):
    config = json.loads((tiny_tokenizer_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["subword_tokenizer_type"] = "character"
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (tmp_path / "vocab.txt").write_text((tiny_tokenizer_dir / "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert word_source(load_tokenizer(tmp_path)) == "mecab"


def test_a_tokenizer_without_word_segmentation_takes_mecab_words():
    class SentencePieceLike:  # XLM-R, rinna, ModernBERT-ja: no word_tokenizer_type, not presegmented
        pass

    class Presegmented:
        is_presegmented = True

    assert word_source(SentencePieceLike()) == "mecab"
    assert word_source(Presegmented()) == "tokenizer"


def test_each_character_token_starts_where_a_mecab_word_does():
    offsets = [(i, i + 1) for i in range(len(TEXT))]
    assert mecab_word_starts(TEXT, offsets) == [int(k == 0) for w in WORDS for k in range(len(w))]


def test_a_piece_straddling_two_words_belongs_to_the_first():
    # pieces: "東北大" (東北 + 大), "学で" (rest of 大学 + で), "自然言語" (two words), ...
    offsets = [(0, 3), (3, 5), (5, 9), (9, len(TEXT))]
    assert mecab_word_starts(TEXT, offsets) == [1, 0, 1, 1]


def test_spaces_and_a_leading_empty_piece():
    text = "東京 タワー"
    # a SentencePiece "▁" covering nothing, then 東京, then "▁タワー" starting at the space
    assert mecab_word_starts(text, [(0, 0), (0, 2), (2, 6)]) == [1, 0, 1]


def test_words_of_whole_lines_still_warn(caplog):
    """The guard behind the word sources: a segmenter that gives whole lines (a user's registered one, say)
    would make whole-word masking mask sentences; jbert says so."""
    import datasets

    from jbert.pretraining.run import _warn_long_words

    lines = datasets.Dataset.from_dict({"word_starts": [[-1, 1] + [0] * 20 + [-1], [-1, 1, 0, 1, 0, -1]]})
    with caplog.at_level("WARNING", logger="jbert.pretraining.run"):
        _warn_long_words(lines.select([0]), "model-x")
    assert "the words of model-x average 21 tokens" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="jbert.pretraining.run"):
        _warn_long_words(lines.select([1]), "model-x")
    assert caplog.text == ""
