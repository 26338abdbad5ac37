"""SentencePiece's own normalisation, for fast tokenizers built from a SentencePiece model.

Why: `tokenizers`' ``Precompiled`` normalizer reads the model's rules (``precompiled_charsmap``) but applies
them differently from SentencePiece, a known defect of that library: inside a grapheme of under 6 bytes it
takes the *shortest* matching rule and drops the rest of the grapheme; a grapheme of 6 bytes or more it maps
character by character. SentencePiece takes the *longest* rule at each position. So half-width voiced kana
(``ﾃﾞ`` = ﾃ + ﾞ) become テ + a lone U+3099 (an unknown piece) instead of デ, and ``か\\u3099`` is never
composed to が. `exact_normalizer` replaces the ``Precompiled`` step by `SentencePieceNormalizer`, which walks
the same rules the way SentencePiece does (its ``NormalizePrefix``) and rewrites each match in place, so
offsets still point into the original text.

A Python normalizer cannot be saved in a ``tokenizer.json``: `ExactSentencePieceFast` saves and pickles with
the ``Precompiled`` step back in place (what plain transformers reads) and runs with the exact one.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from functools import lru_cache
from typing import Any


def _utf8_len(ch: str) -> int:
    cp = ord(ch)
    return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4


class CharsMap:
    """A ``precompiled_charsmap``: a double-array trie (darts) over UTF-8 keys, then the replacements."""

    def __init__(self, blob: bytes):
        (size,) = struct.unpack_from("<I", blob, 0)
        self.units = list(struct.unpack_from(f"<{size // 4}I", blob, 4))
        self.strings = blob[4 + size :]
        self._starts: dict[str, bool] = {}

    def _walk(self, data: bytes, i: int) -> tuple[int, int, int]:
        """(bytes walked, end of the longest key, its replacement's offset) from data[i]; -1 when no key."""
        units, pos, best, value = self.units, self.units[0] >> 10 << ((self.units[0] & 512) >> 6), -1, -1
        j = i
        for j in range(i, len(data)):
            c = data[j]
            pos ^= c
            unit = units[pos] if pos < len(units) else 0
            if unit & 0x800000FF != c:  # the label
                return j - i, best, value
            pos ^= unit >> 10 << ((unit & 512) >> 6)  # the offset
            if unit >> 8 & 1:  # a key ends here: its replacement offset is in the leaf unit
                best, value = j + 1, units[pos] & 0x7FFFFFFF
        return len(data) - i, best, value

    def can_start(self, ch: str) -> bool:
        """Whether some key starts with `ch` (cached: most characters of a text never do)."""
        known = self._starts.get(ch)
        if known is None:
            data = ch.encode("utf-8")
            walked, _, _ = self._walk(data, 0)
            known = self._starts[ch] = walked == len(data)
        return known

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, replacement) of each rule SentencePiece applies to `text` that changes it, left to right."""
        if not any(map(self.can_start, set(text))):
            return []
        data = text.encode("utf-8")
        out: list[tuple[int, int, str]] = []
        i = byte = 0
        while i < len(text):
            step = _utf8_len(text[i])
            if self.can_start(text[i]):
                _, end, value = self._walk(data, byte)
                if end > 0:
                    stop, last = i, byte
                    while last < end:
                        last += _utf8_len(text[stop])
                        stop += 1
                    replacement = self.strings[value : self.strings.index(b"\0", value)].decode("utf-8")
                    if replacement != text[i:stop]:
                        out.append((i, stop, replacement))
                    i, byte = stop, end
                    continue
            i, byte = i + 1, byte + step
        return out

    def normalize(self, text: str) -> str:
        """The text as SentencePiece's rules leave it (before its whitespace handling)."""
        parts, last = [], 0
        for start, end, replacement in self.matches(text):
            parts += [text[last:start], replacement]
            last = end
        return "".join(parts) + text[last:]


