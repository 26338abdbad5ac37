"""Retrieval: first-stage search (exact, FAISS, BM25 over MeCab words), reranking of the top k, and
making a retrieval set from a SQuAD/JSQuAD file.

A first stage is any ``Retriever``: ``search(queries, k) -> list[list[(corpus index, score)]]``, built
over a corpus by a factory in ``RETRIEVERS`` (``bm25``; ``dense`` for any text -> vector encoder).
``jbert.evaluation.retrieval`` scores them with ``jbert.metrics.retrieval``.

Layer: above inference (reranking runs the prediction core), below evaluation and the CLI. May import:
inference, heads, models (``jbert.models.directory``), metrics, tokenization, readers, config (task specs),
writers, data, registry, errors.
"""
