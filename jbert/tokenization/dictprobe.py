"""Which MeCab dictionary was a vocabulary built with? Segment a sample with each one and count.

transformers >= 4.45 segments a `BertJapaneseTokenizer` whose config does not name a dictionary with
unidic_lite; the Tohoku v1 models (cl-tohoku/bert-base-japanese, -whole-word-masking) were pre-trained on
ipadic words and say nothing. A vocabulary built from one dictionary's words holds far more of that
dictionary's words whole than of another's, so `probe_dictionaries` segments a bundled Japanese sample
(`data/probe_ja.txt`) with every installed dictionary and measures, per dictionary:

- ``distinct``: share of the words only this dictionary produces (in a text, no other installed dictionary
  gives that word) that are found whole in the vocabulary: the deciding figure. Most words (particles,
  common nouns) come out the same from every dictionary and dilute every other figure; the words where the
  dictionaries disagree are the ones a vocabulary remembers (87% against 65% and 51%, see docs/doctor.md);
- ``whole``: share of all words found whole in the vocabulary;
- ``continuation``: share of WordPiece pieces that are ``##`` continuations;
- ``unknown``: share of words that become the unknown token;
- ``kept``: share of the vocabulary's own word entries (no ``##``, two characters or more) that the
  dictionary keeps as one word when it segments them alone. Entries were words of the training dictionary,
  so this one does not depend on the sample (it separates an ipadic vocabulary from unidic well, a
  unidic_lite one from ipadic hardly: unidic's short words are mostly ipadic words too).

The verdict ranks dictionaries by ``distinct``, then ``whole + kept``.

>>> verdict = probe_dictionaries(vocab)                # doctest: +SKIP
>>> verdict.chosen, verdict.scores[0].whole            # doctest: +SKIP
('ipadic', 0.981)
"""

from __future__ import annotations

import importlib
import importlib.util
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jbert.tokenization.segmenters.mecab import make_tagger, segment

PROBE_TEXT = Path(__file__).parent / "data" / "probe_ja.txt"
# dictionary -> (module, pip package). jumandic is not a `mecab_dic` transformers knows: it is reached with
# `mecab_dic: null` and a `-d` option (`mecab_kwargs_for`).
PROBED: dict[str, tuple[str, str]] = {
    "ipadic": ("ipadic", "ipadic"),
    "unidic_lite": ("unidic_lite", "unidic-lite"),
    "unidic": ("unidic", "unidic"),
    "jumandic": ("jumandic", "jumandic"),
}
# A winner's `distinct` must beat the runner-up's by this much, over at least MIN_DISTINCT words, to decide.
MARGIN = 0.10
MIN_DISTINCT = 30
_KEPT_SAMPLE = 5000  # vocabulary entries segmented per dictionary (every k-th), to bound the time
_MAX_WORD_CHARS = 100  # BertJapaneseTokenizer's WordpieceTokenizer turns longer words into [UNK]


@dataclass(frozen=True)
class DictionaryScore:
    """Figures of one dictionary on the probe text (shares in [0, 1]; None when not installed)."""

    dictionary: str
    package: str
    installed: bool
    words: int = 0
    whole: float | None = None
    continuation: float | None = None
    unknown: float | None = None
    kept: float | None = None
    distinct: float | None = None
    distinct_words: int = 0

    @property
    def rank(self) -> tuple[float, float]:
        return (self.distinct or 0.0, (self.whole or 0.0) + (self.kept or 0.0))

    def line(self) -> str:
        if not self.installed:
            return f"{self.dictionary}: not installed (pip install {self.package})"
        return (f"{self.dictionary}: {self.distinct:.1%} of its {self.distinct_words} distinctive words and "
                f"{self.whole:.1%} of all {self.words} words whole in the vocabulary, {self.continuation:.1%} ## "
                f"pieces, {self.unknown:.1%} unknown, {self.kept:.1%} of vocabulary words kept whole")


@dataclass(frozen=True)
class DictionaryVerdict:
    """The dictionary a vocabulary was most likely built with, and the figures behind the choice."""

    chosen: str | None
    decisive: bool
    reason: str
    scores: tuple[DictionaryScore, ...] = field(default_factory=tuple)

    def figures(self) -> str:
        return "; ".join(s.line() for s in self.scores)

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "decisive": self.decisive, "reason": self.reason,
                "scores": [vars(s) for s in self.scores]}


def installed(dictionary: str) -> bool:
    """Whether the pip package of `dictionary` is importable (without importing it)."""
    return importlib.util.find_spec(PROBED[dictionary][0]) is not None


