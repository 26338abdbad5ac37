"""Model rows as transformers returns them: input lists, padding, and `RowEncoding` for `BatchEncoding`.

`RowEncoding` stands in for `tokenizers.Encoding` inside `BatchEncoding` (word_ids, sequence_ids,
token_to_chars, char_to_token ...) and builds its lists only when asked; `row_outputs` builds the model
inputs of many rows in one pass; `pad_outputs` pads them with the values tokenizers pads with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jbert.tokenization.fast.interned import INTS, SPANS
from jbert.tokenization.fast.truncation import Segment
from jbert.tokenization.fast.wordpiece import Tokens


class RowBatch:
    """Flat per-token arrays shared by the rows of one call."""

    def __init__(self, tokens: Tokens, split_words: bool, id_to_token: Callable[[int], str],
                 offsets: Callable[[], tuple[np.ndarray, np.ndarray]], template_ids: tuple[int, ...] = ()):
        self.ids = INTS.ints(tokens.ids)
        self.template_ids = template_ids  # [CLS], [SEP], [PAD]: ids rows show besides the tokens
        self.words = tokens.unit if split_words else tokens.word  # word ids: input word, or MeCab word
        self.split_words = split_words
        self.id_to_token = id_to_token
        self._offsets = offsets
        self._spans: list[tuple[int, int]] | None = None

    def spans(self) -> list[tuple[int, int]]:
        """Original (start, end) of every token (shared tuples, see `interned`), computed on first use."""
        if self._spans is None:
            self._spans = SPANS.pairs(*self._offsets())
        return self._spans

    def __getstate__(self) -> dict[str, Any]:
        """Pickle what the rows need, not the tokenizer behind the lazy parts (offsets, token strings)."""
        self.spans()
        names = {i: self.id_to_token(i) for i in {*self.ids, *self.template_ids}}
        return {**self.__dict__, "_offsets": None, "id_to_token": names.__getitem__}


class RowEncoding:
    """One output row, answering like `tokenizers.Encoding` (what `BatchEncoding` asks of it)."""

    __slots__ = ("_batch", "_segments", "_pad_left", "_pad_right", "_pad_id", "n_sequences")
    overflowing: tuple[()] = ()  # rows of overflow windows are rows of their own, as transformers returns them

    def __init__(self, batch: RowBatch, segments: list[Segment], n_sequences: int):
        self._batch, self._segments = batch, segments
        self._pad_left = self._pad_right = self._pad_id = 0
        self.n_sequences = n_sequences

    def _build(self, tokens: Callable[[Segment], list[Any]], template: Callable[[Segment], Any], pad: Any) -> list[Any]:
        out = [pad] * self._pad_left
        for seg in self._segments:
            if len(seg) == 2:
                out.append(template(seg))
            else:
                out += tokens(seg)
        if self._pad_right:
            out += [pad] * self._pad_right
        return out

    @property
    def ids(self) -> list[int]:
        ids = self._batch.ids
        return self._build(lambda s: ids[s[0] : s[1]], lambda s: s[0], self._pad_id)

    @property
    def tokens(self) -> list[str]:
        return [self._batch.id_to_token(i) for i in self.ids]

    @property
    def offsets(self) -> list[tuple[int, int]]:
        spans = self._batch.spans()
        return self._build(lambda s: spans[s[0] : s[1]], lambda s: (0, 0), (0, 0))

    @property
    def word_ids(self) -> list[int | None]:
        words, split = self._batch.words, self._batch.split_words
        return self._build(lambda s: (words[s[0] : s[1]] - (s[3] if split else 0)).tolist(), lambda s: None, None)

    words = word_ids

    @property
    def sequence_ids(self) -> list[int | None]:
        return self._build(lambda s: [s[2]] * (s[1] - s[0]), lambda s: None, None)

    @property
    def special_tokens_mask(self) -> list[int]:
        return self._build(lambda s: [0] * (s[1] - s[0]), lambda s: 1, 1)

    @property
    def type_ids(self) -> list[int]:
        return self._build(lambda s: [s[2]] * (s[1] - s[0]), lambda s: s[1], 0)

    @property
    def attention_mask(self) -> list[int]:
        inner = len(self) - self._pad_left - self._pad_right
        return [0] * self._pad_left + [1] * inner + [0] * self._pad_right

    def __len__(self) -> int:
        inner = sum(1 if len(s) == 2 else s[1] - s[0] for s in self._segments)
        return self._pad_left + inner + self._pad_right

    def __repr__(self) -> str:
        return f"RowEncoding(num_tokens={len(self)})"

    def token_to_sequence(self, token_index: int) -> int | None:
        return self.sequence_ids[token_index]

    def token_to_word(self, token_index: int) -> int | None:
        return self.word_ids[token_index]

    def token_to_chars(self, token_index: int) -> tuple[int, int] | None:
        """Span of the token in its original text; None for template and padding tokens."""
        return None if self.sequence_ids[token_index] is None else self.offsets[token_index]

    def _tokens_of(self, sequence_index: int) -> list[int]:
        return [i for i, s in enumerate(self.sequence_ids) if s == sequence_index]

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> int | None:
        """First token of that sequence whose original span contains `char_pos`."""
        offsets = self.offsets
        return next((i for i in self._tokens_of(sequence_index) if offsets[i][0] <= char_pos < offsets[i][1]), None)

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> tuple[int, int] | None:
        words = self.word_ids
        hits = [i for i in self._tokens_of(sequence_index) if words[i] == word_index]
        return (hits[0], hits[-1] + 1) if hits else None

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> tuple[int, int] | None:
        span = self.word_to_tokens(word_index, sequence_index)
        if span is None:
            return None
        offsets = self.offsets[span[0] : span[1]]
        return min(s for s, _ in offsets), max(e for _, e in offsets)

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> int | None:
        token = self.char_to_token(char_pos, sequence_index)
        return None if token is None else self.word_ids[token]


def row_outputs(rows: list[RowEncoding], keys: set[str]) -> dict[str, list[list[Any]]]:
    """The requested model inputs of unpadded rows (input_ids always), built in one pass."""
    out: dict[str, list[list[Any]]] = {k: [] for k in ["input_ids", *sorted(keys)]}
    if not rows:
        return out
    batch = rows[0]._batch
    ids_all = batch.ids
    spans = batch.spans() if "offset_mapping" in keys else []
    add_ids = out["input_ids"].append
    add_types = out["token_type_ids"].append if "token_type_ids" in keys else None
    add_attention = out["attention_mask"].append if "attention_mask" in keys else None
    add_offsets = out["offset_mapping"].append if "offset_mapping" in keys else None
    zero = (0, 0)
    for r in rows:
        segs = r._segments
        if len(segs) == 3 and len(segs[0]) == 2:  # [CLS] A [SEP]: the common rows get no inner loop
            lo, hi = segs[1][0], segs[1][1]
            add_ids([segs[0][0], *ids_all[lo:hi], segs[2][0]])
            if add_types:
                add_types([0] * (hi - lo + 2))
            if add_attention:
                add_attention([1] * (hi - lo + 2))
            if add_offsets:
                add_offsets([zero, *spans[lo:hi], zero])
            continue
        if len(segs) == 5 and len(segs[0]) == 2 and len(segs[1]) == 4:  # [CLS] A [SEP] B [SEP]
            (lo, hi), (lo2, hi2) = segs[1][:2], segs[3][:2]
            add_ids([segs[0][0], *ids_all[lo:hi], segs[2][0], *ids_all[lo2:hi2], segs[4][0]])
            if add_types:
                add_types([0] * (hi - lo + 2) + [1] * (hi2 - lo2 + 1))
            if add_attention:
                add_attention([1] * (hi - lo + hi2 - lo2 + 3))
            if add_offsets:
                add_offsets([zero, *spans[lo:hi], zero, *spans[lo2:hi2], zero])
            continue
        ids: list[int] = []
        types: list[int] = []
        offsets = []
        for seg in segs:
            if len(seg) == 2:  # template token
                ids.append(seg[0])
                types.append(seg[1])
                offsets.append(zero)
            else:
                ids += ids_all[seg[0] : seg[1]]
                types += [seg[2]] * (seg[1] - seg[0])
                if add_offsets:
                    offsets += spans[seg[0] : seg[1]]
        add_ids(ids)
        if add_types:
            add_types(types)
        if add_attention:
            add_attention([1] * len(ids))
        if add_offsets:
            add_offsets(offsets)
    if "special_tokens_mask" in keys:  # rarely asked for: built from the rows' own description
        out["special_tokens_mask"] = [r.special_tokens_mask for r in rows]
    return out


PAD_VALUES = {"input_ids": None, "token_type_ids": 0, "attention_mask": 0, "special_tokens_mask": 1,
              "offset_mapping": (0, 0)}


def pad_outputs(data: dict[str, list[list[Any]]], rows: list[RowEncoding], strategy: str, max_length: int | None,
                multiple: int | None, side: str, pad_id: int) -> None:
    """Pad like tokenizers, in place: to the longest row ("longest") or to max_length ("max_length")."""
    if strategy == "do_not_pad" or not rows:
        return
    # rows of overflow windows are never longer than their sample's first row
    target = max(map(len, data["input_ids"])) if strategy == "longest" else int(max_length or 0)
    if multiple and target % multiple:
        target += multiple - target % multiple
    for i, row in enumerate(rows):
        missing = target - len(data["input_ids"][i])
        if missing <= 0:
            continue
        row._pad_left, row._pad_right, row._pad_id = (missing, 0, pad_id) if side == "left" else (0, missing, pad_id)
        for key, values in data.items():
            if key in PAD_VALUES:
                fill = [pad_id if PAD_VALUES[key] is None else PAD_VALUES[key]] * missing
                values[i] = fill + values[i] if side == "left" else values[i] + fill
