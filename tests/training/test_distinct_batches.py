"""Duplicate-free batches: the same batches as sentence-transformers' NoDuplicatesBatchSampler for the
same seed, no text twice in a batch, every row once an epoch."""

from __future__ import annotations

import random

import pytest

from jbert.training.sampling import DistinctBatchSampler


def _rows(n: int = 60, seed: int = 0) -> list[dict[str, str]]:
    """Anchor/positive pairs drawn from a small pool, so many rows share texts."""
    rnd = random.Random(seed)
    pool = [f"文{i}" for i in range(25)]
    return [{"anchor": rnd.choice(pool), "positive": rnd.choice(pool)} for _ in range(n)]


def _keys(rows):
    return [frozenset(r.values()) for r in rows]


@pytest.mark.parametrize("epoch", [0, 1])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_batches_as_sentence_transformers(epoch, drop_last):
    sampler_mod = pytest.importorskip("sentence_transformers.base.sampler")
    datasets = pytest.importorskip("datasets")
    import torch

    rows = _rows()
    theirs = sampler_mod.NoDuplicatesBatchSampler(datasets.Dataset.from_list(rows), batch_size=8, drop_last=drop_last,
                                                  generator=torch.Generator(), seed=42)
    theirs.set_epoch(epoch)
    ours = DistinctBatchSampler(_keys(rows), batch_size=8, seed=42, drop_last=drop_last)
    ours.set_epoch(epoch)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_no_text_twice_in_a_batch_and_every_row_once():
    rows = _rows(200, seed=3)
    sampler = DistinctBatchSampler(_keys(rows), batch_size=16, seed=0)
    first_pass = []
    for batch in sampler._one_pass():
        sets = [_keys(rows)[i] for i in batch]
        assert sum(map(len, sets)) == len(frozenset().union(*sets))  # pairwise disjoint
        first_pass += batch
    assert sorted(first_pass) == list(range(len(rows)))


def test_epochs_reshuffle_and_replay():
    keys = [frozenset({str(i)}) for i in range(40)]
    a = DistinctBatchSampler(keys, 8, seed=1)
    b = DistinctBatchSampler(keys, 8, seed=1)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first and list(b) == first
    b.sampler.set_epoch(1)  # where accelerate's loader reaches it when several processes share the batches
    assert list(b) == list(a)