def mecab_kwargs_for(dictionary: str, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`mecab_kwargs` that make BertJapaneseTokenizer (and jbert) segment with `dictionary`.

    `base`'s other keys (normalize_text, mecab_option) are kept. jumandic has no `mecab_dic` name in
    transformers, so its directory goes into `mecab_option` (machine-specific: see docs/doctor.md).
    """
    kwargs = dict(base or {})
    if dictionary != "jumandic":
        return {**kwargs, "mecab_dic": dictionary}
    dicdir = importlib.import_module("jumandic").DICDIR
    option = f'-d "{dicdir}" -r "{Path(dicdir) / "mecabrc"}" {kwargs.get("mecab_option") or ""}'.strip()
    return {**kwargs, "mecab_dic": None, "mecab_option": option}


@lru_cache(maxsize=1)
def probe_texts() -> tuple[str, ...]:
    """The bundled probe sample: one text a line."""
    return tuple(t for t in PROBE_TEXT.read_text(encoding="utf-8").splitlines() if t.strip())


def _segmentations(dictionary: str, texts: tuple[str, ...], normalize: bool, lower: bool) -> list[list[str]]:
    tagger = make_tagger(mecab_kwargs_for(dictionary))
    out = []
    for text in texts:
        words = segment(tagger, unicodedata.normalize("NFKC", text) if normalize else text)
        out.append([w.lower() for w in words] if lower else words)
    return out


def _distinct(own: list[list[str]], others: list[list[list[str]]], vocab: Mapping[str, int]) -> tuple[float, int]:
    """(share found whole, count) of the words of `own` that no other segmentation of the same text has."""
    total = found = 0
    for i, words in enumerate(own):
        elsewhere = {w for other in others for w in other[i]}
        for word in words:
            if word not in elsewhere:
                total += 1
                found += word in vocab
    return found / (total or 1), total


def _wordpiece_figures(counts: Counter[str], vocab: Mapping[str, int], unk: str) -> tuple[float, float, float]:
    """(whole, continuation, unknown) shares, frequency-weighted, with `tokenizers`' WordPiece model."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece

    model = Tokenizer(WordPiece(dict(vocab), unk_token=unk, max_input_chars_per_word=_MAX_WORD_CHARS))
    words = list(counts)
    encodings = model.encode_batch(words, add_special_tokens=False) if words else []
    total = sum(counts.values()) or 1
    whole = sum(counts[w] for w in words if w in vocab)
    unknown = sum(counts[w] for w, e in zip(words, encodings, strict=True) if e.tokens == [unk])
    pieces = cont = 0
    for w, e in zip(words, encodings, strict=True):
        pieces += counts[w] * len(e.tokens)
        cont += counts[w] * sum(t.startswith("##") for t in e.tokens)
    return whole / total, cont / (pieces or 1), unknown / total


def _kept_share(tagger: Any, vocab: Mapping[str, int]) -> float:
    entries = [w for w in vocab if len(w) > 1 and not w.startswith("##") and not (w[0] == "[" and w[-1] == "]")]
    step = max(1, len(entries) // _KEPT_SAMPLE)
    sample = entries[::step]
    return sum(segment(tagger, w) == [w] for w in sample) / (len(sample) or 1)


def _score(dictionary: str, segs: dict[str, list[list[str]]], vocab: Mapping[str, int], unk: str) -> DictionaryScore:
    counts = Counter(w for words in segs[dictionary] for w in words)
    whole, continuation, unknown = _wordpiece_figures(counts, vocab, unk)
    distinct, distinct_words = _distinct(segs[dictionary], [v for k, v in segs.items() if k != dictionary], vocab)
    kept = _kept_share(make_tagger(mecab_kwargs_for(dictionary)), vocab)
    return DictionaryScore(dictionary, PROBED[dictionary][1], True, sum(counts.values()), round(whole, 4),
                           round(continuation, 4), round(unknown, 4), round(kept, 4), round(distinct, 4),
                           distinct_words)


def probe_dictionaries(vocab: Mapping[str, int], *, subword: str = "wordpiece", normalize: bool = True,
                       lower: bool = False, unk: str = "[UNK]", texts: Iterable[str] | None = None,
                       dictionaries: Iterable[str] = tuple(PROBED)) -> DictionaryVerdict:
    """Segment `texts` (default: the bundled sample) with each dictionary and pick the vocabulary's one.

    The verdict is not decisive when fewer than two dictionaries are installed, when the leader's `distinct`
    margin is under `MARGIN` (or rests on fewer than MIN_DISTINCT words), or for character vocabularies
    (their ids do not depend on word boundaries).
    """
    texts = tuple(texts) if texts is not None else probe_texts()
    dictionaries = tuple(dictionaries)
    segs = {d: _segmentations(d, texts, normalize, lower) for d in dictionaries if installed(d)}
    scores = [_score(d, segs, vocab, unk) if d in segs else DictionaryScore(d, PROBED[d][1], installed=False)
              for d in dictionaries]
    scores.sort(key=lambda s: (not s.installed, tuple(-x for x in s.rank)))
    ranked = [s for s in scores if s.installed]
    if subword == "character":
        return DictionaryVerdict(None, False, "character subwords: ids do not depend on the dictionary "
                                 "(only word boundaries, e.g. for whole-word masking, do)", tuple(scores))
    if not ranked:
        return DictionaryVerdict(None, False, "no MeCab dictionary installed (pip install ipadic unidic-lite)",
                                 tuple(scores))
    best = ranked[0]
    if len(ranked) == 1:
        return DictionaryVerdict(best.dictionary, False, "only one dictionary installed: nothing to compare",
                                 tuple(scores))
    margin = (best.distinct or 0.0) - (ranked[1].distinct or 0.0)
    decisive = margin >= MARGIN and best.distinct_words >= MIN_DISTINCT
    reason = (f"{best.dictionary}'s distinctive words are found whole {margin:.1%} more often than "
              f"{ranked[1].dictionary}'s ({best.distinct:.1%} of {best.distinct_words} against "
              f"{ranked[1].distinct:.1%} of {ranked[1].distinct_words})")
    reason = reason if decisive else f"inconclusive: {reason}"
    return DictionaryVerdict(best.dictionary, decisive, reason, tuple(scores))
