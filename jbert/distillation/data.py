"""The student's training rows and their batches.

``DistillDataset`` joins each split's features with the teacher's cached arrays for them; rows of an
``--unlabeled`` file get placeholder labels (skipped by the gold loss) and ``labelled = False``.
``DistillCollator`` pads the model inputs as the head's collator does and the teacher's arrays to the
same width: ``teacher_<name>`` tensors, ``labelled`` and, where features carry offsets, ``token_mask``
(content tokens: [CLS], [SEP] and padding excluded). For an embedding model, whose rows hold any number
of texts (a labelled anchor, positive and negative beside an unlabeled lone text), a batch's shorter rows
are filled up with filler texts and ``text_mask`` says which texts are real.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from jbert.distillation.cache import CachedTargets
from jbert.distillation.losses import OutputKind, Target, target_spec
from jbert.distillation.model import TEACHER
from jbert.heads import Feature

Part = tuple[Sequence[Feature], CachedTargets, bool]  # features, the teacher's arrays for them, labelled


class DistillDataset:
    """``dataset[i]`` -> a feature with ``teacher`` (its arrays) and ``labelled``; parts in order."""

    def __init__(self, parts: Sequence[Part], label_names: Sequence[str]):
        self.parts = [p for p in parts if len(p[0])]
        for features, targets, _ in self.parts:
            if len(features) != len(targets):
                raise ValueError(f"{len(features)} features but {len(targets)} teacher rows: the cache is damaged")
        self.ends = list(np.cumsum([len(p[0]) for p in self.parts]))
        labelled = next((p[0][0] for p in self.parts if p[2]), None)
        self.template = {k: labelled[k] for k in label_names if k in labelled} if labelled else {}

    def __len__(self) -> int:
        return int(self.ends[-1]) if self.ends else 0

    def __getitem__(self, i: int) -> Feature:
        part = bisect.bisect_right(self.ends, i)
        features, targets, labelled = self.parts[part]
        row = i - (int(self.ends[part - 1]) if part else 0)
        feature = dict(features[row])
        if not labelled:
            feature.update(placeholder_labels(self.template, feature))
        feature["teacher"], feature["labelled"] = targets[row], labelled
        return feature


class DistillCollator:
    """The head's collator, plus the teacher's arrays padded to the batch's width."""

    def __init__(self, base: Any, kind: OutputKind):
        self.base, self.kind = base, kind

    @property
    def pad_to_multiple_of(self) -> int | None:  # the trainer sets it on a GPU: it reaches the head's collator
        return self.base.pad_to_multiple_of

    @pad_to_multiple_of.setter
    def pad_to_multiple_of(self, value: int | None) -> None:
        self.base.pad_to_multiple_of = value

    def __call__(self, features: Sequence[Feature]) -> dict[str, Any]:
        import torch

        text_mask = None
        if self.kind.texts:
            features, text_mask = fill_texts(features)
        batch = self.base(features)
        if text_mask is not None:
            batch["text_mask"] = torch.from_numpy(text_mask)
        width = batch["input_ids"].shape[-1]
        if "offset_mapping" in features[0]:
            masks = [[span is not None for span in f["offset_mapping"]] for f in features]
            batch["token_mask"] = torch.from_numpy(_pad([np.array(m, dtype=bool) for m in masks], Target(False, -1), width))
        if "teacher" in features[0]:
            for name in features[0]["teacher"]:
                arrays = [f["teacher"][name] for f in features]
                batch[TEACHER + name] = torch.from_numpy(_pad(arrays, target_spec(self.kind, name), width))
            batch["labelled"] = torch.tensor([bool(f["labelled"]) for f in features])
        return batch


_TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def fill_texts(features: Sequence[Feature]) -> tuple[Sequence[Feature], np.ndarray]:
    """Rows with fewer texts than the batch's most get filler texts (their first token alone: a real,
    one-token sequence, so no row of the model's input is all padding), so that all stack as
    ``[batch, texts, seq]``; and the ``[batch, texts]`` mask of the real ones."""
    counts = [len(f["input_ids"]) for f in features]
    most = max(counts)
    mask = np.arange(most)[None, :] < np.array(counts)[:, None]
    if min(counts) == most:
        return features, mask
    filled = []
    for feature, count in zip(features, counts, strict=True):
        feature = dict(feature)
        for key in _TEXT_INPUTS:
            if key in feature:
                feature[key] = list(feature[key]) + [list(feature[key][0][:1])] * (most - count)
        filled.append(feature)
    return filled, mask


def _pad(arrays: Sequence[np.ndarray], target: Target, width: int) -> np.ndarray:
    """Stack, padding the sequence axis to ``width`` (or a ragged first axis to the longest) with ``target.pad``."""
    axis = target.seq_axis if target.seq_axis is not None else 0
    size = width if target.seq_axis is not None else max(a.shape[0] for a in arrays)
    first = arrays[0]
    shape = list(first.shape)
    shape[axis] = size
    out = np.full((len(arrays), *shape), target.pad, dtype=first.dtype)
    for i, a in enumerate(arrays):
        index = [slice(None)] * a.ndim
        index[axis] = slice(0, a.shape[axis])
        out[(i, *index)] = a
    return out


def placeholder_labels(example_labels: Mapping[str, Any], feature: Mapping[str, Any]) -> dict[str, Any]:
    """Label values for a feature of a row without a label, shaped like a labelled feature's
    (``example_labels``), so both collate together; the gold loss skips them (-100, or NaN for a number)."""
    out: dict[str, Any] = {}
    for key, value in example_labels.items():
        if isinstance(value, (list, tuple)):
            out[key] = [-100] * len(feature["input_ids"])
        else:
            out[key] = float("nan") if isinstance(value, float) else -100
    return out
