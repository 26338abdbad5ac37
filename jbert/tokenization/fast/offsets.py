"""Token offsets in the original text: each token of a `Tokens` table mapped back through the joined
words, the normalised pieces MeCab read, and their alignment to the text the caller gave.

Most units take the vectorised path (`_Alignment`: the k-th non-space character of the joined words is the
k-th kept source character); a unit whose words do not spell its normalised text character for character
(lower-casing that changes lengths, segmenter projections, character or whole-word modes) is mapped word by
word (`exact_map`), the reference the fast path is tested against.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from jbert.tokenization.fast.pretokenize import Part, Pretokenizer, Unit, codepoints, is_space
from jbert.tokenization.fast.wordpiece import Tokens
from jbert.tokenization.normalize import nfkc

_NON_SPACE = re.compile(r"\S+")


def token_offsets(pre: Pretokenizer, units: list[Unit], tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Original (start, end) of every token, each in its own unit's text."""
    if not len(tokens.ids):
        return tokens.ids, tokens.ids
    last = np.maximum(tokens.last, tokens.first)
    align = _Alignment(pre, units)
    if align.ok.all():  # the common case: only the tokens' own characters are looked up
        starts, ends = align.direct(tokens.first, 0), align.direct(last, 1)
    else:
        maps = align.maps()
        starts, ends = maps[tokens.first, 0], maps[last, 1]
    # a piece that covers no character (SentencePiece's lone "▁") is an empty span where its word starts
    return starts, np.where(tokens.last >= tokens.first, ends, starts)


def build_maps(pre: Pretokenizer, units: list[Unit]) -> np.ndarray:
    """Original spans (within its unit's text) of every character of ``"".join(u.joined + " ")`` (non-empty u);
    -1 for the spaces."""
    return _Alignment(pre, units).maps()


class _Alignment:
    """The characters of the joined words (``"".join(u.joined + " ")`` over non-empty units) against the
    normalised sources, and each source character's original span.

    Fast path (word-piece, no length-changing lower-casing): the non-space characters of `joined` are, in
    order, exactly the non-whitespace characters of the normalised pieces (MeCab drops only separators) -
    checked per unit by counting (`ok`); a unit that fails the count, or is flagged, takes the word-by-word
    path (`exact_map`).
    """

    def __init__(self, pre: Pretokenizer, units: list[Unit]):
        self.pre = pre
        self.units = units = [u for u in units if u.joined]
        layout = "".join(u.joined + " " for u in units)
        self.bases = np.concatenate([[0], np.cumsum([len(u.joined) + 1 for u in units])])
        parts = [p for u in units for p in u.parts]
        lengths = np.array([len(p.source) for p in parts], dtype=np.int64)
        offsets = np.array([p.offset for p in parts], dtype=np.int64)
        at = np.cumsum(lengths) - lengths
        source = "".join(p.source for p in parts)
        self.spans = spans = np.empty((len(source), 2), dtype=np.int64)
        spans[:, 0] = np.arange(len(source)) + np.repeat(offsets - at, lengths)
        spans[:, 1] = spans[:, 0] + 1
        for k in [k for k, p in enumerate(parts) if p.spans is not None or p.literal]:
            p, s = parts[k], int(at[k])
            # a normalised piece maps through its alignment; an added-token literal maps as a whole
            spans[s : s + len(p.source)] = p.spans + p.offset if p.spans is not None else (p.offset, p.offset + len(p.source))
        self.kept = ~is_space(codepoints(source))
        self.in_word = codepoints(layout) != 32
        part_bounds = np.concatenate([[0], np.cumsum([len(u.parts) for u in units])])
        self.src_bounds = np.concatenate([[0], np.cumsum(lengths)])[part_bounds]
        kept_cum = np.concatenate([[0], np.cumsum(self.kept)])
        self.word_cum = np.concatenate([[0], np.cumsum(self.in_word)])  # non-space characters before each
        ok = kept_cum[self.src_bounds[1:]] - kept_cum[self.src_bounds[:-1]] == \
            self.word_cum[self.bases[1:]] - self.word_cum[self.bases[:-1]]
        self.ok = ok & ~np.array([u.exact for u in units], dtype=bool)

    def direct(self, positions: np.ndarray, column: int) -> np.ndarray:
        """`maps()[positions, column]` without building the map (fast path only): the k-th non-space
        character of the layout is the k-th kept source character."""
        kept_at = self.kept_at
        rank = np.minimum(self.word_cum[positions], max(len(kept_at) - 1, 0))
        found = self.spans[kept_at[rank], column] if len(kept_at) else np.zeros(len(positions), dtype=np.int64)
        return np.where(self.in_word[positions], found, -1)

    @functools.cached_property
    def kept_at(self) -> np.ndarray:
        """Source index of each kept (non-whitespace) character, in order; `direct` asks twice per call."""
        return np.flatnonzero(self.kept)

    def maps(self) -> np.ndarray:
        """The original span of every layout character (spaces: -1)."""
        out = np.full((len(self.in_word), 2), -1, dtype=np.int64)
        ok, bases, src_bounds, in_word, kept = self.ok, self.bases, self.src_bounds, self.in_word, self.kept
        if ok.all():
            out[in_word] = self.spans[kept]
            return out
        out[np.repeat(ok, bases[1:] - bases[:-1]) & in_word] = \
            self.spans[np.repeat(ok, src_bounds[1:] - src_bounds[:-1]) & kept]
        for i in np.flatnonzero(~ok).tolist():
            out[bases[i] : bases[i + 1] - 1] = exact_map(self.pre, self.units[i])
        return out


