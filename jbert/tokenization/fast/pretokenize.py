"""Everything `BertJapaneseTokenizer` does before WordPiece, with the bookkeeping to map offsets back.

The slow pipeline per text: split on added-token literals (``[SEP]`` ...) -> NFKC each piece -> word
segmenter surfaces (MeCab, Sudachi or Juman++, see `jbert.tokenization.segmenters.base`) -> lower-case (option)
-> WordPiece or SentencePiece (after a whitespace split), characters, or the whole word (no subwords).
`Pretokenizer.prepare` does the same and returns a `Unit`: the words joined by single spaces (what the
subword step then splits on " ") plus what is needed to map a character of that joined string back to a
span of the ORIGINAL text (`jbert.tokenization.fast.wordpiece` does that for a whole batch with numpy, or word by
word where it must).

Modes (`subword`): "wordpiece" and "sentencepiece" split words on whitespace as the slow subword tokenizers
do; "character" and "whole" keep every surface, so a whitespace character that would reach the vocabulary
as a token (a Sudachi " " surface, NFKC of U+3000) is written as `UNK_CHAR`, which no vocabulary holds and
so becomes [UNK] exactly as in the slow tokenizer.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jbert.tokenization.normalize import nfkc
from jbert.tokenization.segmenters.base import Words, WordSegmenter

_OTHER_SPACE = re.compile(r"[^\S ]")
_SPACE = re.compile(r"\s")
UNK_CHAR = "\uffff"  # a noncharacter: stands for a whitespace token, which only [UNK] can stand for
_WS_TABLE_SIZE = 0x3001  # every code point str.isspace() accepts is below this
_WS_TABLE = np.array([chr(c).isspace() for c in range(_WS_TABLE_SIZE)], dtype=bool)


@dataclass(slots=True)
class Part:
    """A piece of one unit: an added-token literal, or text with its normalised form and MeCab surfaces."""

    offset: int  # where the piece starts in the original text
    source: str  # the literal, or the normalised text (what MeCab saw)
    spans: np.ndarray | None = None  # source char -> original span, relative to `offset`; None = identity
    words: str = ""  # the segmenter's words joined by single spaces (filled in after segmentation)
    literal: bool = False
    given: Words | None = None  # the surfaces (and spans) when they may contain whitespace

    @property
    def surfaces(self) -> list[str]:
        """The segmenter's words (in the joined form no word contains a space: MeCab skips spaces)."""
        if self.given is not None:
            return self.given.surfaces
        return self.words.split(" ") if self.words else []


@dataclass(slots=True)
class Unit:
    """One string as the backend sees it: `joined` words; `parts` to map its characters back."""

    joined: str
    parts: list[Part] = field(default_factory=list)
    exact: bool = False  # the vectorised map cannot be trusted (lower-casing changed a length ...)
    literals: list[int] = field(default_factory=list)  # indices of the words that are added-token literals


