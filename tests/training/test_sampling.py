"""jbert.training.sampling: train orders drawn from seed + epoch, so a resumed run replays them."""

import numpy as np
import torch

from jbert.training.sampling import EpochLengthGroupedSampler, EpochRandomSampler, feature_length


def test_length_grouped_sampler_replays_each_epoch():
    lengths = [int(x) for x in np.random.default_rng(0).integers(3, 50, 40)]
    a, b = EpochLengthGroupedSampler(8, lengths, seed=1), EpochLengthGroupedSampler(8, lengths, seed=1)
    a.set_epoch(2)
    b.set_epoch(2)
    assert list(a) == list(b)
    b.set_epoch(3)
    assert list(a) != list(b)
    assert sorted(a) == list(range(40))


def test_random_sampler_replays_each_epoch_whatever_the_global_rng():
    a, b = EpochRandomSampler(30, seed=5), EpochRandomSampler(30, seed=5)
    a.set_epoch(1)
    first = list(a)
    np.random.seed(123)  # the global RNGs play no part
    torch.manual_seed(123)
    b.set_epoch(1)
    assert list(b) == first
    b.set_epoch(2)
    assert list(b) != first
    assert len(a) == 30 and sorted(first) == list(range(30))


def test_feature_length_takes_the_longest_choice():
    assert feature_length({"input_ids": [1, 2, 3]}) == 3
    assert feature_length({"input_ids": [[1, 2], [1, 2, 3, 4], [5]]}) == 4  # [num_choices, seq]
    assert feature_length({"input_ids": np.zeros((2, 7), dtype=np.int64)}) == 7
    assert feature_length({"input_ids": []}) == 0