class SentencePieceNormalizer:
    """A `tokenizers` custom normalizer: the charsmap's rules, longest match first, offsets kept."""

    def __init__(self, charsmap: bytes):
        self.charsmap = CharsMap(charsmap)

    def normalize(self, normalized: Any) -> None:
        from tokenizers import Regex

        # right to left, so the positions of the matches still to do stay valid
        for start, end, replacement in reversed(self.charsmap.matches(normalized.normalized)):
            key = re.escape(normalized.normalized[start:end])
            prefix = "".join(["(?:[\\s\\S]{50000})"] * (start // 50000)) + f"[\\s\\S]{{{start % 50000}}}"
            normalized.replace(Regex(f"(?<=\\A{prefix}){key}"), replacement)


def _state(normalizer: Any) -> dict[str, Any]:
    return json.loads(normalizer.__getstate__())


def exact_normalizer(normalizer: Any) -> Any | None:
    """`normalizer` with its ``Precompiled`` step(s) done the SentencePiece way; None when it has none."""
    from tokenizers import normalizers

    if normalizer is None:
        return None
    state = _state(normalizer)
    steps = [normalizer[i] for i in range(len(state["normalizers"]))] if state["type"] == "Sequence" else [normalizer]
    found = False
    for k, step in enumerate(steps):
        step_state = _state(step)
        if step_state["type"] == "Precompiled":
            charsmap = base64.b64decode(step_state["precompiled_charsmap"])
            steps[k] = normalizers.Normalizer.custom(SentencePieceNormalizer(charsmap))
            found = True
    return normalizers.Sequence(steps) if found else None


@lru_cache(maxsize=1)
def exact_class() -> type:
    """`ExactSentencePieceFast`, made on first use (transformers is imported only then)."""
    from transformers import PreTrainedTokenizerFast as _TransformersFast

    class ExactSentencePieceFast(_TransformersFast):
        """A plain `PreTrainedTokenizerFast` whose ``Precompiled`` step runs as SentencePiece runs it.

        Saved files and pickles carry the portable ``Precompiled`` step; `make_exact` puts the exact one back on
        loading. The class name stays transformers' own in tokenizer_config.json (see `save_pretrained`).
        """

        _portable: Any = None

        def save_pretrained(self, *args: Any, **kwargs: Any) -> Any:
            # tokenizer_class is written from the class name: save as the plain class plain transformers loads
            self.__class__ = _TransformersFast
            try:
                exact, self._tokenizer.normalizer = self._tokenizer.normalizer, self._portable
                try:
                    return _TransformersFast.save_pretrained(self, *args, **kwargs)
                finally:
                    self._tokenizer.normalizer = exact
            finally:
                self.__class__ = ExactSentencePieceFast

        def __getstate__(self) -> dict[str, Any]:
            exact, self._tokenizer.normalizer = self._tokenizer.normalizer, self._portable
            try:
                state = dict(self.__dict__)
                state["_tokenizer"] = self._tokenizer.to_str()
            finally:
                self._tokenizer.normalizer = exact
            return state

        def __setstate__(self, state: dict[str, Any]) -> None:
            from tokenizers import Tokenizer

            state = dict(state)
            backend = Tokenizer.from_str(state.pop("_tokenizer"))
            self.__dict__.update(state)
            self._tokenizer = backend
            self._portable = backend.normalizer
            self._tokenizer.normalizer = exact_normalizer(backend.normalizer)

    ExactSentencePieceFast.__module__, ExactSentencePieceFast.__qualname__ = __name__, "ExactSentencePieceFast"
    return ExactSentencePieceFast


def __getattr__(name: str) -> Any:  # pickle finds the class by its module-level name
    if name == "ExactSentencePieceFast":
        return exact_class()
    raise AttributeError(name)


def make_exact(tokenizer: Any) -> Any:
    """A plain fast tokenizer with a ``Precompiled`` normalizer, turned into `ExactSentencePieceFast` in
    place (nothing else changes); any other tokenizer is returned as it is."""
    from transformers import PreTrainedTokenizerFast

    if type(tokenizer) is not PreTrainedTokenizerFast:
        return tokenizer
    backend = tokenizer.backend_tokenizer
    exact = exact_normalizer(backend.normalizer)
    if exact is None:
        return tokenizer
    tokenizer._portable = backend.normalizer
    backend.normalizer = exact
    tokenizer.__class__ = exact_class()
    return tokenizer
