"""`jbert eval retrieval --model bm25|DIR (--queries Q --corpus C --qrels R | --data DIR) [--rerank DIR]`:
parse -> ``RetrievalConfig`` -> ``api.evaluate``; the metrics before (and after) reranking as one table."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import batch_size_option, cli_errors, device_option, echo, precision_option
from jbert.cli.evaluate import eval_app
from jbert.evaluation import RetrievalConfig, RetrievalResult
from jbert.metrics.retrieval import NAMES
from jbert.writers import markdown_table


@eval_app.command("retrieval")
@cli_errors
def retrieval(
    model: str = typer.Option(..., "--model", "-m", help="bm25 (MeCab words), or an embedding model directory."),
    queries: Path | None = typer.Option(None, "--queries", help="Queries: JSONL {id, text} or TSV id<TAB>text."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus: JSONL {id, text, title?} or TSV."),
    qrels: Path | None = typer.Option(None, "--qrels", help="Judgements: TSV query-id, corpus-id, score (BEIR, TREC)."),
    data: Path | None = typer.Option(None, "--data", "-d", help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)."),
    split: str = typer.Option("test", "--split", help="With --data: the qrels file to score."),
    rerank: Path | None = typer.Option(None, "--rerank", help="Rerank with this model (`jbert finetune reranker`, or a sentence-transformers cross-encoder)."),
    top_k: int = typer.Option(100, "--top-k", help="Documents reranked per query."),
    depth: int = typer.Option(100, "--depth", help="Documents retrieved per query."),
    index: str = typer.Option("exact", "--index", help="Dense search: exact | faiss-flat | faiss-hnsw (jbert[ann])."),
    similarity: str = typer.Option("cosine", "--similarity", help="Dense search: cosine | dot."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write metrics and failed queries as JSON here, "
                                       "and every query's ranking beside it (NAME.queries.jsonl)."),
    failures: int = typer.Option(20, "--failures", help="Failed queries kept in --output, with what was retrieved."),
    per_query_docs: int = typer.Option(10, "--per-query-docs", help="Retrieved documents kept per query in NAME.queries.jsonl."),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
    precision: str = precision_option(),
    max_length: int | None = typer.Option(None, "--max-length", help="Reranker tokens per pair (default: the model's)."),
) -> None:
    """Score retrieval (nDCG@10, MRR@10, Recall@1/10/100, MAP), before and after reranking the top k."""
    cfg = RetrievalConfig(
        model=model, queries=_str(queries), corpus=_str(corpus), qrels=_str(qrels), data=_str(data), split=split,
        rerank=_str(rerank), top_k=top_k, depth=depth, index=index, similarity=similarity, output=_str(output),
        failures=failures, per_query_docs=per_query_docs, batch_size=batch_size, device=device, precision=precision, max_length=max_length,
    )
    show(api.evaluate(cfg), output)


def show(result: RetrievalResult, output: Path | None = None) -> None:
    echo(f"retrieval: {result.queries} queries, {result.documents} documents from {result.data}")
    rows = [[result.model, *(result.metrics[n] for n in NAMES)]]
    if result.reranked is not None:
        rows.append([f"{result.reranker} (top {result.top_k})", *(result.reranked[n] for n in NAMES)])
    echo(markdown_table(["model", *NAMES], rows))
    echo(f"{result.failed} of {result.queries} queries have no relevant document first")
    if result.per_query and output:
        echo(f"every query's ranking written to {output.with_name(result.per_query)}")
    if result.not_scored:
        echo(f"{result.not_scored['count']} queries have no relevant document judged: not scored", err=True)


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None
