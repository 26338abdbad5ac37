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


def is_nested(feature: dict) -> bool:
    """A feature of several sequences (``[num_choices, seq]``: choices, texts, a query's documents)."""
    ids = feature["input_ids"]
    return bool(len(ids)) and isinstance(ids[0], (list, tuple, np.ndarray))


def feature_length(feature: dict) -> int:
    """Tokens in a feature; for multiple choice (``[num_choices, seq]``) the longest choice."""
    ids = feature["input_ids"]
    return max(len(row) for row in ids) if is_nested(feature) else len(ids)


class DistinctBatchSampler(torch.utils.data.BatchSampler):
    """Batches in which no two rows share a key (a text): sentence-transformers' NoDuplicatesBatchSampler,
    so an in-batch negative is never a row's own positive. Same algorithm and same random draw
    (``randperm`` from ``seed + epoch``), so the same seed gives the same batches: rows are taken in
    shuffled order, a row that clashes with its batch waits for a later one, and a batch that cannot
    be filled is yielded short. When one pass gives fewer than ``len()`` batches (many duplicates),
    up to two more shuffled passes top it up, as sentence-transformers does.

    ``keys``: per row, the set of values it must not share."""

    EXTRA_PASSES = 2

    def __init__(self, keys: list, batch_size: int, seed: int, drop_last: bool = False):
        super().__init__(_Rows(self, len(keys)), batch_size, drop_last)
        self.keys, self.seed, self.epoch = keys, seed, 0
        self.generator = torch.Generator()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        n = len(self.keys)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):  # type: ignore[override]
        self.generator.manual_seed(self.seed + self.epoch)
        if not self.keys:
            return
        expected, done = len(self), 0
        for batch in self._one_pass():
            yield batch
            done += 1
        for _ in range(self.EXTRA_PASSES if 0 < done < expected else 0):
            for batch in self._one_pass():
                yield batch
                done += 1
                if done >= expected:
                    return

    def _one_pass(self):
        """One shuffle of every row; rows left out of a full batch stay first in line for the next."""
        order = torch.randperm(len(self.keys), generator=self.generator, dtype=torch.int32).numpy()
        following = np.arange(1, len(order) + 1, dtype=np.int64)  # a linked list over shuffled positions
        following[-1] = -1
        head = 0
        while head != -1:
            taken: set = set()
            batch: list[int] = []
            position, previous, full = head, -1, False
            while position != -1:
                after, index = int(following[position]), int(order[position])
                if not self.keys[index].isdisjoint(taken):
                    previous, position = position, after  # deferred, keeps its place
                    continue
                batch.append(index)
                if previous == -1:
                    head = after
                else:
                    following[previous] = after
                if len(batch) == self.batch_size:
                    full = True
                    yield batch
                    break
                taken.update(self.keys[index])
                position = after
            if not full and not self.drop_last:
                yield batch


class _Rows:
    """The row indices a batch sampler's ``sampler`` stands for, and the ``set_epoch`` accelerate calls on
    it when it wraps the batch sampler for several processes (its BatchSamplerShard has none of its own)."""

    def __init__(self, owner: DistinctBatchSampler, size: int):
        self.owner, self.size = owner, size

    def __len__(self) -> int:
        return self.size

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(range(self.size))

    def set_epoch(self, epoch: int) -> None:
        self.owner.set_epoch(epoch)
