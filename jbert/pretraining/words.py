"""The words whole-word masking masks, for every tokenizer.

jbert's Japanese tokenizers (MeCab, Sudachi or Juman++ words, then WordPiece or SentencePiece subwords)
and Juman++-presegmented ones give their words through ``word_ids()``: the Tohoku way. A SentencePiece or
BPE tokenizer (XLM-R, rinna, ModernBERT-ja, Waseda RoBERTa without Juman++) splits words at spaces only,
and Japanese has none, so ``word_ids()`` makes a whole line one "word" and whole-word masking would mask
whole lines; a character tokenizer makes every character a word. For those, the words are MeCab's
(unidic-lite, installed with jbert) laid over the tokens' offsets: a token starts a word when its first
character lies in another MeCab word than the previous token's last one, so a piece that straddles two
words joins them into one (a piece is never masked in halves).
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any


def word_source(tokenizer: Any) -> str:
    """"tokenizer" when its ``word_ids()`` are Japanese words, else "mecab"."""
    if getattr(tokenizer, "is_presegmented", False):  # Juman++ words, joined by spaces before SentencePiece
        return "tokenizer"
    segmented = getattr(tokenizer, "word_tokenizer_type", None) and getattr(tokenizer, "do_word_tokenize", True)
    per_character = getattr(tokenizer, "subword_tokenizer_type", None) == "character"
    return "tokenizer" if segmented and not per_character else "mecab"


@functools.lru_cache(maxsize=1)
def _tagger() -> Any:
    from jbert.tokenization.segmenters.mecab import make_tagger

    return make_tagger({"mecab_dic": "unidic_lite"})


def mecab_word_starts(text: str, offsets: Sequence[Sequence[int]]) -> list[int]:
    """1 where a token (``offsets``: its ``(start, end)`` in `text`) starts a MeCab word, else 0."""
    from jbert.tokenization.segmenters.mecab import segment

    starts, cursor = [], 0
    for surface in segment(_tagger(), text):
        at = text.find(surface, cursor)
        if at >= 0:  # MeCab's surfaces spell the raw text; one that does not joins the word before it
            starts.append(at)
            cursor = at + len(surface)
    out, previous_last = [], None
    for start, end in offsets:
        first = start
        while first < end - 1 and text[first].isspace():  # "▁" pieces may cover the space before a word
            first += 1
        # a token continues a word when its first character is in the MeCab word the previous token ended
        # in: a piece that straddles two words joins them, so no piece is ever masked in halves
        out.append(int(bisect_right(starts, first) != previous_last))
        previous_last = bisect_right(starts, max(first, end - 1))
    return out
