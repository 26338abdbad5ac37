"""Each embedding loss equals its sentence-transformers class on the same batch of embeddings."""

from __future__ import annotations

import pytest
import torch

from jbert.heads.embedding_losses import build_loss
from jbert.heads.embedding_rows import LOSSES

st_losses = pytest.importorskip("sentence_transformers.sentence_transformer.losses")

BATCH, DIM = 8, 16


@pytest.fixture
def embeddings() -> torch.Tensor:
    torch.manual_seed(0)
    return torch.randn(BATCH, 3, DIM)  # anchor, positive, negative


def _ours(name: str, embeddings: torch.Tensor, labels: torch.Tensor | None, scale: float = 20.0,
          num_labels: int = 3) -> torch.Tensor:
    return build_loss(name, scale, DIM, num_labels)(embeddings, labels)


@pytest.mark.parametrize("texts", [2, 3])
@pytest.mark.parametrize("scale", [20.0, 7.5])
def test_mnrl_equals_sentence_transformers(embeddings, texts, scale):
    columns = embeddings[:, :texts]
    reference = st_losses.MultipleNegativesRankingLoss(None, scale=scale)
    expected = reference.compute_loss_from_embeddings(list(columns.unbind(1)), None)
    assert _ours("mnrl", columns, None, scale).item() == pytest.approx(expected.item(), abs=1e-5)


def test_simcse_is_mnrl_on_two_views(embeddings):
    views = embeddings[:, :2]
    expected = st_losses.MultipleNegativesRankingLoss(None).compute_loss_from_embeddings(list(views.unbind(1)), None)
    assert _ours("simcse", views, None).item() == pytest.approx(expected.item(), abs=1e-5)
    assert LOSSES.get("simcse").texts == "twice"


@pytest.mark.parametrize("scale", [20.0, 5.0])
def test_cosent_equals_sentence_transformers(embeddings, scale):
    labels = torch.tensor([4.4, 0.0, 2.5, 2.5, 5.0, 1.2, 3.8, 0.4])  # ties included
    pairs = embeddings[:, :2]
    expected = st_losses.CoSENTLoss(None, scale=scale).compute_loss_from_embeddings(list(pairs.unbind(1)), labels)
    assert _ours("cosent", pairs, labels, scale).item() == pytest.approx(expected.item(), abs=1e-5)


def test_cosine_regression_equals_sentence_transformers(embeddings):
    labels = torch.rand(BATCH)
    pairs = embeddings[:, :2]
    expected = st_losses.CosineSimilarityLoss(None).compute_loss_from_embeddings(list(pairs.unbind(1)), labels)
    assert _ours("cosine", pairs, labels).item() == pytest.approx(expected.item(), abs=1e-5)


class _Precomputed(torch.nn.Module):
    """Stands in for the SentenceTransformer: each column's features already are its embeddings."""

    device = torch.device("cpu")

    def forward(self, features: dict) -> dict:
        return {"sentence_embedding": features["embedding"]}


def test_softmax_equals_sentence_transformers(embeddings):
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 2, 0])
    pairs = embeddings[:, :2]
    reference = st_losses.SoftmaxLoss(_Precomputed(), embedding_dimension=DIM, num_labels=3)
    ours = build_loss("softmax", 20.0, DIM, 3)
    ours.classifier.load_state_dict(reference.classifier.state_dict())
    expected = reference([{"embedding": pairs[:, 0]}, {"embedding": pairs[:, 1]}], labels)
    assert ours(pairs, labels).item() == pytest.approx(expected.item(), abs=1e-5)


def test_losses_have_gradients(embeddings):
    for name, labels in (("mnrl", None), ("cosent", torch.rand(BATCH)), ("softmax", torch.zeros(BATCH, dtype=torch.long))):
        x = embeddings[:, :2].clone().requires_grad_(True)
        _ours(name, x, labels).backward()
        assert x.grad is not None and x.grad.abs().sum() > 0, name


def test_every_registered_loss_has_a_module():
    from jbert.heads.embedding_losses import _MODULES

    assert set(LOSSES.names()) == set(_MODULES)
