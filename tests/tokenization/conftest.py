"""Fixtures for the fast-tokenizer tests: jbert's tokenizer and the reference, on the session's tiny vocab,
plus variants (lower-casing, character subwords) and a recorded-output `jumanpp`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import BERT_INPUTS, variant


@pytest.fixture(scope="session")
def lower_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Path:
    return variant(tiny_tokenizer_dir, tmp_path_factory.mktemp("lower"), do_lower_case=True)


@pytest.fixture(scope="session")
def char_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Path:
    return variant(tiny_tokenizer_dir, tmp_path_factory.mktemp("char"), subword_tokenizer_type="character")


@pytest.fixture(scope="session")
def fast_tok(tiny_tokenizer_dir: Path) -> Any:
    from jbert.tokenization import load_tokenizer

    return load_tokenizer(tiny_tokenizer_dir)


@pytest.fixture(scope="session")
def slow_tok(tiny_tokenizer_dir: Path) -> Any:
    """The reference, returning token_type_ids like the BERT models it serves need."""
    from transformers import BertJapaneseTokenizer

    return BertJapaneseTokenizer.from_pretrained(tiny_tokenizer_dir, model_input_names=BERT_INPUTS)


SUDACHI = {"sudachi": {"word_tokenizer_type": "sudachi", "do_lower_case": True},
           "sudachi-character": {"word_tokenizer_type": "sudachi", "subword_tokenizer_type": "character"}}


@pytest.fixture(scope="session", params=["wordpiece", "lower", "character", *SUDACHI])
def tokenizer_pair(request: pytest.FixtureRequest, tiny_tokenizer_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """(jbert, reference) for each supported configuration (Sudachi ones when sudachipy is installed)."""
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    if request.param in SUDACHI:
        pytest.importorskip("sudachipy")
        pytest.importorskip("sudachidict_core")
        path = variant(tiny_tokenizer_dir, tmp_path_factory.mktemp(request.param), **SUDACHI[request.param])
    else:
        path = {"wordpiece": tiny_tokenizer_dir, "lower": request.getfixturevalue("lower_tokenizer_dir"),
                "character": request.getfixturevalue("char_tokenizer_dir")}[request.param]
    return load_tokenizer(path), BertJapaneseTokenizer.from_pretrained(path, model_input_names=BERT_INPUTS)


@pytest.fixture
def fake_jumanpp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `jumanpp` on PATH replaying recorded Juman++ output (tests/data/jumanpp); unrecorded input fails."""
    pytest.importorskip("rhoknp")  # jbert runs Juman++ through rhoknp
    fake = Path(__file__).parents[1] / "data" / "jumanpp" / "fake_jumanpp.py"
    binary = tmp_path / "bin" / "jumanpp"
    binary.parent.mkdir()
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n', encoding="utf-8")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return binary
