"""Dynamic padding: each batch is padded to its own longest sequence (rounded up to
``pad_to_multiple_of``), never to ``max_length``.

Only model inputs (``jbert.heads.base.MODEL_INPUTS``) survive, and of the tokenizer's outputs only
those in its ``model_input_names`` (``jbert.models.inputs.align_tokenizer`` sets them to what the
model takes: no ``token_type_ids`` for RoBERTa, DistilBERT ...); metadata such as
``example_index`` or ``offset_mapping`` stays with the features for ``decode``. A sequence
feature is 1-D (``[seq]``) or, for multiple choice, 2-D (``[num_choices, seq]``); a scalar
feature (a class id, a regression target, a QA start position) is stacked as is.

``tensors="np"`` gives numpy arrays instead of torch tensors: ONNX Runtime takes those, so a process
that predicts with an ONNX export never imports torch (about a second of start-up).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LABEL_PAD = -100  # ignored by every HF loss
_TOKENIZER_OUTPUTS = ("input_ids", "attention_mask", "token_type_ids")


Feature = dict[str, Any]
# QA models take their targets as start_positions / end_positions instead of labels.
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "labels", "start_positions", "end_positions")


class PaddingCollator:
    """``collator(features) -> dict[str, torch.Tensor]`` (numpy arrays with ``tensors="np"``) for any head's features.

    >>> collate = PaddingCollator(tokenizer)
    >>> batch = collate([{"input_ids": [2, 5, 3], "labels": 1}, {"input_ids": [2, 3], "labels": 0}])
    >>> batch["input_ids"].tolist()
    [[2, 5, 3], [2, 3, 0]]
    """

    def __init__(self, tokenizer: Any, pad_to_multiple_of: int | None = None, position_ids: bool = False,
                 tensors: str = "pt"):
        if tensors not in ("pt", "np"):
            raise ValueError(f"tensors must be 'pt' or 'np', got {tensors!r}")
        self.tensors = tensors
        pad_id = getattr(tokenizer, "pad_token_id", None)
        self.pad_values = {"input_ids": pad_id if pad_id is not None else 0, "labels": LABEL_PAD}
        self.pad_to_multiple_of = pad_to_multiple_of
        names = getattr(tokenizer, "model_input_names", None) or _TOKENIZER_OUTPUTS
        self.keys = tuple(k for k in MODEL_INPUTS if k not in _TOKENIZER_OUTPUTS or k in names)
        self.position_ids = position_ids

    def __call__(self, features: Sequence[Feature]) -> dict[str, Any]:
        if not features:
            raise ValueError("cannot collate an empty batch")
        batch = {key: self._stack(key, [f[key] for f in features]) for key in self.keys if key in features[0]}
        if self.position_ids:
            from jbert.models.inputs import position_ids

            batch["position_ids"] = position_ids(batch["input_ids"])
        if self.tensors == "np":
            return batch
        import torch

        return {key: torch.from_numpy(value) for key, value in batch.items()}

    def _stack(self, key: str, values: list[Any]) -> np.ndarray:
        first = values[0]
        if not isinstance(first, (list, tuple, np.ndarray)):
            return _scalars(values)
        nested = len(first) > 0 and isinstance(first[0], (list, tuple, np.ndarray))
        pad = self.pad_values.get(key, 0)
        return self._pad_nested(values, pad) if nested else self._pad(values, pad)

    def _width(self, lengths: list[int]) -> int:
        width = max(lengths, default=0)
        m = self.pad_to_multiple_of
        return -(-width // m) * m if m else width

    def _pad(self, rows: list[Sequence[int]], pad: int) -> np.ndarray:
        """``[batch, seq]``: one C-level copy per row."""
        out = np.full((len(rows), self._width([len(r) for r in rows])), pad, dtype=np.int64)
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out

    def _pad_nested(self, groups: list[Sequence[Sequence[int]]], pad: int) -> np.ndarray:
        """``[batch, num_choices, seq]``; every example must have the same number of choices."""
        counts = {len(g) for g in groups}
        if len(counts) != 1:
            raise ValueError(f"examples in one batch have different numbers of choices: {sorted(counts)}")
        width = self._width([len(r) for g in groups for r in g])
        out = np.full((len(groups), counts.pop(), width), pad, dtype=np.int64)
        for i, group in enumerate(groups):
            for j, row in enumerate(group):
                out[i, j, : len(row)] = row
        return out


def _scalars(values: list[Any]) -> np.ndarray:
    """torch.tensor's dtypes for a list of scalars: int -> int64, float -> float32, bool -> bool."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    return array.astype(np.int64) if array.dtype.kind in "iu" else array
