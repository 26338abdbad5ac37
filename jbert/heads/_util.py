"""Small pieces the heads share: tokenizer calls, truncation counting, softmax, data errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError


def data_error(example: Example, reason: str, fix: str | None = None, kind: str = "invalid") -> DataFormatError:
    """A DataFormatError at the example's file and line; ``kind`` lets ``jbert data check`` count it."""
    error = DataFormatError(example.source or "<input>", example.line, reason, fix)
    error.kind = kind
    return error


def missing_label(example: Example, column: str) -> DataFormatError:
    if column in example.fields:
        return data_error(
            example, f"the label (column {column!r}) is empty", "every training/evaluation row needs a label", "missing_label"
        )
    columns = ", ".join(map(str, example.fields)) or "(none)"
    return data_error(
        example, f"no label: no column {column!r} (columns in this row: {columns})",
        "set --label-column or the task spec's columns.label", "missing_label",
    )


def require_text_pair(example: Example, column: str | None) -> None:
    if example.text_pair is None:
        raise data_error(
            example, "no second text (text_pair) for a sentence-pair task",
            f"map the text_pair column (now {column!r}) with --text-pair-column or the task spec's columns",
        )


def require_labels(labels: list[str] | None, head: str) -> list[str]:
    if not labels:
        raise ConfigError(f"the {head} head has no label set: give the task spec 'labels' or train on a labelled file")
    return labels


def tokenize(tokenizer: Any, texts: Sequence[str], pairs: Sequence[str] | None, max_length: int, **kwargs: Any) -> Any:
    """One batched fast-tokenizer call (``truncation=True``: longest-first for pairs)."""
    return tokenizer(
        list(texts), list(pairs) if pairs is not None else None, truncation=True, max_length=max_length, **kwargs
    )


def truncated_rows(batch: Any, max_length: int) -> list[bool]:
    """Which rows of a tokenizer batch lost tokens to ``max_length``.

    ``tokenizers.Encoding`` keeps the cut-off tokens in ``overflowing`` even when they are not
    returned, which is exact. Other encodings (jbert's own engine fills ``overflowing`` only on
    request) fall back to "the row is exactly ``max_length`` long", which only miscounts a text
    that fits to the last token.
    """
    from tokenizers import Encoding

    encodings = getattr(batch, "encodings", None)
    if encodings and isinstance(encodings[0], Encoding):
        return [bool(e.overflowing) for e in encodings]
    return [len(ids) >= max_length for ids in batch["input_ids"]]


def model_inputs(batch: Any, i: int) -> dict[str, Any]:
    """Row ``i`` of a tokenizer batch: input_ids, attention_mask and token_type_ids when given."""
    return {key: batch[key][i] for key in ("input_ids", "attention_mask", "token_type_ids") if key in batch}


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def first_output(outputs: Any) -> np.ndarray:
    """Logits from a bare array or an (logits, ...) tuple, as float numpy."""
    if isinstance(outputs, (tuple, list)):
        outputs = outputs[0]
    if hasattr(outputs, "detach"):
        outputs = outputs.detach().cpu().numpy()
    return np.asarray(outputs, dtype=np.float32)


def check_rows(outputs: np.ndarray, features: Sequence[Any]) -> None:
    if len(outputs) != len(features):
        raise ValueError(f"decode got {len(outputs)} output rows for {len(features)} features")
