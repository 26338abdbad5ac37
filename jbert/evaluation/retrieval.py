"""``jbert eval retrieval``: a first stage (BM25 or an embedding model) on a retrieval set, optionally
reranked, scored with nDCG@10, MRR@10, Recall@1/10/100 and MAP (``jbert.metrics.retrieval``).

The result keeps, for ``jbert report``, a sample of failed queries (the top document is not relevant),
worst first, with what was retrieved, and the queries that were not scored because nothing relevant
was judged. With an output file, every scored query's ranking goes beside it as JSON Lines
(``jbert.evaluation.retrieval_queries``).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from jbert.config.inference import RunSettings
from jbert.errors import ConfigError
from jbert.evaluation.retrieval_queries import (
    failed,
    per_query_path,
    query_record,
    worst_first,
    write_per_query,
)
from jbert.metrics.retrieval import Run, evaluate_run
from jbert.readers.retrieval import Document, RetrievalSet, read_retrieval_dir, read_retrieval_set
from jbert.retrieval.retrievers import Encoder, Retriever
from jbert.retrieval.stages import first_stage as build_first_stage
from jbert.writers import check_output_path

logger = logging.getLogger(__name__)
SHOWN = 5  # retrieved documents kept per failed query
SNIPPET = 200  # characters of a document's text kept in the output


@dataclass(kw_only=True)
class RetrievalConfig(RunSettings):  # batch_size, device, precision, max_length (the reranker's): RunSettings
    model: str | None = None  # "bm25" or an embedding model directory
    queries: str | None = None
    corpus: str | None = None
    qrels: str | None = None  # None: the query rows list their positives
    data: str | None = None  # a BEIR folder instead of the three files
    split: str = "test"  # with data: qrels/<split>.tsv
    rerank: str | None = None  # a reranker directory (`jbert finetune reranker`)
    top_k: int = 100  # documents reranked per query
    depth: int = 100  # documents retrieved per query (Recall@100 needs 100)
    index: str = "exact"  # jbert.retrieval.search.INDEXES
    similarity: str = "cosine"
    output: str | None = None  # metrics JSON
    failures: int = 20  # failed queries kept in the result
    per_query_docs: int = 10  # retrieved documents kept per query in the per-query file
    encoder: Encoder | None = None  # Python callers: any (texts, as_) -> vectors instead of a model directory
    scorer: Any = None  # Python callers: any (pairs) -> scores instead of a reranker directory


@dataclass
class RetrievalResult:
    data: str
    model: str
    queries: int
    documents: int
    metrics: dict[str, float]
    reranker: str | None = None
    top_k: int | None = None
    reranked: dict[str, float] | None = None
    not_scored: dict[str, Any] = field(default_factory=dict)  # queries without a relevant document
    failures: list[dict[str, Any]] = field(default_factory=list)
    failed: int = 0  # queries whose top document is not relevant (all of them, not only the sample)
    per_query: str | None = None  # the per-query file's name, beside the metrics file
    task: str = "retrieval"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def evaluate_retrieval(cfg: RetrievalConfig) -> RetrievalResult:
    _check(cfg)
    data = read_retrieval_dir(cfg.data, cfg.split) if cfg.data else read_retrieval_set(cfg.queries, cfg.corpus, cfg.qrels)
    _warn_not_scored(data)
    doc_ids = list(data.corpus)
    retriever = first_stage(cfg, [data.corpus[d].full_text() for d in doc_ids])
    query_ids = list(data.queries)
    hits = retriever.search([data.queries[q].text for q in query_ids], max(cfg.depth, cfg.top_k if cfg.rerank else 0))
    run = {q: {doc_ids[row]: score for row, score in found} for q, found in zip(query_ids, hits, strict=True)}
    result = RetrievalResult(
        data=cfg.data or str(cfg.queries), model=cfg.model or "<encoder>", queries=len(query_ids),
        documents=len(doc_ids), metrics=evaluate_run(data.qrels, run), not_scored=_not_scored(data),
    )
    final, before = run, None
    if cfg.rerank or cfg.scorer:
        final, before = _rerank(cfg, data, run), run
        result.reranker, result.top_k = cfg.rerank or "<scorer>", cfg.top_k
        result.reranked = evaluate_run(data.qrels, final)
    _per_query(cfg, data, result, final, before)
    return result


def _per_query(cfg: RetrievalConfig, data: RetrievalSet, result: RetrievalResult, final: Run,
               before: Run | None) -> None:
    """Every scored query's record: counted and sampled into ``result``, written beside the metrics."""
    reranked = cfg.top_k if before is not None else None
    records = [query_record(q, data.queries[q].text, judged, final.get(q, {}), cfg.per_query_docs,
                            None if before is None else before.get(q, {}), reranked)
               for q, judged in data.qrels.items()]
    result.failed = len(failed(records))
    result.failures = [failure(data, r) for r in worst_first(records)[: cfg.failures]]
    path = per_query_path(cfg.output)
    if path is not None:
        write_per_query(path, records)
        result.per_query = path.name


