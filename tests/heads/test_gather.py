"""In-batch negatives across processes: two CPU ranks (gloo, started with torch.multiprocessing.spawn)
each hold part of one global batch; MultipleNegativesRankingLoss on a rank must equal the loss of that
rank's anchors against ALL candidates computed in one process, and the gradient a rank gets for its own
rows must be the one-process gradient of the sum of both ranks' losses (the gather's backward sends each
rank's share of the other's loss back to it). The uneven split (5 + 3 rows) is an odd last batch.
The labels' offset by rank is checked against sentence-transformers' ``gather_across_devices=True`` in
one process, with its gather stood in for (importing it in the spawned ranks would cost half a minute)."""

from __future__ import annotations

import socket

import pytest
import torch
import torch.nn.functional as F

from jbert.heads.embedding_losses import MultipleNegativesRankingLoss

WORLD, ROWS, TEXTS, DIM, SCALE = 2, 8, 3, 16, 20.0


def _global_batch() -> torch.Tensor:
    return torch.randn(ROWS, TEXTS, DIM, generator=torch.Generator().manual_seed(0))  # anchor, positive, negative


def _expected(split: list[int]) -> tuple[list[float], torch.Tensor]:
    """One process: each rank's loss (its anchors against every candidate) and d(sum of them)/d(batch)."""
    batch = _global_batch().requires_grad_(True)
    candidates = batch[:, 1:].transpose(0, 1).reshape(-1, DIM)
    losses, start = [], 0
    for n in split:
        anchors = batch[start : start + n, 0]
        scores = F.normalize(anchors, dim=-1) @ F.normalize(candidates, dim=-1).T * SCALE
        losses.append(F.cross_entropy(scores, torch.arange(start, start + n)))
        start += n
    torch.stack(losses).sum().backward()
    return [x.item() for x in losses], batch.grad


def _worker(rank: int, port: int, splits: list[list[int]]) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        for split in splits:
            losses, grad = _expected(split)
            start = sum(split[:rank])
            local = _global_batch()[start : start + split[rank]].clone().requires_grad_(True)
            loss = MultipleNegativesRankingLoss(SCALE)(local, None)
            loss.backward()
            assert loss.item() == pytest.approx(losses[rank], abs=1e-5), (split, rank)
            assert local.grad.abs().sum() > 0  # the anchors' and candidates' gradients reach this rank
            assert torch.allclose(local.grad, grad[start : start + split[rank]], atol=1e-6), (split, rank)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_score_their_anchors_against_the_global_batch():
    torch.multiprocessing.spawn(_worker, args=(_free_port(), [[5, 3], [4, 4]]), nprocs=WORLD, join=True)


@pytest.mark.parametrize("rank", range(WORLD))
def test_rank_offset_equals_sentence_transformers(monkeypatch, rank):
    """Both gathers replaced by what two ranks of 4 rows would get: the same loss for rank ``rank``."""
    st_losses = pytest.importorskip("sentence_transformers.sentence_transformer.losses")
    from jbert.heads import embedding_losses

    batch, n = _global_batch(), ROWS // WORLD
    local = batch[rank * n : (rank + 1) * n]
    columns = list(local.unbind(1))
    globals_of = {id(c): batch[:, i] for i, c in enumerate(columns)}  # each local column -> its global column
    mnrl_module = __import__(st_losses.MultipleNegativesRankingLoss.__module__, fromlist=["_"])
    monkeypatch.setattr(mnrl_module, "all_gather_with_grad", lambda t: globals_of[id(t)])
    monkeypatch.setattr(mnrl_module, "get_rank", lambda: rank)
    monkeypatch.setattr(embedding_losses, "gather_rows", lambda t: (batch[:, 1:], rank * n))
    reference = st_losses.MultipleNegativesRankingLoss(None, scale=SCALE, gather_across_devices=True)
    theirs = reference.compute_loss_from_embeddings(columns, None)
    assert MultipleNegativesRankingLoss(SCALE)(local).item() == pytest.approx(theirs.item(), abs=1e-5)
    assert theirs.item() == pytest.approx(_expected([n] * WORLD)[0][rank], abs=1e-5)


def test_one_process_leaves_the_batch_alone():
    from jbert.heads.gather import gather_rows

    batch = _global_batch()
    gathered, offset = gather_rows(batch)
    assert gathered is batch and offset == 0
    assert MultipleNegativesRankingLoss(SCALE)(batch).item() == pytest.approx(_expected([ROWS])[0][0], abs=1e-5)
