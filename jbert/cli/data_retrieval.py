"""`jbert data retrieval-from-squad FILE --output DIR` (-> ``jbert.retrieval.convert``) and
`jbert data mine-negatives` (-> ``api.mine_negatives``): parse, call, say what was written."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import batch_size_option, cli_errors, device_option, echo
from jbert.cli.data import data_app


@data_app.command("retrieval-from-squad")
@cli_errors
def retrieval_from_squad(
    squad: Path = typer.Argument(..., help="A SQuAD / JSQuAD JSON file (JSQuAD's valid-v1.3.json, say)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv."),
    split: str = typer.Option("test", "--split", help="Name of the qrels file (BEIR: test, dev, train)."),
) -> None:
    """Make a retrieval set (BEIR layout) from a SQuAD-format file: each question -> its paragraph; the
    corpus is every distinct paragraph, with its title. `jbert eval retrieval --data DIR` scores it."""
    from jbert.retrieval.convert import squad_to_retrieval

    done = squad_to_retrieval(squad, output, split)
    echo(f"{done.queries} queries, {done.documents} documents, {done.judgements} judgements written to {done.output}")


@data_app.command("mine-negatives")
@cli_errors
def mine_negatives(
    model: str = typer.Option(..., "--model", "-m", help="bm25 (MeCab words), or an embedding model directory."),
    output: Path = typer.Option(..., "--output", "-o", help="JSON Lines of training rows."),
    purpose: str = typer.Option("embedding", "--for", help="embedding (anchor, positive, negative_1..K) | "
                                "reranker (query, document, label, query_id: one group per relevant document)."),
    data: Path | None = typer.Option(None, "--data", "-d", help="A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)."),
    split: str = typer.Option("train", "--split", help="With --data: the qrels file to read."),
    queries: Path | None = typer.Option(None, "--queries", help="Queries: JSONL {id, text} or TSV id<TAB>text."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus: JSONL {id, text, title?} or TSV."),
    qrels: Path | None = typer.Option(None, "--qrels", help="Judgements: TSV query-id, corpus-id, score (BEIR, TREC)."),
    negatives: int = typer.Option(3, "--negatives", "-k", help="Hard negatives per query and relevant document."),
    skip_top: int = typer.Option(0, "--skip-top", help="Pass over the top N non-relevant documents "
                                 "(often unjudged answers: false negatives)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random negatives drawn where the first stage finds too few."),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
) -> None:
    """Training rows from a retrieval set: each query and relevant document with the first stage's
    highest-ranked non-relevant documents as hard negatives, for `jbert finetune embedding` or `reranker`."""
    from jbert.retrieval.mine import MineConfig

    cfg = MineConfig(model=model, output=str(output), purpose=purpose, data=_str(data), split=split,
                     queries=_str(queries), corpus=_str(corpus), qrels=_str(qrels), negatives=negatives,
                     skip_top=skip_top, seed=seed, batch_size=batch_size, device=device)
    done = api.mine_negatives(cfg)
    echo(f"{done.rows} {done.purpose} rows for {done.queries} queries written to {done.output}")
    if done.random_negatives:
        echo(f"{done.random_negatives} negatives drawn at random: the first stage found too few for some queries",
             err=True)


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None