def codepoints(text: str) -> np.ndarray:
    """Code points of `text` as a uint32 array."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def is_space(cps: np.ndarray) -> np.ndarray:
    """str.isspace() for an array of code points."""
    small = cps < _WS_TABLE_SIZE
    return small & _WS_TABLE[np.where(small, cps, 0)]


class Pretokenizer:
    """The slow tokenizer's word level, fast: same pieces, same normalisation, same MeCab, same words."""

    def __init__(
        self,
        segmenter: WordSegmenter,
        do_lower_case: bool = False,
        subword: str = "wordpiece",
        never_split: list[str] | None = None,
    ):
        self.segmenter = segmenter
        self.normalize_text = segmenter.normalize_text
        self.do_lower_case = do_lower_case
        self.subword = subword
        self.character = subword == "character"
        self.whole = subword == "whole"  # do_subword_tokenize false: each surface is one vocabulary lookup
        self.never_split = set(never_split or [])
        self._added: re.Pattern[str] | None = None
        self._added_first: re.Pattern[str] | None = None
        self._strip: dict[str, tuple[bool, bool, bool]] = {}

    def set_added_tokens(self, tokens: list[Any]) -> None:
        """The literals split out before anything else (AddedToken-like objects: content, lstrip, rstrip ...)."""
        contents = sorted({str(t.content if hasattr(t, "content") else t) for t in tokens if str(t)}, key=len,
                          reverse=True)
        self._added = re.compile("|".join(map(re.escape, contents))) if contents else None
        self._added_first = re.compile("[" + "".join(sorted({re.escape(c[0]) for c in contents})) + "]") if contents \
            else None
        self._strip = {
            t.content: (t.lstrip, t.rstrip, t.single_word)
            for t in tokens
            if hasattr(t, "content") and (t.lstrip or t.rstrip or t.single_word)
        }

    def split_added(self, text: str) -> list[tuple[int, str, bool]]:
        """(start, piece, is_added) as the slow tokenizer's added-token trie splits `text`."""
        # looking for the literals' first characters is far cheaper than the alternation, and usually negative
        if self._added is None or self._added_first is None or not self._added_first.search(text):
            return [(0, text, False)]
        pieces: list[tuple[int, str, bool]] = []
        last = 0
        for m in self._added.finditer(text):
            pieces.append((last, text[last : m.start()], False))
            pieces.append((m.start(), m.group(), True))
            last = m.end()
        if not pieces:
            return [(0, text, False)]
        pieces.append((last, text[last:], False))
        return self._apply_strip(pieces) if self._strip else pieces

    def _apply_strip(self, pieces: list[tuple[int, str, bool]]) -> list[tuple[int, str, bool]]:
        """AddedToken lstrip/rstrip/single_word, in the order `PreTrainedTokenizer.tokenize` applies them."""
        work = [list(p) for p in pieces]
        for i, (_, piece, added) in enumerate(work):
            if not added or piece not in self._strip:
                continue
            lstrip, rstrip, single_word = self._strip[piece]
            if rstrip and i + 1 < len(work) and work[i + 1][1]:
                right = work[i + 1]
                stripped = right[1].lstrip()
                right[0] += len(right[1]) - len(stripped)
                right[1] = stripped
            if lstrip and i > 0 and work[i - 1][1]:
                work[i - 1][1] = work[i - 1][1].rstrip()
            if single_word:
                if i > 0 and work[i - 1][1] and work[i - 1][1][-1] != " ":
                    work[i - 1][1] += piece
                    work[i][1] = ""
                elif i + 1 < len(work) and work[i + 1][1] and work[i + 1][1][0] != " ":
                    work[i + 1][0], work[i + 1][1] = work[i][0], piece + work[i + 1][1]
                    work[i][1] = ""
        return [(s, p, a) for s, p, a in work]

    def prepare(self, text: str, split_special_tokens: bool = False) -> Unit:
        """The words of one text, with what `offsets.build_maps` needs to map them back."""
        return next(self.prepare_stream([[text]], split_special_tokens))[0]

    def prepare_stream(self, groups: Iterable[list[str]], split_special_tokens: bool = False) -> Iterator[list[Unit]]:
        """`prepare` for groups of texts, yielding each group's units in order.

        MeCab (in worker threads, see `Segmenter`) works one group ahead: while the caller turns group k into
        model inputs, group k + 1 is being segmented.
        """
        pending: deque[tuple[list[Unit], list[Unit], list[Part], Any]] = deque()
        for texts in groups:
            # a text that repeats (a QA context, once per question) is prepared once and its Unit shared
            distinct: dict[str, Unit] = {}
            units = [distinct.get(t) or distinct.setdefault(t, self._split_normalize(t, split_special_tokens))
                     for t in texts]
            todo = [p for u in distinct.values() for p in u.parts if not p.literal]
            pending.append((units, list(distinct.values()), todo, self.segmenter.submit([p.source for p in todo])))
            if len(pending) > 1:
                yield self._finish(*pending.popleft())
        while pending:
            yield self._finish(*pending.popleft())

    def _split_normalize(self, text: str, split_special_tokens: bool) -> Unit:
        unit = Unit("")
        for start, piece, added in [(0, text, False)] if split_special_tokens else self.split_added(text):
            if not piece:
                continue
            if added:
                unit.parts.append(Part(start, piece, literal=True))
                continue
            source, spans = self.segmenter.normalize(piece)  # NFKC, or the segmenter's own (chiTra)
            unit.parts.append(Part(start, source, spans))
        return unit

    def _finish(self, units: list[Unit], batch: list[Unit], todo: list[Part], future: Any) -> list[Unit]:
        for part, words in zip(todo, future.result(), strict=True):
            if isinstance(words, Words):
                part.given = words
                part.words = " ".join(" ".join(words.surfaces).split())
            else:
                part.words = words
        plain = not self.do_lower_case and not self.character and not self.whole
        for unit in batch:
            only = unit.parts[0] if len(unit.parts) == 1 else None
            if plain and only is not None and only.given is None and not only.literal:  # the common case
                unit.joined = self._words(unit.parts[0])
                continue
            words = []
            for part in unit.parts:
                joined = self._words(part)
                if self.do_lower_case and not part.literal and not self.character and not self.whole:
                    lowered = self._lower_joined(joined)
                    unit.exact = unit.exact or len(lowered) != len(joined)  # e.g. "İ" -> "i̇"
                    joined = lowered
                if part.literal:
                    unit.literals.append(sum(w.count(" ") + 1 for w in words))
                if joined:
                    words.append(joined)
                # segmenter spans (projected surfaces) are only honoured word by word
                unit.exact = unit.exact or (part.given is not None and part.given.spans is not None)
            unit.joined = " ".join(words)
            unit.exact = unit.exact or self.character or self.whole
        return units

    def _words(self, part: Part) -> str:
        """The part's words joined by single spaces (WordPiece words, or characters)."""
        if part.literal:  # one word, whatever it holds (its whitespace written as UNK_CHAR)
            return _SPACE.sub(UNK_CHAR, part.source) if _SPACE.search(part.source) else part.source
        if self.character:
            return " ".join(self._characters(part.surfaces))
        if self.whole:  # BertJapaneseTokenizer looks each (lower-cased) surface up whole
            return " ".join(_SPACE.sub(UNK_CHAR, self.token(s)) for s in part.surfaces if s)
        # MeCab drops separator whitespace but keeps e.g. "\x0c" as a word, which WordPiece's split removes
        return " ".join(part.words.split()) if _OTHER_SPACE.search(part.words) else part.words

    def _lower_joined(self, joined: str) -> str:
        """MecabTokenizer lower-cases each surface except never_split ones (special-token strings)."""
        if not any(s in joined for s in self.never_split) or not self.never_split.intersection(joined.split(" ")):
            return joined.lower()
        return " ".join(w if w in self.never_split else w.lower() for w in joined.split(" "))

    def token(self, surface: str) -> str:
        """A MeCab surface as MecabTokenizer passes it on (lower-cased unless a special-token string)."""
        if self.do_lower_case and surface not in self.never_split:
            return surface.lower()
        return surface

    def _characters(self, surfaces: list[str]) -> list[str]:
        """CharacterTokenizer: every character of NFKC(surface); whitespace-only surfaces included."""
        return [c if c != " " else UNK_CHAR for s in surfaces for c in nfkc(self.token(s))]
