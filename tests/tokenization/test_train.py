"""Tokenizer training: the WordPiece trainer's rules, both setups end to end, determinism, option errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jbert.errors import ConfigError, DataFormatError, UnknownNameError
from jbert.tokenization.setups import SETUPS, SPECIAL_TOKENS
from jbert.tokenization.setups.wordpiece_trainer import select_alphabet, train_wordpiece
from jbert.tokenization.train import train_tokenizer

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "sample" / "corpus.txt"
SAMPLE_LINES = CORPUS.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def wordpiece_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wp")
    train_tokenizer([CORPUS], "mecab-wordpiece", 1500, out, limit_alphabet=400, progress=False)
    return out


@pytest.fixture(scope="module")
def unigram_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sp")
    train_tokenizer([CORPUS], "sentencepiece-unigram", 2000, out, progress=False)
    return out


# --- the WordPiece trainer -------------------------------------------------------------------------


def _train(counts: dict[str, int], size: int, min_frequency: int = 1) -> list[str]:
    return train_wordpiece(counts, size, ["[UNK]"], select_alphabet(counts), min_frequency)


def test_alphabet_keeps_both_forms_of_every_character() -> None:
    assert _train({"ab": 1}, 5) == ["[UNK]", "a", "b", "##a", "##b"]


def test_higher_count_merges_first() -> None:
    # (c, ##d) occurs 3 times, (a, ##b) once: one merge fits.
    assert _train({"ab": 1, "cd": 3}, 10)[-1] == "cd"


def test_equal_counts_tie_break_on_the_pair_strings() -> None:
    # Both pairs occur twice; ("a", "##b") < ("c", "##d") as strings, whatever the input order.
    assert _train({"cd": 2, "ab": 2}, 10)[-1] == "ab"
    assert _train({"ab": 2, "cd": 2}, 10)[-1] == "ab"


def test_merges_continue_on_merged_symbols_and_stop_at_min_frequency() -> None:
    vocab = _train({"abc": 5, "abd": 1}, 100, min_frequency=2)
    assert vocab[-2:] == ["ab", "abc"]  # "abd" occurs once: below min_frequency


def test_same_string_from_two_merge_paths_is_one_token() -> None:
    vocab = _train({"abc": 4, "bc": 3, "xbc": 1, "ab": 1}, 100)
    assert len(vocab) == len(set(vocab))


def test_alphabet_coverage_and_limit_rank_by_count_then_code_point() -> None:
    counts = {"ab": 4, "c": 2, "d": 2, "e": 1}
    assert select_alphabet(counts, limit=3).chars == ("a", "b", "c")
    assert select_alphabet(counts, coverage=0.6).chars == ("a", "b")  # 8 of 13 occurrences
    assert select_alphabet(counts, coverage=0.7).chars == ("a", "b", "c")
    assert select_alphabet(counts).coverage == 1.0


def test_vocab_size_below_the_alphabet_is_an_error() -> None:
    with pytest.raises(ConfigError, match="below the 7"):
        _train({"abc": 1}, 6)


# --- mecab-wordpiece -------------------------------------------------------------------------------


def test_wordpiece_saved_like_tohoku(wordpiece_dir: Path) -> None:
    vocab = (wordpiece_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    assert vocab[-1] == ""  # one token a line, final newline
    vocab = vocab[:-1]
    assert vocab[:5] == list(SPECIAL_TOKENS)
    assert len(vocab) == 1500 and len(set(vocab)) == 1500
    config = json.loads((wordpiece_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["tokenizer_class"] == "BertJapaneseTokenizer"
    assert config["word_tokenizer_type"] == "mecab"
    assert config["subword_tokenizer_type"] == "wordpiece"
    assert config["mecab_kwargs"] == {"mecab_dic": "unidic_lite"}
    assert config["do_lower_case"] is False
    assert config["model_max_length"] == 512
    assert (wordpiece_dir / "jbert_tokenizer.json").is_file()


def test_wordpiece_loads_in_plain_transformers(wordpiece_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(wordpiece_dir)
    assert type(tok).__name__ == "BertJapaneseTokenizer"
    assert [tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.mask_token_id] == [
        0, 1, 2, 3, 4,
    ]
    enc = tok("東京都に行きました。", "ＡＢＣです")
    assert enc["input_ids"][0] == 2 and enc["input_ids"].count(3) == 2
    assert set(enc["token_type_ids"]) == {0, 1}
    # A word is [UNK] only when it holds a character outside the (limited) alphabet.
    alphabet = {t for t in tok.get_vocab() if len(t) == 1}
    covered = [line for line in SAMPLE_LINES if set(unicodedata.normalize("NFKC", line)) <= alphabet]
    assert len(covered) > 100
    for line in covered:
        assert tok.unk_token not in tok.tokenize(line)


def test_wordpiece_lowercase(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text("ＡＢＣの本\nAbcの本\n" * 3, encoding="utf-8")
    train_tokenizer(corpus, "mecab-wordpiece", 60, tmp_path / "tok", lowercase=True, progress=False)
    vocab = (tmp_path / "tok" / "vocab.txt").read_text(encoding="utf-8").split()
    assert "abc" in vocab and not any(c.isupper() for c in "".join(vocab[5:]))
    config = json.loads((tmp_path / "tok" / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["do_lower_case"] is True


def test_special_tokens_in_the_corpus_are_not_learned(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text("題名 [SEP] 本文です\n" * 5, encoding="utf-8")
    train_tokenizer(corpus, "mecab-wordpiece", 100, tmp_path / "tok", progress=False)
    vocab = (tmp_path / "tok" / "vocab.txt").read_text(encoding="utf-8").split()
    assert "SEP" not in vocab and "S" not in vocab


# --- sentencepiece-unigram -------------------------------------------------------------------------


def test_unigram_loads_fast_with_bert_specials(unigram_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(unigram_dir)
    assert tok.is_fast
    assert tok.convert_ids_to_tokens([0, 1, 2, 3, 4]) == list(SPECIAL_TOKENS)
    enc = tok("東京都に行きました。", "二文目です")
    ids, types = enc["input_ids"], enc["token_type_ids"]
    assert ids[0] == 2 and ids[-1] == 3 and ids.count(3) == 2
    first_sep = ids.index(3)
    assert set(types[: first_sep + 1]) == {0} and set(types[first_sep + 1 :]) == {1}
    assert "[MASK]" in tok.convert_ids_to_tokens(tok("猫が[MASK]いる")["input_ids"])


def _normalised(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s))


def _check_offsets(tok, text: str, exact: bool) -> None:
    enc = tok(text, return_offsets_mapping=True, add_special_tokens=False)
    for token_id, (start, end) in zip(enc["input_ids"], enc["offset_mapping"], strict=True):
        assert 0 <= start <= end <= len(text)
        if token_id == tok.unk_token_id:
            continue
        piece = tok.convert_ids_to_tokens(token_id).replace("▁", " ")
        span = _normalised(text[start:end])
        assert span == piece if exact else piece.strip() in span, (text, piece, text[start:end])


def test_unigram_offsets_point_into_the_original_text(unigram_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(unigram_dir)
    for text in SAMPLE_LINES[:200] + ["ＡＢＣとﾃｽﾄ　全角 空白", "半角  スペース２つ"]:
        _check_offsets(tok, text, exact=True)


_CHARS = sorted(set("".join(SAMPLE_LINES[:300]))) + list("ｱｲｳｴｵﾃｽﾄＡＢＣ１２３㍿ 　\t")


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(_CHARS), max_size=40))
def test_unigram_offsets_property(unigram_dir: Path, text: str) -> None:
    from transformers import AutoTokenizer

    _check_offsets(AutoTokenizer.from_pretrained(unigram_dir), text, exact=False)


def test_unigram_vocab_too_small(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^vocab size 100 is too small: 5 special tokens \+ \d+ characters"):
        train_tokenizer(CORPUS, "sentencepiece-unigram", 100, tmp_path / "tok", progress=False)


# --- determinism -------------------------------------------------------------------------------------

_TRAIN_SCRIPT = (
    "import sys; from jbert.tokenization.train import train_tokenizer; "
    "train_tokenizer(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], progress=False, **eval(sys.argv[5]))"
)


def _train_in_subprocess(setup: str, size: int, out: Path, seed: str, options: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-c", _TRAIN_SCRIPT, str(CORPUS), setup, str(size), str(out), options],
        check=True, env=env, cwd=REPO,
    )


@pytest.mark.parametrize(
    ("setup", "size", "options", "files"),
    [
        ("mecab-wordpiece", 2000, "{'limit_alphabet': 600}", ["vocab.txt", "tokenizer_config.json"]),
        ("sentencepiece-unigram", 2000, "{}", ["tokenizer.json", "tokenizer_config.json"]),
    ],
)
def test_training_is_byte_identical_across_processes(
    tmp_path: Path, setup: str, size: int, options: str, files: list[str]
) -> None:
    _train_in_subprocess(setup, size, tmp_path / "a", "1", options)
    _train_in_subprocess(setup, size, tmp_path / "b", "2", options)
    for name in files + ["jbert_tokenizer.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# --- options and errors ------------------------------------------------------------------------------


def test_registry_names() -> None:
    assert SETUPS.names() == ["mecab-wordpiece", "sentencepiece-unigram"]


def test_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown tokenizer type 'bpe'; available: mecab-wordpiece, sentencepiece"):
        train_tokenizer(CORPUS, "bpe", 100, tmp_path)


def test_option_that_does_not_apply(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--dictionary does not apply to --type sentencepiece-unigram \(its options"):
        train_tokenizer(CORPUS, "sentencepiece-unigram", 100, tmp_path, dictionary="unidic")


@pytest.mark.parametrize(
    ("size", "options", "message"),
    [
        (0, {}, "--vocab-size must be a positive number of tokens, got 0"),
        (100, {"min_frequency": 0}, "--min-frequency must be at least 1, got 0"),
        (100, {"character_coverage": 1.5}, "--character-coverage must be in (0, 1], got 1.5"),
    ],
)
def test_bad_values(tmp_path: Path, size: int, options: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        train_tokenizer(CORPUS, "mecab-wordpiece", size, tmp_path / "tok", **options)
    assert str(info.value) == message


def test_wordpiece_vocab_too_small_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        train_tokenizer(CORPUS, "mecab-wordpiece", 1000, tmp_path / "tok", progress=False)
    assert re.fullmatch(
        r"vocab size 1000 is too small: 5 special tokens \+ \d+ characters in two forms \(c and ##c\) need \d+ "
        r"\(raise --vocab-size to at least \d+, or keep fewer characters with e.g. --limit-alphabet 248\)",
        str(info.value),
    )
    assert not (tmp_path / "tok" / "vocab.txt").exists()


def test_unknown_dictionary(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown --dictionary 'juman'; available: unidic_lite, unidic, ipadic"):
        train_tokenizer(CORPUS, "mecab-wordpiece", 100, tmp_path / "tok", dictionary="juman")


def test_output_that_is_a_file_or_a_model(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file; give a directory"):
        train_tokenizer(CORPUS, "mecab-wordpiece", 100, tmp_path / "file")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"holds a model \(config.json\)"):
        train_tokenizer(CORPUS, "mecab-wordpiece", 100, tmp_path / "model")


def test_retraining_replaces_stale_files_and_a_failure_keeps_the_old_ones(tmp_path: Path) -> None:
    out = tmp_path / "tok"
    train_tokenizer(CORPUS, "mecab-wordpiece", 1500, out, limit_alphabet=400, progress=False)
    train_tokenizer(CORPUS, "sentencepiece-unigram", 2000, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["jbert_tokenizer.json", "tokenizer.json", "tokenizer_config.json"]
    with pytest.raises(DataFormatError):
        train_tokenizer(tmp_path / "missing.txt", "mecab-wordpiece", 1500, out, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["jbert_tokenizer.json", "tokenizer.json", "tokenizer_config.json"]
