"""Texts longer than one MeCab call can take: the same words as MeCab over the whole text, the same ids as
BertJapaneseTokenizer, and no crash at any length (MeCab's path cost overflows at about a million characters
and fugashi then dies with SIGSEGV, so the long runs happen in a child process)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import SHARED_JGLUE, collect_texts, jglue_texts

from jbert.tokenization.segmenters import longtext
from jbert.tokenization.segmenters.mecab import make_tagger, segment
from jbert.tokenization.segmenters.mecab_threads import Segmenter

ROOT = Path(__file__).resolve().parents[2]
_BREAK_CHARS = re.compile(r"[。．！？!?\n、，,;；:：)）」』】\]\s]")


def _distinct_nfkc(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(unicodedata.normalize("NFKC", t) for t in texts))


def _jglue_rows() -> list[str]:
    """Real JGLUE text: the shared valid sets when this machine has them, else tests/data's slices."""
    if SHARED_JGLUE.is_dir():
        valid = "valid-v1.3.json"
        singles, _ = collect_texts([SHARED_JGLUE / f"{t}-v1.3" / valid for t in ("jsts", "jnli")],
                                   [SHARED_JGLUE / "jcommonsenseqa-v1.3" / valid],
                                   [SHARED_JGLUE / "jsquad-v1.3" / valid])
        return _distinct_nfkc(singles)
    return _distinct_nfkc(jglue_texts()[0])


@pytest.fixture(scope="module")
def rows() -> list[str]:
    return _jglue_rows()


@pytest.fixture(scope="module")
def tagger() -> Any:
    return make_tagger({"mecab_dic": "unidic_lite"})


def _calls(tagger: Any, text: str) -> tuple[list[str], list[int]]:
    sizes: list[int] = []

    def parse(piece: str) -> list[str]:
        sizes.append(len(piece))
        return segment(tagger, piece)

    return longtext.segment_long(parse, text), sizes


@pytest.mark.parametrize("joiner", ["", "\n", " "])
def test_windows_give_mecabs_words_for_the_whole_text(tagger: Any, rows: list[str], joiner: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text = joiner.join(rows)[:150_000]  # MeCab parses this whole (it gives up near a million characters)
    whole = [n.surface for n in tagger(text)]
    words, sizes = _calls(tagger, text)
    assert len(sizes) > 4 and max(sizes) <= longtext.MAX_CHARS
    assert words == whole
    monkeypatch.setattr(longtext, "MAX_CHARS", 2_000)  # many more cuts, at punctuation and spaces
    words, sizes = _calls(tagger, text)
    assert len(sizes) > 70 and max(sizes) <= 2_000 and words == whole


def test_text_without_breaks_is_cut_at_class_changes(tagger: Any, rows: list[str]) -> None:
    text = _BREAK_CHARS.sub("", "".join(rows))[:100_000]
    words, sizes = _calls(tagger, text)
    assert len(sizes) > 100 and max(sizes) <= longtext.PLAIN_CHARS < longtext.MAX_CHARS
    assert words == [n.surface for n in tagger(text)]


@pytest.mark.parametrize("run", ["あ", "ア", "ｱﾞ", "a", "漢", "アあ漢a1"])
def test_one_repeated_character_class(tagger: Any, run: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """MeCab groups a katakana or letter run into unknown words at a cost quadratic in the run's length:
    such text is taken in short windows, and still gives MeCab's words for the whole text."""
    monkeypatch.setattr(longtext, "MAX_CHARS", 4_000)  # so that MeCab parses the whole text in a second
    text = (run * 12_000)[:12_000]
    words, sizes = _calls(tagger, text)
    assert len(sizes) > 10 and max(sizes) <= longtext.PLAIN_CHARS
    assert words == [n.surface for n in tagger(text)]


def test_threaded_segmenter_parses_long_texts_in_windows(rows: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(longtext, "MAX_CHARS", 6_000)
    monkeypatch.setattr("jbert.tokenization.segmenters.mecab_threads.MAX_CHARS", 6_000)
    monkeypatch.setattr("jbert.tokenization.segmenters.mecab.MAX_CHARS", 6_000)
    seg = Segmenter({"mecab_dic": "unidic_lite"}, threads=2)
    long = "".join(rows)[:40_000]
    texts = rows[:30] + [long] + rows[30:60] + [long[:5_000]]
    tagger = make_tagger({"mecab_dic": "unidic_lite"})
    assert seg.submit(texts).result() == [" ".join(n.surface for n in tagger(t)) for t in texts]


def test_ids_equal_bert_japanese_tokenizer_on_long_rows(fast_tok: Any, slow_tok: Any, rows: list[str]) -> None:
    """Rows joined into texts of 60k-100k characters: several MeCab windows each, still the reference's ids."""
    texts = ["".join(rows)[:100_000], "\n".join(rows[::-1])[:60_000]]
    ours = fast_tok(texts, return_offsets_mapping=True)
    for text, ids, offsets in zip(texts, ours["input_ids"], ours["offset_mapping"], strict=True):
        assert ids == slow_tok(text)["input_ids"]
        assert all(0 <= a <= b <= len(text) for a, b in offsets)
        assert offsets[-2][1] == len(text.rstrip())  # the last token ends where the text does


_CHILD = textwrap.dedent("""
    import sys
    from jbert.tokenization import load_tokenizer
    tok = load_tokenizer(sys.argv[1])
    text = "あ" * 5_000_000
    enc = tok(text, truncation=True, max_length=16, return_offsets_mapping=True)
    print(len(enc["input_ids"]), enc["offset_mapping"][-2])
""")


def test_five_million_characters_without_punctuation(tiny_tokenizer_dir: Path) -> None:
    """One repeated kana, no sentence end: 5M characters (MeCab alone gives up near 970k). In a child, as a
    crash here would take pytest down with it."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tiny_tokenizer_dir)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[0] == "16 (13, 14)"
