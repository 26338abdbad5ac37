"""Sentence-embedding training losses, each equal to its sentence-transformers class on the same
embeddings (tests/heads/test_embedding_losses.py checks every one against it).

Every loss takes the batch's embeddings as ``[batch, texts, dim]`` (texts: the columns of a row, in
order) and the labels, and returns a scalar:

  mnrl      anchor, positive[, negatives...]: cross-entropy over ``scale * cos(anchor, every positive
            and negative in the batch)``, the right one being the row's own positive
            (MultipleNegativesRankingLoss / InfoNCE with in-batch negatives); with several processes
            the batch is the global one: every rank's candidates, gathered with gradients
  simcse    the same loss on a text embedded twice (dropout makes the two differ): unsupervised SimCSE
  cosent    sentence1, sentence2, score: ``log(1 + sum exp(scale * (cos_j - cos_i)))`` over the pairs
            whose gold score says i should be more similar than j (CoSENTLoss)
  cosine    sentence1, sentence2, score: MSE between cos(u, v) and the score (CosineSimilarityLoss)
  softmax   sentence1, sentence2, class label: a linear classifier over (u, v, |u - v|) with
            cross-entropy (Sentence-BERT's SoftmaxLoss); the classifier is not part of the saved model

Hand-written instead of calling sentence-transformers' classes: those take a SentenceTransformer and
run it themselves, while here the trainer owns the forward pass and training needs no
sentence-transformers install. Which rows each loss needs is in ``jbert.heads.embedding_rows.LOSSES``
(no torch there: the head decides the loss before any model exists).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jbert.heads.embedding_rows import SCALE
from jbert.heads.gather import gather_rows


def _cos_matrix(a: Tensor, b: Tensor) -> Tensor:
    """``[n, m]`` cosine similarities (sentence-transformers' ``cos_sim``)."""
    return F.normalize(a, p=2, dim=-1) @ F.normalize(b, p=2, dim=-1).T


class MultipleNegativesRankingLoss(nn.Module):
    """With several processes (torch.distributed), each rank's anchors are scored against the candidates
    of every rank (``gather_rows``, with gradients): the negatives are the global batch's, as
    sentence-transformers' ``gather_across_devices=True``."""

    def __init__(self, scale: float = SCALE):
        super().__init__()
        self.scale = scale

    def forward(self, embeddings: Tensor, labels: Tensor | None = None) -> Tensor:
        embeddings = embeddings.float()
        anchors = embeddings[:, 0]  # [batch, dim]
        # [global batch, texts - 1, dim]; this rank's rows start at `offset` (0 in one process)
        gathered, offset = gather_rows(embeddings[:, 1:])
        # every candidate of the batch, column by column: all positives, then all first negatives ...
        candidates = gathered.transpose(0, 1).reshape(-1, embeddings.shape[-1])
        scores = _cos_matrix(anchors, candidates) * self.scale  # [batch, global batch * (texts - 1)]
        return F.cross_entropy(scores, torch.arange(offset, offset + len(anchors), device=scores.device))


class CoSENTLoss(nn.Module):
    def __init__(self, scale: float = SCALE):
        super().__init__()
        self.scale = scale

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        embeddings = embeddings.float()
        scores = F.cosine_similarity(embeddings[:, 0], embeddings[:, 1], dim=-1) * self.scale
        labels = labels.view(-1).float()
        diff = scores[None, :] - scores[:, None]  # [i, j] = s_j - s_i
        # only the pairs (i, j) where i is gold-more-similar than j: s_j should stay below s_i
        diff = diff.masked_fill(~(labels[:, None] > labels[None, :]), float("-inf"))
        return torch.logsumexp(torch.cat((diff.new_zeros(1), diff.reshape(-1))), dim=0)


class CosineSimilarityLoss(nn.Module):
    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        embeddings = embeddings.float()
        cosine = F.cosine_similarity(embeddings[:, 0], embeddings[:, 1], dim=-1)
        return F.mse_loss(cosine, labels.view(-1).float())


class SoftmaxLoss(nn.Module):
    """A classifier over ``(u, v, |u - v|)``; its weights train with the encoder and are not saved with it."""

    def __init__(self, dimension: int, num_labels: int):
        super().__init__()
        self.classifier = nn.Linear(3 * dimension, num_labels)

    def forward(self, embeddings: Tensor, labels: Tensor) -> Tensor:
        u, v = embeddings[:, 0], embeddings[:, 1]
        features = torch.cat([u, v, torch.abs(u - v)], dim=1).to(self.classifier.weight.dtype)
        return F.cross_entropy(self.classifier(features), labels.view(-1).long())


# name (as registered in jbert.heads.embedding_rows.LOSSES) -> (scale, dimension, num_labels) -> module
_MODULES: dict[str, Callable[[float, int, int], nn.Module]] = {
    "mnrl": lambda scale, dim, n: MultipleNegativesRankingLoss(scale),
    "simcse": lambda scale, dim, n: MultipleNegativesRankingLoss(scale),
    "cosent": lambda scale, dim, n: CoSENTLoss(scale),
    "cosine": lambda scale, dim, n: CosineSimilarityLoss(),
    "softmax": lambda scale, dim, n: SoftmaxLoss(dim, n),
}


def build_loss(name: str, scale: float, dimension: int, num_labels: int) -> nn.Module:
    """The loss module registered as ``name``."""
    return _MODULES[name](scale, dimension, num_labels)
