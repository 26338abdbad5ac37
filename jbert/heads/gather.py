"""The rows of a tensor from every process of a torch.distributed run, with gradients, for the losses
whose negatives are the other rows of the batch (MultipleNegativesRankingLoss): under ``accelerate
launch`` each rank then scores its anchors against the global batch's candidates, as
sentence-transformers' ``gather_across_devices=True`` does.

>>> candidates, offset = gather_rows(local)   # [global rows, ...]; local's first row is candidates[offset]

Without torch.distributed, or with one process, ``local`` comes back as is (offset 0).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor


def world_size() -> int:
    """The process count of the initialised torch.distributed group; 1 without one."""
    dist = torch.distributed
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_rows(local: Tensor) -> tuple[Tensor, int]:
    """Every rank's ``local`` (``[rows, ...]``) concatenated in rank order, and where this rank's rows
    start in it. Gradients flow back to the rank each row came from (its backward sums every rank's
    gradient for that row). Ranks may hold different row counts (an uneven last batch): each is padded
    to the largest before the gather and the padding is dropped after."""
    if world_size() == 1:
        return local, 0
    import torch.distributed as dist
    import torch.distributed.nn.functional as dist_nn

    sizes = [torch.zeros(1, dtype=torch.long, device=local.device) for _ in range(dist.get_world_size())]
    dist.all_gather(sizes, torch.tensor([len(local)], device=local.device))
    counts = [int(s.item()) for s in sizes]
    padded = torch.cat([local, local.new_zeros(max(counts) - len(local), *local.shape[1:])])
    with warnings.catch_warnings():
        # torch marks it deprecated in favour of its private _functional_collectives; this public one
        # has a backward for every backend (all-to-all where there is no reduce-scatter, as on gloo)
        # and is what sentence-transformers' gather_across_devices uses
        warnings.simplefilter("ignore", FutureWarning)
        parts = dist_nn.all_gather(padded)
    gathered = torch.cat([part[:n] for part, n in zip(parts, counts, strict=True)])
    return gathered, sum(counts[: dist.get_rank()])
