"""Juman++ pre-segmentation for models pre-trained on Juman++-segmented text, offsets kept in the raw text.

`PresegmentedTokenizer(tokenizer)` behaves as `tokenizer` but first segments every input text with Juman++
(the registered ``jumanpp`` word segmenter, `jbert.tokenization.segmenters.jumanpp`: one persistent process through
rhoknp) and joins its words with spaces, as the model cards of nlp-waseda/roberta-base-japanese and
ku-nlp/deberta-v2-base-japanese ask; ``offset_mapping`` is mapped back to the raw text, so span heads (QA,
NER) see the user's characters. The saved tokenizer files are the model's own (pre-segmentation is applied
again at every load).
"""

from __future__ import annotations

from typing import Any

from jbert.tokenization.segmenters.base import Words, WordSegmenter, make_segmenter


def jumanpp_segmenter() -> WordSegmenter:
    """The registered Juman++ segmenter, started now: a missing or broken Juman++ fails at load, in one line."""
    segmenter = make_segmenter("jumanpp", {})
    segmenter.check()
    return segmenter


def segment_words(segmenter: WordSegmenter, text: str) -> list[str]:
    """`text`'s words (Juman++ reads a line per sentence, so line breaks go in as spaces; spaces are no words)."""
    words = segmenter.segment(text.replace("\r", " ").replace("\n", " "))
    surfaces = words.surfaces if isinstance(words, Words) else words.split(" ")
    return [w for w in surfaces if w.strip()]


def spaced_with_map(text: str, words: list[str]) -> tuple[str, list[int]]:
    """`words` joined by spaces, and for each of its positions (plus the end) the position in `text`.

    A word is looked up from where the previous one ended; a word Juman++ rewrote (not found) is taken to
    cover as many raw characters as it has. Inserted spaces map to the next word's start.
    """
    out: list[str] = []
    pos: list[int] = []
    cursor = 0
    for word in words:
        found = text.find(word, cursor)
        start = found if found >= 0 and not text[cursor:found].strip() else cursor
        if out:
            out.append(" ")
            pos.append(start)
        out.append(word)
        pos.extend(min(start + i, len(text)) for i in range(len(word)))
        cursor = min(start + len(word), len(text))
    pos.append(cursor if words else len(text))
    return "".join(out), pos


class PresegmentedTokenizer:
    """A fast tokenizer that segments its raw-text input with Juman++ first; everything else is delegated."""

    is_presegmented = True

    def __init__(self, tokenizer: Any, segmenter: WordSegmenter | None = None):
        self.tokenizer = tokenizer
        self.segmenter = segmenter if segmenter is not None else jumanpp_segmenter()

    def __getattr__(self, name: str) -> Any:
        try:
            inner = self.__dict__["tokenizer"]
        except KeyError:  # while unpickling
            raise AttributeError(name) from None
        return getattr(inner, name)

    def __len__(self) -> int:
        return len(self.tokenizer)

    def presegment(self, texts: list[str]) -> tuple[list[str], list[list[int]]]:
        """Each text's Juman++ words joined by spaces, and the position maps back to the raw text."""
        pairs = [spaced_with_map(t, segment_words(self.segmenter, t)) for t in texts]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def __call__(self, text: Any = None, text_pair: Any = None, **kwargs: Any) -> Any:
        if text is None or kwargs.get("is_split_into_words"):
            return self.tokenizer(text, text_pair, **kwargs)
        single = isinstance(text, str)
        firsts, first_maps = self.presegment([text] if single else list(text))
        seconds, second_maps = (None, None) if text_pair is None else \
            self.presegment([text_pair] if single else list(text_pair))
        tensors = kwargs.pop("return_tensors", None)
        enc = self.tokenizer(firsts[0] if single else firsts,
                             None if seconds is None else (seconds[0] if single else seconds), **kwargs)
        flat = single and not kwargs.get("return_overflowing_tokens")  # one unbatched row, as transformers gives
        if "offset_mapping" in enc:
            _remap_offsets(enc, first_maps, second_maps, flat=flat)
        return enc.convert_to_tensors(tensors, prepend_batch_axis=flat) if tensors else enc


def _remap_offsets(enc: Any, first: list[list[int]], second: list[list[int]] | None, flat: bool) -> None:
    """Rewrite ``offset_mapping`` from the spaced texts to the raw ones (in place)."""
    rows = [enc["offset_mapping"]] if flat else enc["offset_mapping"]
    samples = enc.get("overflow_to_sample_mapping") or list(range(len(rows)))
    for r, row in enumerate(rows):
        seq_ids = enc.sequence_ids(r)
        for i, (start, end) in enumerate(row):
            seq = seq_ids[i]
            if seq is None or start == end:
                continue
            pos = (first if seq == 0 else second)[samples[r]]
            row[i] = (pos[start], pos[end - 1] + 1)
