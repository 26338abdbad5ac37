"""The first stage ``--model`` names: BM25 over MeCab words for ``bm25``, else dense retrieval with an
embedding model's encoder. ``jbert eval retrieval`` and ``jbert data mine-negatives`` both start here."""

from __future__ import annotations

from jbert.retrieval import bm25  # noqa: F401  (registers "bm25"; bm25s itself is imported when used)
from jbert.retrieval.retrievers import RETRIEVERS, Encoder, Retriever, load_encoder


def first_stage(model: str | None, texts: list[str], encoder: Encoder | None = None, device: str | None = None,
                batch_size: int = 32, index: str = "exact", similarity: str = "cosine") -> Retriever:
    """The retriever ``--model`` names over ``texts``: BM25 for ``bm25``, else dense retrieval with the
    model directory's encoder (or ``encoder``, a Python caller's own)."""
    if encoder is None and model == "bm25":
        return RETRIEVERS.get("bm25")(texts)
    encoder = encoder or load_encoder(str(model), device=device, batch_size=batch_size)
    return RETRIEVERS.get("dense")(texts, encode=encoder, index=index, similarity=similarity)
