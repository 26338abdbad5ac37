"""NFKC normalisation that remembers, for every normalised character, the span of the original it came from.

`BertJapaneseTokenizer` NFKC-normalises text before MeCab, so token offsets must be carried back through
NFKC to be useful. A character that NFKC merges with its neighbours (``ﾃﾞ`` -> ``デ``, ``か\\u3099`` ->
``が``) maps to the whole merged span; characters expanded from one source character (``℃`` -> ``°C``,
``㍻`` -> ``平成``) all map to that character's span.

Three tiers, cheapest first (most text never leaves the first two):
1. already NFKC -> identity;
2. NFKC equals the character-by-character NFKC (full-width ASCII, ``①`` ...) -> each source character owns
   the characters it expands to (identity when nothing expands);
3. otherwise cluster each character with the marks that can attach to it, normalise per cluster, and merge
   clusters further wherever the concatenation would not reproduce the whole-string NFKC.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

# Base-less characters that can compose with the character before them although their combining class is 0
# (NFC_Quick_Check=Maybe starters). Anything missing here is still caught by the verification in tier 3.
_BACKWARD_STARTERS = frozenset(
    "\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf\u0ddf\u102e\u1b35"
)


class _PerCharNFKC(dict):
    """str.translate table: a character -> its own NFKC, computed on first sight."""

    def __missing__(self, codepoint: int) -> str:
        out = unicodedata.normalize("NFKC", chr(codepoint))
        self[codepoint] = out
        return out


_PER_CHAR = _PerCharNFKC()


@lru_cache(maxsize=65536)
def _attaches_backward(char: str) -> bool:
    """Whether NFKC may combine or reorder `char` with the character before it."""
    if unicodedata.combining(char) or char in _BACKWARD_STARTERS:
        return True
    first = unicodedata.normalize("NFKD", char)[:1]
    # Hangul vowel/trailing jamo (also reached from half-width Hangul) compose with a preceding syllable.
    return bool(first) and (unicodedata.combining(first) != 0 or "\u1160" <= first <= "\u11ff")


def nfkc(text: str) -> str:
    """Plain NFKC (what BertJapaneseTokenizer applies before MeCab)."""
    return unicodedata.normalize("NFKC", text)


def normalize_with_alignment(text: str) -> tuple[str, np.ndarray | None]:
    """NFKC of `text` and, for each normalised character, its source span ``[start, end)`` in `text`.

    Returns ``(normalized, spans)``; `spans` is an int64 array of shape ``(len(normalized), 2)``, or None when
    character k of the result comes from character k of `text` (the common case, kept free of arrays).
    """
    if unicodedata.is_normalized("NFKC", text):
        return text, None
    per_char = text.translate(_PER_CHAR)
    # NFKD(NFKC(c)) = NFKD(c) for every character, so per_char and text have the same NFKC; when per_char is
    # already normalised (the quick check, far cheaper than normalize), it IS NFKC(text): tier 2
    if unicodedata.is_normalized("NFKC", per_char):
        if len(per_char) == len(text):
            return per_char, None
        lengths = [len(_PER_CHAR[ord(c)]) for c in text]
        return per_char, _spans_from_units(np.arange(len(text)), np.arange(1, len(text) + 1), lengths)
    norm = unicodedata.normalize("NFKC", text)
    return norm, _cluster_alignment(text, norm)


def _spans_from_units(starts: np.ndarray, ends: np.ndarray, lengths: list[int]) -> np.ndarray:
    """Each unit (a source span) owns `lengths[u]` consecutive normalised characters."""
    reps = np.asarray(lengths, dtype=np.int64)
    return np.stack([np.repeat(starts, reps), np.repeat(ends, reps)], axis=1).astype(np.int64)


def _clusters(text: str) -> list[int]:
    """Start index of each cluster: a character plus the following characters that attach backwards."""
    return [i for i, c in enumerate(text) if i == 0 or not _attaches_backward(c)] + [len(text)]


def _cluster_alignment(text: str, norm: str) -> np.ndarray:
    bounds = _clusters(text)
    unit_starts: list[int] = []
    unit_ends: list[int] = []
    lengths: list[int] = []
    pos, c = 0, 0
    while c < len(bounds) - 1:
        start, j = bounds[c], c + 1
        out = nfkc(text[start : bounds[j]])
        # Merge with following clusters until this piece reproduces the whole-string result at `pos`
        # and the next cluster cannot change it (its own NFKC continues the match).
        while j < len(bounds) - 1 and not (
            norm.startswith(out, pos) and norm.startswith(nfkc(text[bounds[j] : bounds[j + 1]]), pos + len(out))
            and nfkc(text[start : bounds[j + 1]]) == out + nfkc(text[bounds[j] : bounds[j + 1]])
        ):
            j += 1
            out = nfkc(text[start : bounds[j]])
        if not norm.startswith(out, pos):  # cannot happen for real NFKC; keep the result well-formed anyway
            out = norm[pos:]
            j = len(bounds) - 1
        unit_starts.append(start)
        unit_ends.append(bounds[j])
        lengths.append(len(out))
        pos += len(out)
        c = j
    if pos != len(norm):  # defensive: one span for everything rather than a wrong alignment
        return np.tile(np.array([[0, len(text)]], dtype=np.int64), (len(norm), 1))
    return _spans_from_units(np.asarray(unit_starts), np.asarray(unit_ends), lengths)