def exact_map(pre: Pretokenizer, unit: Unit) -> np.ndarray:
    """(len(joined), 2) original spans per joined character (spaces: -1), word by word: the reference."""
    out = np.full((len(unit.joined), 2), -1, dtype=np.int64)
    pos = 0
    for part in unit.parts:
        if part.literal:
            out[pos : pos + len(part.source)] = [part.offset, part.offset + len(part.source)]
            pos += len(part.source) + 1
            continue
        for chars in _word_spans(pre, part):
            out[pos : pos + len(chars)] = chars
            pos += len(chars) + 1
    return out


def _word_spans(pre: Pretokenizer, part: Part) -> list[np.ndarray]:
    """For each word of a text part, the original span of each of its characters."""
    result, cursor = [], 0

    def span(a: int, b: int) -> list[int]:  # source [a, b) -> original [start, end)
        n = len(part.source)
        a = min(a, n - 1)
        b = min(max(b, a + 1), n)  # an empty or out-of-range word gets the character where it stands
        if part.spans is None:
            return [a + part.offset, b + part.offset]
        return [int(part.spans[a, 0]) + part.offset, int(part.spans[b - 1, 1]) + part.offset]

    given = part.given.spans if part.given is not None else None
    for k, surface in enumerate(part.surfaces):
        if given is not None:  # the segmenter's own spans (a projected surface need not spell the text)
            at, cursor = given[k]
        else:
            found = part.source.find(surface, cursor)
            # a surface that does not spell the text (Juman++ writing a space as "\u3000") is taken to replace as
            # many characters where the text stands
            at, cursor = (found, found + len(surface)) if found >= 0 else (cursor, min(cursor + len(surface),
                                                                                        len(part.source)))
        token = pre.token(surface)
        if pre.character:  # one word per character of NFKC(token)
            chars = nfkc(token)
            aligned = len(chars) == len(surface) == cursor - at
            result += [np.array([span(at + i, at + i + 1) if aligned else span(at, cursor)]) for i in range(len(chars))]
            continue
        # lower-casing may change lengths ("İ" -> "i̇"), a projection the surface: then the whole word
        aligned = len(token) == len(surface) == cursor - at
        if pre.whole:
            if surface:
                result.append(np.array([span(at + i, at + i + 1) if aligned else span(at, cursor)
                                        for i in range(len(token))]))
            continue
        for m in _NON_SPACE.finditer(token):
            result.append(np.array([span(at + i, at + i + 1) if aligned else span(at, cursor)
                                    for i in range(m.start(), m.end())]))
    return result
