"""A deterministic WordPiece vocabulary trainer: BPE-style merges over word counts.

Why hand-written instead of ``tokenizers.trainers.WordPieceTrainer``: that trainer breaks ties
between equally frequent pairs by symbol ids that come from Rust ``HashMap`` iteration order,
which is randomly seeded in every process. Identical runs therefore give different vocabularies:
on ``data/sample/corpus.txt`` at 8,000 tokens three runs permuted ~3,300 ids and differed in 39
tokens (even the final size varied: 4,014-4,017 tokens). Re-ordering the result canonically
fixes the ids but not the token set, because a different tie-break picks different merges and
every later merge depends on them. Here every choice has a documented order:

* merge priority: pair count (descending), then the pair ``(left, right)`` compared as Python
  strings (code point order, ascending);
* alphabet: characters by frequency (descending), then code point;
* vocabulary order: special tokens, alphabet characters (code point order), the same characters
  with the continuation prefix, then merged tokens in merge order.

Every alphabet character is kept in both forms (``c`` and ``##c``) so that a known character
never turns a whole word into ``[UNK]`` just because training saw it only word-initially.
Pair counts are updated incrementally (only the words that contain the merged pair are
touched) and the best pair is found with a lazily invalidated heap, as in ``tokenizers``.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from jbert.errors import ConfigError

PREFIX = "##"
# BertJapaneseTokenizer's WordpieceTokenizer maps longer words to [UNK]; they teach nothing.
MAX_CHARS_PER_WORD = 100

Pair = tuple[int, int]


@dataclass(frozen=True)
class Alphabet:
    """The characters a vocabulary keeps, and how much of the corpus they cover."""

    chars: tuple[str, ...]
    coverage: float
    total_chars: int


def select_alphabet(
    word_counts: Mapping[str, int], coverage: float = 1.0, limit: int | None = None
) -> Alphabet:
    """The most frequent characters covering ``coverage`` of all character occurrences, at most ``limit``."""
    counts: Counter[str] = Counter()
    for word, n in word_counts.items():
        for ch in word:
            counts[ch] += n
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(counts.values())
    kept, covered = [], 0
    for ch, n in ranked:
        if (limit is not None and len(kept) >= limit) or (kept and covered >= coverage * total):
            break
        kept.append(ch)
        covered += n
    return Alphabet(tuple(sorted(kept)), covered / total if total else 1.0, len(counts))


def minimum_vocab_size(n_specials: int, alphabet: Alphabet) -> int:
    """Specials + every alphabet character in both its initial and its ``##`` form."""
    return n_specials + 2 * len(alphabet.chars)


class _State:
    """Words as symbol-id lists, with pair counts and an index from pair to the words that hold it."""

    def __init__(self, vocab: list[str], words: list[list[int]], freqs: list[int]):
        self.vocab = vocab
        self.ids = {tok: i for i, tok in enumerate(vocab)}
        self.words, self.freqs = words, freqs
        self.counts: Counter[Pair] = Counter()
        self.where: dict[Pair, set[int]] = {}
        for i, (word, n) in enumerate(zip(words, freqs, strict=True)):
            for pair in pairwise(word):
                self.counts[pair] += n
                self.where.setdefault(pair, set()).add(i)
        self.heap = [self._entry(p, c) for p, c in self.counts.items()]
        heapq.heapify(self.heap)

    def _entry(self, pair: Pair, count: int) -> tuple[int, str, str]:
        return (-count, self.vocab[pair[0]], self.vocab[pair[1]])

    def best(self) -> tuple[Pair, int] | None:
        """Pop the highest-priority pair whose heap entry is current (stale entries are re-queued)."""
        while self.heap:
            neg, left, right = heapq.heappop(self.heap)
            pair = (self.ids[left], self.ids[right])
            current = self.counts.get(pair, 0)
            if current == -neg:
                return pair, current
            if 0 < current < -neg:  # the count fell since this entry was pushed
                heapq.heappush(self.heap, self._entry(pair, current))
        return None

    def merge(self, pair: Pair) -> None:
        """Replace every occurrence of ``pair`` by one new symbol and update the pair counts."""
        a, b = pair
        token = self.vocab[a] + self.vocab[b][len(PREFIX):]
        if token not in self.ids:  # the same string can arise from two merge paths: one entry
            self.ids[token] = len(self.vocab)
            self.vocab.append(token)
        c = self.ids[token]
        delta: Counter[Pair] = Counter()
        for i in self.where.pop(pair):
            old = self.words[i]
            new = _merge_word(old, a, b, c)
            if len(new) == len(old):  # stale index entry: the pair left this word earlier
                continue
            n = self.freqs[i]
            for p in pairwise(old):
                delta[p] -= n
            for p in pairwise(new):
                delta[p] += n
                self.where.setdefault(p, set()).add(i)
            self.words[i] = new
        for p, d in delta.items():
            if d == 0:
                continue
            count = self.counts[p] + d
            if count > 0:
                self.counts[p] = count
            else:
                del self.counts[p]
            if d > 0:
                heapq.heappush(self.heap, self._entry(p, count))


def _merge_word(word: list[int], a: int, b: int, c: int) -> list[int]:
    out, i, n = [], 0, len(word)
    while i < n:
        if i + 1 < n and word[i] == a and word[i + 1] == b:
            out.append(c)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def train_wordpiece(
    word_counts: Mapping[str, int],
    vocab_size: int,
    special_tokens: Sequence[str],
    alphabet: Alphabet,
    min_frequency: int = 2,
    on_merge: Callable[[], None] | None = None,
) -> list[str]:
    """Learn a WordPiece vocabulary (a token list in id order) from word counts.

    Merging stops at ``vocab_size`` tokens or when the best pair occurs fewer than
    ``min_frequency`` times. Words longer than 100 characters or holding a character outside
    the alphabet are skipped: at run time they become ``[UNK]`` whatever the vocabulary.

    >>> train_wordpiece({"ab": 3, "abc": 2}, 12, ["[UNK]"], select_alphabet({"ab": 3, "abc": 2}))[-2:]
    ['ab', 'abc']
    """
    need = minimum_vocab_size(len(special_tokens), alphabet)
    if vocab_size < need:
        raise ConfigError(f"vocab size {vocab_size} is below the {need} that the special tokens and alphabet need")
    chars = list(alphabet.chars)
    vocab = list(special_tokens) + chars + [PREFIX + ch for ch in chars]
    keep = set(chars)
    state_words, freqs = [], []
    ids = {tok: i for i, tok in enumerate(vocab)}
    for word in sorted(word_counts):
        if len(word) > MAX_CHARS_PER_WORD or not keep.issuperset(word):
            continue
        state_words.append([ids[word[0]]] + [ids[PREFIX + ch] for ch in word[1:]])
        freqs.append(word_counts[word])
    state = _State(vocab, state_words, freqs)
    while len(state.vocab) < vocab_size:
        best = state.best()
        if best is None or best[1] < min_frequency:
            break
        state.merge(best[0])
        if on_merge is not None:
            on_merge()
    return state.vocab
