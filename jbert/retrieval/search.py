"""Nearest-neighbour search over corpus vectors: exact (torch, in chunks) or FAISS, one interface.

``index.search(queries, k) -> (scores [m, k], rows [m, k])``, best first; ``similarity`` is ``cosine``
(vectors L2-normalised, then inner product) or ``dot``. ``INDEXES`` names them for ``--index``:

* ``exact``: brute force, memory bounded: a chunk of queries against a chunk of the corpus at a time
  (``query_chunk x corpus_chunk`` scores alive), keeping a running top k per query.
* ``faiss-flat``: FAISS's exact inner-product index (BLAS; the ``ann`` extra).
* ``faiss-hnsw``: FAISS's HNSW graph: approximate, for corpora too large to scan per query.

>>> index = INDEXES.get("exact")(corpus_vectors, "cosine")  # doctest: +SKIP
>>> scores, rows = index.search(query_vectors, k=10)         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from jbert.errors import ConfigError
from jbert.registry import Registry

SIMILARITIES = ("cosine", "dot")


class VectorIndex(Protocol):
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


INDEXES: Registry[Callable[..., VectorIndex]] = Registry("index")


def prepare(vectors: np.ndarray, similarity: str) -> np.ndarray:
    """float32 ``[n, dim]``; L2-normalised for cosine (a zero vector stays zero: it matches nothing)."""
    if similarity not in SIMILARITIES:
        raise ConfigError(f"unknown similarity {similarity!r}; use {' or '.join(SIMILARITIES)}")
    vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if vectors.ndim != 2:
        raise ValueError(f"expected [n, dim] vectors, got shape {vectors.shape}")
    if similarity == "cosine":
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1.0)
    return vectors


@INDEXES.register("exact")
class ExactIndex:
    """Brute-force top k with torch matrix products, chunked on both sides."""

    def __init__(self, vectors: np.ndarray, similarity: str = "cosine", query_chunk: int = 256,
                 corpus_chunk: int = 16384):
        import torch

        self.similarity = similarity
        self.corpus = torch.from_numpy(prepare(vectors, similarity))
        self.query_chunk, self.corpus_chunk = query_chunk, corpus_chunk

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        import torch

        q = torch.from_numpy(prepare(queries, self.similarity))
        k = min(k, len(self.corpus))
        scores, rows = [], []
        with torch.inference_mode():
            for start in range(0, len(q), self.query_chunk):
                s, r = self._top(q[start : start + self.query_chunk], k)
                scores.append(s.numpy())
                rows.append(r.numpy())
        if not scores:
            return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
        return np.concatenate(scores), np.concatenate(rows)

    def _top(self, q: Any, k: int) -> tuple[Any, Any]:
        """Top k of one query chunk: merge each corpus chunk's top k into the running best."""
        import torch

        best_s = torch.empty((len(q), 0))
        best_r = torch.empty((len(q), 0), dtype=torch.int64)
        for start in range(0, len(self.corpus), self.corpus_chunk):
            scores = q @ self.corpus[start : start + self.corpus_chunk].T  # [queries, chunk]
            top = torch.topk(scores, min(k, scores.shape[1]), dim=1)
            merged_s = torch.cat([best_s, top.values], dim=1)
            merged_r = torch.cat([best_r, top.indices + start], dim=1)
            keep = torch.topk(merged_s, min(k, merged_s.shape[1]), dim=1).indices
            best_s, best_r = merged_s.gather(1, keep), merged_r.gather(1, keep)
        return best_s, best_r


class FaissIndex:
    """A FAISS inner-product index over the prepared vectors (exact flat, or HNSW)."""

    def __init__(self, vectors: np.ndarray, similarity: str = "cosine", kind: str = "flat",
                 hnsw_m: int = 32, ef_search: int = 128):
        faiss = _faiss()
        self.similarity = similarity
        corpus = prepare(vectors, similarity)
        dim = corpus.shape[1]
        if kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efSearch = ef_search
        else:
            self.index = faiss.IndexFlatIP(dim)
        self.index.add(corpus)
        self.ef_search = ef_search

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.index.ntotal)
        if hasattr(self.index, "hnsw"):
            self.index.hnsw.efSearch = max(self.ef_search, k)  # HNSW returns at most efSearch neighbours
        scores, rows = self.index.search(prepare(queries, self.similarity), k)
        return scores, rows.astype(np.int64)


@INDEXES.register("faiss-flat")
def faiss_flat(vectors: np.ndarray, similarity: str = "cosine") -> FaissIndex:
    return FaissIndex(vectors, similarity, "flat")


@INDEXES.register("faiss-hnsw")
def faiss_hnsw(vectors: np.ndarray, similarity: str = "cosine") -> FaissIndex:
    return FaissIndex(vectors, similarity, "hnsw")


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise ConfigError("the FAISS indexes need faiss-cpu: pip install 'jbert[ann]', or use --index exact") from None
    return faiss
