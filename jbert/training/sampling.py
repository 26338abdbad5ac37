"""The order of training examples: shuffles drawn from ``seed + epoch``, so a resumed run replays them.

Used by jbert's Trainer (``jbert.training.hf_trainer``); the Trainer calls ``set_epoch`` at each epoch.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers.trainer_pt_utils import LengthGroupedSampler


class EpochLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped order drawn from ``seed + epoch``, so a resumed run replays the same batches."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):  # type: ignore[override]
        self.generator.manual_seed(self.seed + self.epoch)
        return super().__iter__()


class EpochRandomSampler(torch.utils.data.Sampler):
    """A shuffle drawn from ``seed + epoch`` (not from the global RNG), so a resumed run replays it."""

    def __init__(self, size: int, seed: int):
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self):  # type: ignore[override]
        return iter(torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist())


def feature_length(feature: dict) -> int:
    """Tokens in a feature; for multiple choice (``[num_choices, seq]``) the longest choice."""
    ids = feature["input_ids"]
    if len(ids) and isinstance(ids[0], (list, tuple, np.ndarray)):
        return max(len(row) for row in ids)
    return len(ids)
