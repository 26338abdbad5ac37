"""Tokenizer fingerprints: what is recorded, silence when nothing changed, loud warnings when something did."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import shutil
import warnings
from pathlib import Path

import pytest

from jbert.errors import TokenizerLoadError
from jbert.tokenization.fingerprint import (
    FINGERPRINT_FILE,
    TokenizerMismatchWarning,
    check_fingerprint,
    compute_fingerprint,
    write_fingerprint,
)
from jbert.tokenization.train import train_tokenizer

CORPUS = Path(__file__).resolve().parents[2] / "data" / "sample" / "corpus.txt"
UNIDIC_LITE = importlib.metadata.version("unidic-lite")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fp")
    train_tokenizer(CORPUS, "mecab-wordpiece", 1200, out / "wp", limit_alphabet=300, progress=False)
    train_tokenizer(CORPUS, "sentencepiece-unigram", 2000, out / "sp", progress=False)
    return {"wp": out / "wp", "sp": out / "sp"}


@pytest.fixture
def wp(trained: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the trained wordpiece tokenizer, free to tamper with."""
    return Path(shutil.copytree(trained["wp"], tmp_path / "wp"))


def _mismatch_warnings(tokenizer_dir: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_fingerprint(tokenizer_dir)
    return [str(w.message) for w in caught if issubclass(w.category, TokenizerMismatchWarning)]


def _edit_record(tokenizer_dir: Path, **changes: object) -> None:
    path = tokenizer_dir / FINGERPRINT_FILE
    record = json.loads(path.read_text(encoding="utf-8"))
    record.update(changes)
    path.write_text(json.dumps(record), encoding="utf-8")


def test_wordpiece_fingerprint_records_the_analyser(trained: dict[str, Path]) -> None:
    fp = json.loads((trained["wp"] / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    assert fp["word_tokenizer"] == "mecab"
    assert fp["dictionary"] == "unidic_lite"
    assert fp["dictionary_version"] == UNIDIC_LITE
    assert fp["normalization"] == "NFKC"
    assert fp["subword_tokenizer"] == "wordpiece"
    assert fp["do_lower_case"] is False
    assert fp["vocab_file"] == "vocab.txt" and fp["vocab_size"] == 1200
    # For a canonical vocab.txt the hash is the file's sha256.
    assert fp["vocab_sha256"] == hashlib.sha256((trained["wp"] / "vocab.txt").read_bytes()).hexdigest()
    assert fp == compute_fingerprint(trained["wp"])


def test_unigram_fingerprint(trained: dict[str, Path]) -> None:
    fp = compute_fingerprint(trained["sp"])
    assert fp["word_tokenizer"] is None and fp["dictionary"] is None
    assert fp["normalization"].startswith("NFKC")
    assert fp["subword_tokenizer"] == "unigram"
    assert fp["vocab_file"] == "tokenizer.json" and fp["vocab_size"] == 2000


def test_fingerprint_of_a_tohoku_style_dir(tiny_tokenizer_dir: Path) -> None:
    fp = compute_fingerprint(tiny_tokenizer_dir)
    assert (fp["word_tokenizer"], fp["dictionary"], fp["subword_tokenizer"]) == ("mecab", "unidic_lite", "wordpiece")


def test_no_record_means_no_check(tiny_tokenizer_dir: Path) -> None:
    assert not (tiny_tokenizer_dir / FINGERPRINT_FILE).exists()
    assert _mismatch_warnings(tiny_tokenizer_dir) == []


@pytest.mark.parametrize("which", ["wp", "sp"])
def test_unchanged_tokenizer_is_silent(trained: dict[str, Path], which: str) -> None:
    assert _mismatch_warnings(trained[which]) == []


@pytest.mark.parametrize("which", ["wp", "sp"])
def test_hash_survives_save_pretrained(trained: dict[str, Path], tmp_path: Path, which: str) -> None:
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(trained[which]).save_pretrained(tmp_path / "resaved")
    shutil.copy(trained[which] / FINGERPRINT_FILE, tmp_path / "resaved")
    assert _mismatch_warnings(tmp_path / "resaved") == []


def test_dictionary_version_change_warns_with_the_package_to_install(
    wp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _edit_record(wp, dictionary_version="0.9")
    with caplog.at_level(logging.WARNING, logger="jbert.tokenization.fingerprint"):
        messages = _mismatch_warnings(wp)
    assert len(messages) == 1
    assert messages[0] == (
        f"TOKENIZER MISMATCH in {wp}: texts will not get the ids the model was trained with "
        f"(dictionary_version: '0.9' -> '{UNIDIC_LITE}'). Fix: pip install unidic-lite==0.9"
    )
    assert messages[0] in caplog.text


def test_dictionary_name_change_names_the_recorded_package(wp: Path) -> None:
    _edit_record(wp, dictionary="unidic", dictionary_version="1.1.0")
    (message,) = _mismatch_warnings(wp)
    assert "dictionary: 'unidic' -> 'unidic_lite'" in message
    assert message.endswith("Fix: pip install unidic==1.1.0")


def test_changed_vocab_warns(wp: Path) -> None:
    with (wp / "vocab.txt").open("a", encoding="utf-8") as f:
        f.write("新語\n")
    (message,) = _mismatch_warnings(wp)
    assert "vocab_sha256: " in message
    assert "the vocabulary file changed since training" in message


def test_changed_lowercasing_warns(wp: Path) -> None:
    config_path = wp / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["do_lower_case"] = True
    config_path.write_text(json.dumps(config), encoding="utf-8")
    (message,) = _mismatch_warnings(wp)
    assert "do_lower_case: False -> True" in message


def test_write_fingerprint_returns_the_path(wp: Path) -> None:
    (wp / FINGERPRINT_FILE).unlink()
    assert write_fingerprint(wp) == wp / FINGERPRINT_FILE
    assert _mismatch_warnings(wp) == []


def test_not_a_tokenizer_dir(tmp_path: Path) -> None:
    with pytest.raises(TokenizerLoadError, match=r"tokenizer_config.json: cannot read .*is this a tokenizer directory\?"):
        compute_fingerprint(tmp_path)
