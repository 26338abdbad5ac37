"""Shared Python objects for the lists a tokenizer call returns: offset tuples and token ids.

A call returns Python lists (transformers' contract), so each token used to cost fresh objects: an int for
its id and, with offsets, a (start, end) tuple and two ints, all allocated while the lists are built and
freed again when the caller drops them (a sixth of the main thread's time on the JGLUE benchmark). Offsets
within a text repeat across texts ((0, 2), (2, 3) ...), so one tuple per distinct (start, end) can stand
for all of them: numpy gathers them from a table of object pointers (C speed, no allocation), and freeing
the output only decrements reference counts. Tuples and ints are immutable, so sharing them is invisible to
callers.
"""

from __future__ import annotations

import threading

import numpy as np

_WIDTH = 16  # span lengths 0..15 characters come from the table (WordPiece tokens of Japanese are 1-4)
_MAX_START = 8_192  # offsets beyond this (rare: very long texts) get their own tuples; caps the table at ~12 MB


class _SpanTable:
    """(start, start + length) tuples for start < the table's height and length < _WIDTH, grown on demand."""

    def __init__(self) -> None:
        self.table = np.empty(0, dtype=object)
        self._lock = threading.Lock()

    def _grown(self, starts: int) -> np.ndarray:
        """The table covering `starts` starts at least (grown by doubling, so each size is built once)."""
        with self._lock:
            table = self.table
            if len(table) < starts * _WIDTH:
                height, done = min(_MAX_START, max(256, 1 << (starts - 1).bit_length())), len(table) // _WIDTH
                grown = np.empty(height * _WIDTH, dtype=object)
                grown[: len(table)] = table  # rows are start-major: the old table is the new one's prefix
                grown[len(table) :] = np.fromiter(((s, s + n) for s in range(done, height) for n in range(_WIDTH)),
                                                  dtype=object, count=(height - done) * _WIDTH)
                self.table = table = grown
            return table

    def pairs(self, start: np.ndarray, end: np.ndarray) -> list[tuple[int, int]]:
        """[(start[i], end[i]) ...] as shared tuples where the table holds them, fresh ones elsewhere."""
        if not len(start):
            return []
        length = end - start
        fits = (start < _MAX_START) & (length >= 0) & (length < _WIDTH)
        code = np.where(fits, start * _WIDTH + length, 0)
        table = self.table
        top = int(code.max()) + 1
        if len(table) < top:
            table = self._grown(top // _WIDTH + 1)
        out = table[code]
        if not fits.all():
            rest = np.flatnonzero(~fits)
            out[rest] = np.fromiter(zip(start[rest].tolist(), end[rest].tolist(), strict=True), dtype=object,
                                    count=len(rest))
        return out.tolist()


SPANS = _SpanTable()


class _IntTable:
    """Non-negative ints (token ids) as shared objects: ids above 256 are otherwise allocated once per token."""

    def __init__(self) -> None:
        self.table = np.empty(0, dtype=object)
        self._lock = threading.Lock()

    def ints(self, values: np.ndarray) -> list[int]:
        if not len(values) or int(values.min()) < 0:  # no vocabulary id is negative: plain ints for whatever that is
            return values.tolist()
        top = int(values.max()) + 1
        table = self.table
        if len(table) < top:
            with self._lock:
                table = self.table
                if len(table) < top:
                    table = np.empty(max(top, 2 * len(table)), dtype=object)
                    table[:] = range(len(table))
                    self.table = table
        return table[values].tolist()


INTS = _IntTable()