def first_stage(cfg: RetrievalConfig, texts: list[str]) -> Retriever:
    """BM25 for ``--model bm25``; otherwise dense retrieval with the model's (or the given) encoder."""
    return build_first_stage(cfg.model, texts, cfg.encoder, cfg.device, cfg.batch_size, cfg.index, cfg.similarity)


def _rerank(cfg: RetrievalConfig, data: RetrievalSet, run: Run) -> dict[str, dict[str, float]]:
    from jbert.retrieval.rerank import load_reranker, rerank_run

    scorer = cfg.scorer or load_reranker(cfg.rerank, cfg)
    queries = {q: data.queries[q].text for q in run}
    return rerank_run(run, queries, _DocTexts(data.corpus), scorer, cfg.top_k)


class _DocTexts(dict):
    """corpus id -> the text a model reads, built on first use (only the top k are ever looked up)."""

    def __init__(self, corpus: dict[str, Document]):
        super().__init__()
        self.corpus = corpus

    def __missing__(self, key: str) -> str:
        return self.corpus[key].full_text()


def _check(cfg: RetrievalConfig) -> None:
    if cfg.model is None and cfg.encoder is None:
        raise ConfigError("give --model bm25 or --model DIR (an embedding model)")
    if not cfg.data and not (cfg.queries and cfg.corpus):
        raise ConfigError("give --queries FILE --corpus FILE (and --qrels FILE), or --data DIR (a BEIR folder)")
    if cfg.model == "bm25" and cfg.encoder is None and (cfg.index, cfg.similarity) != ("exact", "cosine"):
        raise ConfigError("--index and --similarity apply to embedding models, not to bm25")
    cfg.check()
    check_output_path(per_query_path(cfg.output))  # fail before the search, not after
    for name in ("depth", "top_k", "per_query_docs"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}")


def _warn_not_scored(data: RetrievalSet) -> None:
    if data.without_positives:
        first = data.without_positives[0]
        logger.warning("%d queries have no relevant document judged and are not scored (first: %s:%d, id %r)",
                       len(data.without_positives), first.source, first.line, first.id)


def _not_scored(data: RetrievalSet) -> dict[str, Any]:
    missing = data.without_positives
    return {"count": len(missing), "ids": [q.id for q in missing[:100]]} if missing else {}


def failure(data: RetrievalSet, record: dict[str, Any]) -> dict[str, Any]:
    """A failed query's record with its relevant documents and the top ``SHOWN`` retrieved (shortened
    texts, each retrieved one with its relevance), for reading without the corpus at hand."""
    judged = data.qrels[record["id"]]
    row = {k: v for k, v in record.items() if not k.startswith("retrieved")}
    row["relevant"] = [_doc(data.corpus[d], relevance=judged[d]) for d in record["relevant"]]
    row["retrieved"] = [_doc(data.corpus[d["id"]], score=d["score"], relevance=judged.get(d["id"], 0))
                        for d in record["retrieved"][:SHOWN]]
    return row


def _doc(doc: Document, **extra: Any) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "text": doc.text[:SNIPPET], **extra}
