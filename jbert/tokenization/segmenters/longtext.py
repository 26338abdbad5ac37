"""MeCab over texts of any length: overlapping windows, spliced where both windows agree on the words.

Why: MeCab's Viterbi search gives up once the best path's summed cost passes 2**31 - 1 ("too long
sentence."); the call then returns NULL, which fugashi passes to strlen: the process dies with SIGSEGV.
With unidic-lite that happens at about 970k characters of one repeated hiragana, 300k of one kanji, 190k
of one Latin letter and about a million of ordinary JGLUE text (about 2,000 per character). A word's cost
and a connection cost are each a C short, and every word covers at least one character, so a call over at
most `MAX_CHARS` characters can never reach the limit, whatever the text.

A longer text is parsed in windows of at most `MAX_CHARS` characters that overlap by about `OVERLAP`. A
window ends just after a sentence end if it can (else a newline, other punctuation, a space; a text with
none of those in the window's last half is taken in short windows of `PLAIN_CHARS`, ended where the
character class changes, else anywhere: MeCab's unknown-word grouping costs the square of a run's length,
so short windows also keep one repeated katakana or letter linear). The next window starts at one of the
first window's word starts inside the overlap, and the two are spliced at the first word boundary where
both agree on the two words before and the two after it: MeCab's choice there no longer depends on where
either window begins or ends, so the result is the words MeCab gives the whole text whenever it can parse
it (the tests compare on JGLUE text joined into long rows). Without such a point the splice falls back to
the second window's start.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable

MAX_CHARS = 32_000  # (32_000 + 1) * (32_767 + 32_767) < 2**31 - 1: no window can overflow MeCab's path cost
OVERLAP = 512  # characters parsed twice on each splice (at most a quarter of the window)
PLAIN_CHARS = 1_024  # window length where the text has no sentence end, newline, punctuation or space
_AGREE = 2  # words on each side of a splice point both windows must give identically

# cut points, best first: just after a sentence end, a newline, other punctuation, whitespace
_BREAKS = [re.compile(r".*[。．！？!?]", re.S), re.compile(r".*\n", re.S),
           re.compile(r".*[、，,;；:：)）」』】\]]", re.S), re.compile(r".*\s", re.S)]
_ANY_BREAK = re.compile(r"[。．！？!?、，,;；:：)）」』】\]\s]")
# runs of one character class (hiragana, katakana, kanji, half-width kana, digits, A-Z, a-z), else one character
_RUNS = re.compile(r"[ぁ-ゟ]+|[゠-ヿ]+|[㐀-鿿]+|[ｦ-ﾟ]+|[0-9]+|[A-Z]+|[a-z]+|.", re.S)


def window_end(text: str, start: int, clear: int = 0) -> tuple[int, int]:
    """Where a window starting at `start` ends (the text's end if near, else the best cut point), and how far
    the text is known to hold no break (`clear`: passed back in, so a text without any is scanned once)."""
    if len(text) - start <= MAX_CHARS and (len(text) - start <= PLAIN_CHARS or _ANY_BREAK.search(text, start)):
        return len(text), clear
    low, high = start + MAX_CHARS // 2, min(start + MAX_CHARS, len(text))
    if _ANY_BREAK.search(text, max(low, clear), high):
        for pattern in _BREAKS:
            found = pattern.match(text, low, high)  # greedy: just after the last such character in the range
            if found:
                return found.end(), clear
    clear = max(clear, high)
    low, high = start + PLAIN_CHARS // 2, start + PLAIN_CHARS  # no break: a short window, cut at a class change
    changes = [m.start() for m in _RUNS.finditer(text, low, high)][1:]
    return (changes[-1] if changes else high), clear


def _starts(window: str, words: list[str], base: int) -> list[int]:
    """Where each word starts in the text (the words are in order, with only skipped whitespace between)."""
    if sum(map(len, words)) == len(window):  # no whitespace skipped: the words tile the window
        return [base + p for p in itertools.accumulate(map(len, words), initial=0)][:-1] if words else []
    out, pos = [], 0
    for word in words:
        pos = window.find(word, pos)
        out.append(base + pos)
        pos += len(word)
    return out


def _splice(left: list[tuple[int, str]], right: list[tuple[int, str]]) -> int | None:
    """The first start both (start, word) lists share with `_AGREE` identical words on each side; None if none."""
    index = {item: k for k, item in enumerate(left)}
    for j in range(_AGREE, len(right) - _AGREE + 1):
        k = index.get(right[j])
        if k is not None and k >= _AGREE and left[k - _AGREE : k + _AGREE] == right[j - _AGREE : j + _AGREE]:
            return right[j][0]
    return None


def segment_long(parse: Callable[[str], list[str]], text: str) -> list[str]:
    """`parse(text)` for a text of any length: `parse` sees at most `MAX_CHARS` characters at a time."""
    start, (end, clear) = 0, window_end(text, 0)
    words = parse(text[start:end])
    starts = _starts(text[start:end], words, start)
    out: list[str] = []
    done = 0  # every word starting before this position is in `out`
    while end < len(text):
        # the next window starts at a word start of this one, inside the overlap and past what is done
        first = bisect.bisect_left(starts, max(done, end - min(OVERLAP, (end - start) // 4), start + 1))
        nxt = starts[first] if first < len(starts) else end
        nxt_end, clear = window_end(text, nxt, clear)
        more = parse(text[nxt:nxt_end])
        more_starts = _starts(text[nxt:nxt_end], more, nxt)
        left = list(zip(starts[max(first - _AGREE, 0):], words[max(first - _AGREE, 0):], strict=True))
        right = list(zip(more_starts[: bisect.bisect_left(more_starts, end)], more, strict=False))
        cut = _splice(left, right)
        cut = nxt if cut is None else cut
        out += words[bisect.bisect_left(starts, done) : bisect.bisect_left(starts, cut)]
        done, start, end, words, starts = cut, nxt, nxt_end, more, more_starts
    out += words[bisect.bisect_left(starts, done) :]
    return out
