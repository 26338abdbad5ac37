"""Vector search: the chunked exact index and FAISS's flat index give numpy's brute-force top k; HNSW
finds near-duplicates; dense retrieval through any encoder callable."""

from __future__ import annotations

import numpy as np
import pytest

from jbert.errors import ConfigError
from jbert.retrieval.retrievers import RETRIEVERS, load_encoder
from jbert.retrieval.search import INDEXES, ExactIndex


def brute_force(corpus: np.ndarray, queries: np.ndarray, k: int, similarity: str) -> tuple[np.ndarray, np.ndarray]:
    if similarity == "cosine":
        corpus = corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ corpus.T
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


@pytest.fixture(scope="module")
def vectors() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(1000, 24)).astype(np.float32), rng.normal(size=(37, 24)).astype(np.float32)


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize(("query_chunk", "corpus_chunk"), [(5, 64), (256, 16384), (1, 1000)])
def test_exact_top_k_equals_brute_force(vectors, similarity: str, query_chunk: int, corpus_chunk: int) -> None:
    corpus, queries = vectors
    index = ExactIndex(corpus, similarity, query_chunk=query_chunk, corpus_chunk=corpus_chunk)
    scores, rows = index.search(queries, 10)
    want_scores, want_rows = brute_force(corpus, queries, 10, similarity)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)


def test_k_larger_than_the_corpus(vectors) -> None:
    corpus, queries = vectors
    scores, rows = ExactIndex(corpus[:3], "dot").search(queries[:2], 100)
    assert rows.shape == (2, 3) and sorted(rows[0]) == [0, 1, 2]


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_faiss_flat_equals_brute_force(vectors, similarity: str) -> None:
    pytest.importorskip("faiss")
    corpus, queries = vectors
    scores, rows = INDEXES.get("faiss-flat")(corpus, similarity).search(queries, 10)
    want_scores, want_rows = brute_force(corpus, queries, 10, similarity)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-4)


def test_faiss_hnsw_finds_near_duplicates(vectors) -> None:
    pytest.importorskip("faiss")
    corpus, _ = vectors
    noisy = corpus[:50] + np.random.default_rng(1).normal(scale=0.01, size=(50, 24)).astype(np.float32)
    _, rows = INDEXES.get("faiss-hnsw")(corpus, "cosine").search(noisy, 5)
    assert (rows[:, 0] == np.arange(50)).mean() >= 0.98


def test_dense_retriever_over_any_encoder() -> None:
    table = {"犬": [1.0, 0.0], "猫": [0.0, 1.0], "いぬ": [0.9, 0.1], "ねこ": [0.2, 0.8]}
    seen = []

    def encode(texts: list[str], as_: str) -> np.ndarray:
        seen.append(as_)
        return np.array([table[t] for t in texts], dtype=np.float32)

    retriever = RETRIEVERS.get("dense")(["犬", "猫"], encode=encode)
    hits = retriever.search(["ねこ", "いぬ"], 2)
    assert [[row for row, _ in h] for h in hits] == [[1, 0], [0, 1]]
    assert seen == ["document", "query"]


def test_unknown_index_similarity_and_model() -> None:
    with pytest.raises(ConfigError, match="unknown index 'annoy'"):
        INDEXES.get("annoy")
    with pytest.raises(ConfigError, match="unknown similarity 'l2'"):
        ExactIndex(np.ones((2, 2)), "l2")
    with pytest.raises(ConfigError, match="not a model directory, nor 'bm25'"):
        load_encoder("/no/such/dir")
