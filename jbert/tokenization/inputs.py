"""What callers pass to a tokenizer call, put in the shape the pipeline works on.

`as_batch` accepts what transformers' fast tokenizers accept (a text, a batch, pairs, (text, pair) tuples,
pre-split words); `chunk_samples` cuts a batch into pipeline steps of similar size; `layout` lists the strings
of a chunk and where each sample's sequences sit among them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Ranges = tuple[tuple[int, int], tuple[int, int] | None]


def as_batch(text: Any, text_pair: Any, split_words: bool) -> tuple[bool, list[Any], list[Any] | None]:
    """(batched?, texts, pairs) in batch form; a ValueError for anything a fast tokenizer would refuse."""
    if split_words:
        batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    else:
        batched = isinstance(text, (list, tuple))
    texts = list(text) if batched else [text]
    pairs = None if text_pair is None else (list(text_pair) if batched else [text_pair])
    if pairs is None and batched and texts and all(isinstance(t, tuple) and len(t) == 2 for t in texts):
        texts, pairs = [t[0] for t in texts], [t[1] for t in texts]  # a batch of (text, pair) tuples
    if pairs is not None and len(pairs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(pairs)} text pairs: they must pair up one to one")
    kind = (list, tuple) if split_words else str
    for t in texts + (pairs or []):
        if not isinstance(t, kind) or (split_words and not all(isinstance(w, str) for w in t)):
            expected = "lists of words (is_split_into_words=True)" if split_words else "strings"
            raise ValueError(f"expected {expected}, got {type(t).__name__}")
    return batched, texts, pairs


def chunk_samples(texts: list[Any], pairs: list[Any] | None, split_words: bool, chars: int) -> list[range]:
    """Consecutive samples of about `chars` characters each (a chunk closes once it reaches `chars`)."""
    def size(t: Any) -> int:
        return sum(map(len, t)) if split_words else len(t)

    sizes = list(map(size, texts))
    if pairs is not None:
        sizes = [a + b for a, b in zip(sizes, map(size, pairs), strict=True)]
    chunks, start, total = [], 0, 0
    for i, n in enumerate(sizes):
        total += n
        if total >= chars:
            chunks.append(range(start, i + 1))
            start, total = i + 1, 0
    if start < len(texts):
        chunks.append(range(start, len(texts)))
    return chunks


def layout(texts: list[Any], pairs: list[Any] | None, split_words: bool) -> tuple[list[str], list[Ranges]]:
    """The strings to prepare (one per text, or per word of split-into-words input) and, per sample, the
    ranges of its first and second sequence in that list."""
    n = len(texts)
    if not split_words:  # one string per text: no loop needed
        if pairs is None:
            return list(texts), [((i, i + 1), None) for i in range(n)]
        return list(texts) + list(pairs), [((i, i + 1), (n + i, n + i + 1)) for i in range(n)]
    strings: list[str] = []
    seqs: list[list[tuple[int, int]]] = []
    for group in [texts] if pairs is None else [texts, pairs]:
        ranges = []
        for t in group:
            words = list(t) if split_words else [t]
            ranges.append((len(strings), len(strings) + len(words)))
            strings += words
        seqs.append(ranges)
    return strings, list(zip(seqs[0], seqs[1] if pairs is not None else [None] * n, strict=True))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Encoding allocates millions of small objects and no cycles; the cyclic GC would rescan the whole heap
    many times per call (a third of the time on big batches)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _promote_young_objects()
            gc.enable()


def _promote_young_objects() -> None:
    """Move the objects made during the call (the output lists and offset tuples: hundreds of thousands on a
    JGLUE-sized batch, none in a cycle) to the oldest generation, so the young-generation collection that
    would run at the next allocation does not scan them all at once (a sixth of such a call's time, measured).
    ``freeze`` + ``unfreeze`` only splices the generations' lists; full collections still see every object.
    Skipped when the program froze objects itself (``unfreeze`` would release its freeze)."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
