"""Which tokens each model row holds: BERT's template, truncation with stride, and overflow windows.

The rules are those of the Rust `tokenizers` library behind every transformers fast tokenizer (truncation
strategies, how many tokens each text keeps, overflow windows and the order of the overflowing rows), so
heads written for fast tokenizers (QA with `doc_stride`) behave the same; tests compare the two row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

# A row is a list of segments: (token id, type id) for a template token, (lo, hi, seq, first_unit) for tokens
# lo:hi of the flat table from sequence `seq`, whose first unit (word, for split-into-words input) is first_unit.
Segment = tuple


@dataclass
class Options:
    """What the caller asked for, as far as the rows are concerned."""

    add_special_tokens: bool
    truncation: str  # longest_first | only_first | only_second | do_not_truncate
    max_length: int | None
    stride: int
    overflow: bool
    direction: str  # truncation side: right | left


def windows(n: int, max_len: int, stride: int, left: bool) -> list[tuple[int, int]]:
    """tokenizers' Encoding.truncate: the kept window first, then the overflowing ones."""
    if max_len >= n:
        return [(0, n)]
    if max_len == 0:
        return [(0, 0), (0, n)]
    if stride >= max_len:
        raise ValueError(f"stride ({stride}) must be smaller than the tokens left for the text ({max_len})")
    step, out = max_len - stride, []
    if left:
        for stop in range(n, 0, -step):
            out.append((max(stop - max_len, 0), stop))
            if stop <= max_len:
                break
    else:
        for start in range(0, n, step):
            out.append((start, min(start + max_len, n)))
            if start + max_len >= n:
                break
    return out


def _target_lengths(na: int, nb: int | None, limit: int, strategy: str) -> tuple[int, int | None]:
    """tokenizers' truncate_encodings: how many tokens each sequence keeps."""
    total = na + (nb or 0)
    if strategy == "do_not_truncate" or total <= limit:
        return na, nb
    to_remove = total - limit
    if strategy == "longest_first":
        if nb is None:
            return limit, None
        n1, n2, swap = (nb, na, True) if na > nb else (na, nb, False)
        n2 = n1 if n1 > limit else max(n1, limit - n1)
        if n1 + n2 > limit:
            n1 = limit // 2
            n2 = n1 + limit % 2
        return (n2, n1) if swap else (n1, n2)
    if strategy == "only_second" and nb is None:
        raise ValueError("truncation='only_second' needs a second text (text_pair)")
    target = na if strategy == "only_first" else nb
    if target <= to_remove:
        which = "first" if strategy == "only_first" else "second"
        raise ValueError(
            f"truncation={strategy!r} cannot fit max_length: the other text alone needs {total - target} tokens "
            f"(the {which} text would keep none); use truncation='longest_first' or a larger max_length"
        )
    return (na - to_remove, nb) if strategy == "only_first" else (na, nb - to_remove)


def sample_rows(
    a: tuple[int, int, int], b: tuple[int, int, int] | None, opts: Options, cls_id: int, sep_id: int
) -> list[list[Segment]]:
    """Rows for one sample: `a`/`b` are (lo, hi, first_unit) token ranges of its sequences."""
    na, nb = a[1] - a[0], (b[1] - b[0]) if b else None
    n_special = (3 if b else 2) if opts.add_special_tokens else 0
    if opts.add_special_tokens and (opts.max_length is None or opts.truncation == "do_not_truncate"
                                    or na + (nb or 0) + n_special <= opts.max_length):  # the common case
        row = [(cls_id, 0), (a[0], a[1], 0, a[2]), (sep_id, 0)]
        return [row + [(b[0], b[1], 1, b[2]), (sep_id, 1)] if b else row]
    keep_a, keep_b = na, nb
    if opts.truncation != "do_not_truncate" and opts.max_length is not None:
        limit = opts.max_length - n_special
        if limit < 0:
            raise ValueError(f"max_length={opts.max_length} leaves no room for the {n_special} special tokens")
        keep_a, keep_b = _target_lengths(na, nb, limit, opts.truncation)
    left = opts.direction == "left"
    wa = windows(na, keep_a, opts.stride, left)
    wb = windows(nb, keep_b, opts.stride, left) if b else [(0, 0)]
    order = [(0, 0)]
    if opts.overflow:  # the order Encoding.merge_with produces overflowing rows in
        order += [(i, j) for i in range(1, len(wa)) for j in range(len(wb))]
        order += [(0, j) for j in range(1, len(wb))]
    rows = []
    for i, j in order:
        row: list[Segment] = [(cls_id, 0)] if opts.add_special_tokens else []
        row.append((a[0] + wa[i][0], a[0] + wa[i][1], 0, a[2]))
        if opts.add_special_tokens:
            row.append((sep_id, 0))
        if b:
            row.append((b[0] + wb[j][0], b[0] + wb[j][1], 1, b[2]))
            if opts.add_special_tokens:
                row.append((sep_id, 1))
        rows.append(row)
    return rows
