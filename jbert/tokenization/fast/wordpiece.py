"""Batch WordPiece with offsets, in numpy: the part of encoding that runs after MeCab.

Japanese MeCab words are one or two characters long, so a per-word pipeline (Rust `tokenizers` included:
about 1.5 µs a word in its pre-tokenizer/encoding bookkeeping) costs more than MeCab itself. Here every word
of the batch is looked up in one `map(dict.get, ...)` of memoised WordPiece results (greedy longest match
runs once per distinct word) and split words are expanded from a flat piece table, all with array
operations. The result is a `Tokens` table: one row per token (`jbert.tokenization.fast.offsets` maps its
characters back to the original text).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np

from jbert.tokenization.fast.pretokenize import Unit, codepoints


class WordPieceVocab:
    """BertJapaneseTokenizer's WordpieceTokenizer (or CharacterTokenizer) over a vocabulary, memoised.

    `codes` maps a word to its vocabulary id when it is one token covering the whole word (a vocabulary
    entry, or an [UNK] word), and to ``-2 - k`` when it splits into several pieces, entry k of a flat
    piece table (ids, character starts and ends within the word). Words are added on first sight.
    """

    def __init__(self, vocab: dict[str, int], unk_token: str, max_input_chars_per_word: int = 100):
        self.vocab = vocab
        self.unk_id = vocab.get(unk_token, -1)
        self.max_chars = max_input_chars_per_word
        self.literals: dict[str, int] = {}
        self._reset()

    def set_literals(self, literals: dict[str, int]) -> None:
        """Added tokens (content -> id): split out of the text before segmentation, each is one word of its own.

        Only those words take the literal's id (see `tokenize_units`): a segmenter word that merely equals one
        (after NFKC, say) is subword-tokenized with the vocabulary, as the slow tokenizer does.
        """
        self.literals = dict(literals)

    def _reset(self) -> None:
        # A word that is a whole vocabulary entry is its own single piece (greedy longest match tries it first).
        self.codes = {t: i for t, i in self.vocab.items() if len(t) <= self.max_chars}
        self._entries = 0  # multi-piece entries so far
        self._entry_rows: list[tuple[int, int]] = []  # learned since the last tables() call
        self._piece_rows: list[tuple[int, int, int]] = []
        self._arrays: tuple[np.ndarray, ...] = (np.zeros(0, dtype=np.int64),) * 5

    def lookup(self, words: list[str]) -> np.ndarray:
        """The code of every word (see the class docstring), learning the unseen ones."""
        codes = np.fromiter(map(self.codes.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        missing = np.flatnonzero(codes == -1)
        if len(missing):
            if len(self.codes) > len(self.vocab) + 500_000:  # bound memory on endless streams of new words
                self._reset()
            codes[missing] = [self._learn(words[m]) for m in missing.tolist()]
        return codes

    def tables(self) -> tuple[np.ndarray, ...]:
        """(first piece, piece count) per multi-piece entry, and the flat (id, start, end) piece table."""
        if self._entry_rows:  # append what was learned since the last call (amortised, not rebuilt)
            entries = np.array(self._entry_rows, dtype=np.int64).reshape(-1, 2)
            pieces = np.array(self._piece_rows, dtype=np.int64).reshape(-1, 3)
            old = self._arrays
            self._arrays = (np.concatenate([old[0], entries[:, 0]]), np.concatenate([old[1], entries[:, 1]]),
                            *(np.concatenate([old[2 + i], pieces[:, i]]) for i in range(3)))
            self._entry_rows, self._piece_rows = [], []
        return self._arrays

    def _learn(self, word: str) -> int:
        code = self.codes.get(word, -1)
        if code != -1:  # the same new word twice in one batch
            return code
        pieces = self._longest_match(word)
        if len(pieces) == 1 and pieces[0][1:] == (0, len(word)):
            code = pieces[0][0]
        else:
            code = -2 - self._entries
            self._entry_rows.append((len(self._arrays[2]) + len(self._piece_rows), len(pieces)))
            self._piece_rows += pieces
            self._entries += 1
        self.codes[word] = code
        return code

    def _longest_match(self, word: str) -> list[tuple[int, int, int]]:
        """(id, start, end) of each piece of `word` (character offsets within it); [UNK] covers the word."""
        if len(word) > self.max_chars:
            return [(self.unk_id, 0, len(word))]
        out, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    out.append((self.vocab[piece], start, end))
                    start = end
                    break
            else:
                return [(self.unk_id, 0, len(word))]
        return out


@dataclass
class Tokens:
    """Every token of a list of units, flat. Offsets are in each unit's own original text."""

    ids: np.ndarray  # (T,) vocabulary ids
    word: np.ndarray  # (T,) word index within its unit
    unit: np.ndarray  # (T,) unit index
    first: np.ndarray  # (T,) first character of the token in the `build_maps` layout
    last: np.ndarray  # (T,) last character of the token in that layout
    bounds: np.ndarray  # (U + 1,) tokens of unit u are bounds[u]:bounds[u + 1]


def tokenize_units(wp: WordPieceVocab, units: list[Unit]) -> Tokens:
    """WordPiece every word of every unit, in one pass over the batch."""
    layout = " ".join(u.joined for u in units if u.joined)  # = build_maps' layout, less the final space
    n_words = np.array([u.joined.count(" ") + 1 if u.joined else 0 for u in units], dtype=np.int64)
    words = layout.split(" ") if layout else []
    spaces = np.flatnonzero(codepoints(layout) == 32)
    word_start = np.concatenate([[0], spaces + 1]) if words else spaces
    lengths = np.concatenate([spaces, [len(layout)]]) - word_start if words else spaces
    codes = wp.lookup(words)
    literal_at = [int(k) + int(w) for u, k in zip(units, np.cumsum(n_words) - n_words, strict=True) for w in u.literals]
    if literal_at:  # added-token literals take their own id whatever the vocabulary would make of them
        codes[literal_at] = [wp.literals.get(words[i], wp.unk_id) for i in literal_at]
    multi = codes < -1
    per_word = np.ones(len(words), dtype=np.int64)
    if multi.any():
        first, count, piece_ids, piece_starts, piece_ends = wp.tables()
        per_word[multi] = count[-2 - codes[multi]]
    word_of_token = np.repeat(np.arange(len(words)), per_word)
    tok_ids, tok_first = codes[word_of_token], word_start[word_of_token]
    tok_start, tok_end = np.zeros(len(tok_ids), dtype=np.int64), lengths[word_of_token]
    if multi.any():
        # k-th token of a split word = piece first[entry] + k of the table
        k = np.arange(len(tok_ids)) - np.repeat(np.cumsum(per_word) - per_word, per_word)
        split = tok_ids < -1
        at = first[-2 - tok_ids[split]] + k[split]
        tok_ids[split], tok_start[split], tok_end[split] = piece_ids[at], piece_starts[at], piece_ends[at]
    word_bounds = np.concatenate([[0], np.cumsum(n_words)])
    unit_of_token = np.repeat(np.arange(len(units)), n_words)[word_of_token]
    local_word = word_of_token - word_bounds[unit_of_token]
    bounds = np.concatenate([[0], np.cumsum(per_word)])[word_bounds]
    return Tokens(tok_ids, local_word, unit_of_token, tok_first + tok_start, tok_first + tok_end - 1, bounds)
