"""Ranking parts of a report, shared by a retrieval evaluation and a reranker run: the metrics table,
where each query's first relevant document ranks, and the failed queries (first document not
relevant) worst first, with their relevant documents and what was ranked above them.

A reranker run's analysis (registered for the ``reranker`` head) ranks each validation query's rows
by the saved predictions, as its ``reranking`` metric does, and shows the same three parts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jbert.report import plots
from jbert.report.html import esc, image, section, table
from jbert.report.runs import RunData
from jbert.report.sections import ANALYSES

SAMPLE = 10  # failed queries shown
TEXT = 80  # characters of a query or document shown
# (label, lowest, highest) first relevant rank; None: no relevant document retrieved
RANK_BUCKETS = (("1", 1, 1), ("2-3", 2, 3), ("4-10", 4, 10), ("11-100", 11, 100), ("101+", 101, None),
                ("not retrieved", None, None))


def metrics_html(rows: Sequence[tuple[str, Mapping[str, float]]]) -> str:
    """One row per ranking (first stage, reranked ...), one column per retrieval metric."""
    from jbert.metrics.retrieval import NAMES

    return table(["ranking", *NAMES], [[name, *(metrics.get(n) for n in NAMES)] for name, metrics in rows])


def bucket(rank: int | None) -> str:
    for label, low, high in RANK_BUCKETS:
        if rank is None and low is None:
            return label
        if rank is not None and low is not None and rank >= low and (high is None or rank <= high):
            return label
    raise ValueError(f"no rank bucket for {rank!r}")


def ranks_html(stages: Mapping[str, Sequence[int | None]], title: str) -> str:
    """Queries per first-relevant-rank bucket for each ranking (a table of counts, a plot of shares);
    buckets no query falls in are left out."""
    counts = {name: [sum(bucket(r) == label for r in ranks) for label, _, _ in RANK_BUCKETS]
              for name, ranks in stages.items()}
    keep = [i for i in range(len(RANK_BUCKETS)) if any(c[i] for c in counts.values())]
    labels = [RANK_BUCKETS[i][0] for i in keep]
    rows = [[labels[j], *(counts[name][i] for name in stages)] for j, i in enumerate(keep)]
    rows.append(["all queries", *(len(ranks) for ranks in stages.values())])
    shares = {name: [counts[name][i] / max(len(ranks), 1) for i in keep] for name, ranks in stages.items()}
    png = plots.grouped_bars(labels, shares, "share of queries by rank of the first relevant document")
    return section(title, image(png, "queries by first relevant rank"),
                   table(["first relevant rank", *stages], rows), level=3)


def failures_html(failures: Sequence[Mapping[str, Any]], failed: int, total: int, reranked: bool) -> str:
    """The first ``SAMPLE`` failure records (already worst first) as a table."""
    shown = list(failures[:SAMPLE])
    text = (f"<p>{failed} of {total} queries have no relevant document first; the {len(shown)} worst shown "
            "(nothing relevant retrieved, then the deepest first relevant rank, then the lowest nDCG@10).</p>")
    header = ["query id", "query", "first relevant rank", "nDCG@10", "relevant documents", "ranked highest (score)"]
    rows = [_failure_row(f, reranked) for f in shown]
    return section("Failed queries, worst first", text, table(header, rows, raw=True) if rows else "", level=3)


def _failure_row(failure: Mapping[str, Any], reranked: bool) -> list[str]:
    rank, ndcg = _rank(failure["first_relevant_rank"]), f"{failure['ndcg@10']:.4f}"
    if reranked:
        rank += f" (first stage: {_rank(failure.get('first_relevant_rank_before_rerank'))})"
        ndcg += f" (first stage: {failure.get('ndcg@10_before_rerank', 0.0):.4f})"
    return [esc(failure["id"]), esc(short(failure["query"])), esc(rank), esc(ndcg),
            _documents(failure["relevant"], ranked=False), _documents(failure["retrieved"], ranked=True)]


def _rank(rank: int | None) -> str:
    return "not retrieved" if rank is None else str(rank)


def _documents(docs: Sequence[Mapping[str, Any]], ranked: bool) -> str:
    items = []
    for doc in docs:
        title = f"{esc(short(doc['title']))}: " if doc.get("title") else ""
        mark = ' <mark class="gold">relevant</mark>' if ranked and doc.get("relevance", 0) >= 1 else ""
        score = ""
        if ranked:
            score = " (not reranked)" if doc.get("score") is None else f" ({doc['score']:.4f})"
        items.append(f"<li><b>{esc(doc['id'])}</b>{esc(score)}{mark} {title}{esc(short(doc['text']))}</li>")
    tag = "ol" if ranked else "ul"
    return f"<{tag}>{''.join(items)}</{tag}>" if items else "-"


def short(text: str) -> str:
    return text if len(text) <= TEXT else text[: TEXT - 1] + "…"


@ANALYSES.register("reranker")
def reranker_html(run: RunData) -> str:
    """The validation queries ranked by the run's predicted scores: metrics, ranks, failed queries."""
    from jbert.evaluation.retrieval import failure
    from jbert.evaluation.retrieval_queries import failed, worst_first
    from jbert.metrics import compute

    data, records, shown_ids = validation_ranking(run)
    metrics = compute(run.spec.metrics, run.predictions, run.references)
    unscored = len(data.qrels) - len(records)
    caption = (f'<p class="muted">{len(records)} validation queries ({len(run.examples)} rows), each query\'s '
               "rows ranked by the saved predictions, as the run's metrics rank them"
               + (f"; {unscored} queries without a relevant row are not scored" if unscored else "") + "</p>")
    failures = [{**failure(data, r), "id": shown_ids[r["id"]]} for r in worst_first(records)[:SAMPLE]]
    return (section("Ranking of the validation queries", caption, metrics_html([(run.name, metrics)]), level=3)
            + ranks_html({run.name: [r["first_relevant_rank"] for r in records]}, "Rank of the first relevant row")
            + failures_html(failures, len(failed(records)), len(records), reranked=False))


def validation_ranking(run: RunData) -> tuple[Any, list[dict[str, Any]], dict[str, str]]:
    """(the validation rows as a retrieval set, one record per query, query key -> the id shown: its
    group id, else its first row's id). Rows are keyed by their zero-padded position, as the
    ``reranking`` metric keys them, so ties rank the same here and there."""
    from jbert.evaluation.retrieval_queries import query_record
    from jbert.readers.retrieval import Document, Query, RetrievalSet

    data = RetrievalSet(queries={}, corpus={}, qrels={})
    scores: dict[str, dict[str, float]] = {}
    shown: dict[str, str] = {}
    width = len(str(len(run.examples)))
    for row, (example, score, (key, relevance)) in enumerate(
            zip(run.examples, run.predictions, run.references, strict=True)):
        doc = str(row).zfill(width)
        data.queries.setdefault(key, Query(key, example.text, example.source, example.line))
        shown.setdefault(key, run.head.group(example) or example.id)
        data.corpus[doc] = Document(example.id, example.text_pair or "", source=example.source, line=example.line)
        data.qrels.setdefault(key, {})[doc] = int(relevance)
        scores.setdefault(key, {})[doc] = float(score)
    records = [query_record(q, data.queries[q].text, judged, scores[q], SAMPLE) for q, judged in data.qrels.items()
               if any(r >= 1 for r in judged.values())]
    return data, records, shown
