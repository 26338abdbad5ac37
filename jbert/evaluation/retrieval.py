"""``jbert eval retrieval``: a first stage (BM25 or an embedding model) on a retrieval set, optionally
reranked, scored with nDCG@10, MRR@10, Recall@1/10/100 and MAP (``jbert.metrics.retrieval``).

The result keeps, for ``jbert report``, a sample of failed queries (the top document is not relevant)
with what was retrieved, and the queries that were not scored because nothing relevant was judged.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from jbert.config.inference import RunSettings
from jbert.errors import ConfigError
from jbert.metrics.retrieval import RELEVANT, Run, evaluate_run, first_relevant_rank, ranked
from jbert.readers.retrieval import Document, RetrievalSet, read_retrieval_dir, read_retrieval_set
from jbert.retrieval.retrievers import RETRIEVERS, Encoder, Retriever, load_encoder

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
    final = run
    if cfg.rerank or cfg.scorer:
        final = _rerank(cfg, data, run)
        result.reranker, result.top_k = cfg.rerank or "<scorer>", cfg.top_k
        result.reranked = evaluate_run(data.qrels, final)
    result.failed, result.failures = failures(data, final, run if final is not run else None, cfg.failures)
    return result


def first_stage(cfg: RetrievalConfig, texts: list[str]) -> Retriever:
    """BM25 for ``--model bm25``; otherwise dense retrieval with the model's (or the given) encoder."""
    if cfg.encoder is None and cfg.model == "bm25":
        from jbert.retrieval import bm25  # noqa: F401  (registers "bm25")

        return RETRIEVERS.get("bm25")(texts)
    encoder = cfg.encoder or load_encoder(cfg.model, device=cfg.device, batch_size=cfg.batch_size)
    return RETRIEVERS.get("dense")(texts, encode=encoder, index=cfg.index, similarity=cfg.similarity)


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
    for name in ("depth", "top_k"):
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


def failures(data: RetrievalSet, run: Run, before: Run | None, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(how many queries fail, the first ``limit`` of them in file order) where a query fails when its
    top document is not relevant."""
    failed = []
    for qid, judged in data.qrels.items():
        ranking = ranked(run.get(qid, {}))
        if ranking and judged.get(ranking[0], 0) >= RELEVANT:
            continue
        failed.append(qid)
    return len(failed), [_failure(data, q, run, before) for q in failed[:limit]]


def _failure(data: RetrievalSet, qid: str, run: Run, before: Run | None) -> dict[str, Any]:
    judged, scores = data.qrels[qid], run.get(qid, {})
    ranking = ranked(scores)
    row = {"id": qid, "query": data.queries[qid].text, "first_relevant_rank": first_relevant_rank(ranking, judged)}
    if before is not None:
        row["first_relevant_rank_before_rerank"] = first_relevant_rank(ranked(before.get(qid, {})), judged)
    row["relevant"] = [_doc(data.corpus[d], relevance=r) for d, r in judged.items() if r >= RELEVANT]
    row["retrieved"] = [_doc(data.corpus[d], score=scores[d], relevance=judged.get(d, 0)) for d in ranking[:SHOWN]]
    return row


def _doc(doc: Document, **extra: Any) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "text": doc.text[:SNIPPET], **extra}
