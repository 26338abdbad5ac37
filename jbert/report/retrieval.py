"""A ``jbert eval retrieval --output`` JSON in a report: the metrics before and after reranking, where
each query's first relevant document ranks (from the per-query file beside it) and the failed
queries worst first with what was retrieved (the sample the JSON keeps, texts shortened)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.evaluation.retrieval_queries import BEFORE
from jbert.report.files import FILE_KINDS, FileKind, ResultFile
from jbert.report.html import esc, note, section
from jbert.report.ranking import failures_html, metrics_html, ranks_html
from jbert.report.runs import RunData


def is_retrieval(data: dict[str, Any]) -> bool:
    return data.get("task") == "retrieval" and isinstance(data.get("metrics"), dict)


def retrieval_html(files: list[ResultFile], runs: list[RunData]) -> str:
    return "".join(file_html(f, i) for i, f in enumerate(files))


def file_html(result: ResultFile, index: int) -> str:
    data = result.data
    reranked = data.get("reranked") is not None
    stages = [(str(data.get("model")), data["metrics"])]
    if reranked:
        stages.append((f"{data.get('reranker')} (reranked top {data.get('top_k')})", data["reranked"]))
    caption = (f'<p class="muted">{esc(result.path)}: {data.get("queries")} queries, {data.get("documents")} '
               f"documents from {esc(data.get('data'))}</p>")
    parts = [caption, metrics_html(stages)]
    not_scored = data.get("not_scored") or {}
    if not_scored:
        parts.append(note(f"{not_scored['count']} queries have no relevant document judged: not scored"))
    records, missing = per_query(result)
    if records:
        ranks = {stages[0][0]: [r.get("first_relevant_rank" + BEFORE) if reranked else r["first_relevant_rank"]
                                for r in records]}
        if reranked:
            ranks[stages[1][0]] = [r["first_relevant_rank"] for r in records]
        parts.append(ranks_html(ranks, "Rank of the first relevant document"))
    else:
        parts.append(note(missing))
    parts.append(failures_html(data.get("failures", []), data.get("failed", 0), data.get("queries", 0), reranked))
    return section(f"Retrieval: {result.path.name}", *parts, anchor=f"retrieval-{index}")


def per_query(result: ResultFile) -> tuple[list[dict[str, Any]], str]:
    """The per-query records beside the metrics file, or ([], why there are none)."""
    name = result.data.get("per_query")
    if not name:
        return [], "no per-query file (written by `jbert eval retrieval --output` since it has one): no rank plot"
    path = result.path.parent / name
    if not path.is_file():
        return [], f"per-query file {path} not found: no rank plot"
    return read_records(path), ""


def read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not JSON ({exc.msg}); rerun `jbert eval retrieval --output`") from None
        if not isinstance(record, dict) or "first_relevant_rank" not in record:
            raise ConfigError(f"{path}:{number}: not a per-query record of `jbert eval retrieval`")
        records.append(record)
    return records


FILE_KINDS.register("retrieval")(FileKind("`jbert eval retrieval --output`", is_retrieval, retrieval_html))
