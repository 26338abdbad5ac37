"""`jbert report` on embedding and reranker runs and on `jbert eval retrieval --output`: the numbers on the
page are checked against the run's own files and against the hand-made retrieval set's known ranks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _report_html import check_self_contained, parse
from _retrieval_data import hand_encode, prefers_fish, write_hand_set
from typer.testing import CliRunner

from jbert import api
from jbert.cli import app
from jbert.evaluation import RetrievalConfig
from jbert.metrics.retrieval import NAMES

pytest.importorskip("matplotlib")
runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


def report(tmp_path: Path, *paths: Path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", *map(str, paths), "--output", str(out)])
    assert result.exit_code == 0, result.output
    page = parse(out)
    check_self_contained(page)
    return page


def final(run: Path) -> dict[str, float]:
    return json.loads((run / "metrics.json").read_text(encoding="utf-8"))["final"]


def rows_of(page, first_header: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in page.table(first_header)}


def test_embedding_run_shows_cosine_against_gold(trained, tmp_path):
    run = trained("embedding")
    page = report(tmp_path, run)
    assert "Cosine similarity vs gold score" in page.headings
    table = rows_of(page, "validation pairs")
    valid = (DATA / "jglue" / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()
    assert table["pairs"] == [str(len(valid))]
    assert table["pearson"] == [f"{final(run)['pearson']:.4f}"] and table["spearman"] == [f"{final(run)['spearman']:.4f}"]


def test_reranker_run_ranks_its_validation_queries(trained, tmp_path):
    run = trained("reranker")
    page = report(tmp_path, run)
    metrics = rows_of(page, "ranking")
    assert metrics["ranking"] == list(NAMES) and metrics["reranker"] == [f"{final(run)[n]:.4f}" for n in NAMES]
    rows = [json.loads(line) for line in (DATA / "reranker" / "valid.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = {r["query_id"] for r in rows}
    ranks = rows_of(page, "first relevant rank")
    assert ranks["all queries"] == [str(len(queries))]
    first = int(ranks.get("1", ["0"])[0])  # one relevant row per query: recall@1 is the share ranked first
    assert first / len(queries) == pytest.approx(final(run)["recall@1"])
    failed = len(queries) - first
    assert failed  # the tiny model ranks some queries' relevant row below another: the sample has rows
    assert f"{failed} of {len(queries)} queries have no relevant document first" in page.text
    sample = page.table("query id")[1:]
    assert len(sample) == min(10, failed) and {r[0] for r in sample} <= queries
    shown_ranks = [int(r[2]) for r in sample]
    assert shown_ranks == sorted(shown_ranks, reverse=True) and all(rank > 1 for rank in shown_ranks)


@pytest.fixture()
def evaluated(tmp_path: Path):
    def run(scorer=None) -> Path:
        out = tmp_path / ("reranked.json" if scorer else "dense.json")
        cfg = RetrievalConfig(encoder=hand_encode, scorer=scorer, top_k=2, **write_hand_set(tmp_path),
                              output=str(out), depth=3)
        api.evaluate(cfg)
        return out

    return run


def test_retrieval_eval_metrics_ranks_and_worst_failures(evaluated, tmp_path):
    out = evaluated()
    saved = json.loads(out.read_text(encoding="utf-8"))
    page = report(tmp_path, out)
    assert page.headings[:2] == ["jbert report: dense.json", "Retrieval: dense.json"]
    assert rows_of(page, "ranking")["<encoder>"] == [f"{saved['metrics'][n]:.4f}" for n in NAMES]
    # q1 first, q2's fish second, q3's bird below the depth of 3
    assert rows_of(page, "first relevant rank") == {"first relevant rank": ["<encoder>"], "1": ["1"], "2-3": ["1"],
                                                    "not retrieved": ["1"], "all queries": ["3"]}
    assert "2 of 3 queries have no relevant document first" in page.text
    sample = page.table("query id")[1:]
    assert [(r[0], r[1], r[2], r[3]) for r in sample] == [("q3", "猫?", "not retrieved", "0.0000"),
                                                          ("q2", "鳥魚?", "2", "0.6309")]
    assert sample[1][4] == "d3 魚" and sample[1][5].startswith("d2 (") and "d3 (" in sample[1][5]


def test_retrieval_eval_before_and_after_reranking(evaluated, tmp_path):
    out = evaluated(prefers_fish)
    saved = json.loads(out.read_text(encoding="utf-8"))
    page = report(tmp_path, out)
    metrics = rows_of(page, "ranking")
    assert metrics["<encoder>"] == [f"{saved['metrics'][n]:.4f}" for n in NAMES]
    assert metrics["<scorer> (reranked top 2)"] == [f"{saved['reranked'][n]:.4f}" for n in NAMES]
    ranks = rows_of(page, "first relevant rank")
    assert ranks["1"] == ["1", "2"] and ranks["2-3"] == ["1", "0"] and ranks["not retrieved"] == ["1", "1"]
    [q3] = page.table("query id")[1:]
    assert q3[:4] == ["q3", "猫?", "not retrieved (first stage: not retrieved)", "0.0000 (first stage: 0.0000)"]
    assert q3[5] == "d1 (0.5000) 猫d4 (0.1000) 犬猫d0 (not reranked) 犬"  # below the top 2: first-stage place


def test_retrieval_eval_without_its_per_query_file(evaluated, tmp_path):
    out = evaluated()
    (tmp_path / "dense.queries.jsonl").unlink()
    page = report(tmp_path, out)
    assert f"per-query file {tmp_path / 'dense.queries.jsonl'} not found: no rank plot" in page.text
    assert len(page.images) == 0 and len(page.table("query id")) == 3  # metrics and the sample still shown


def test_a_broken_per_query_file_is_one_line(evaluated, tmp_path):
    out = evaluated()
    with (tmp_path / "dense.queries.jsonl").open("a", encoding="utf-8") as stream:
        stream.write('{"id": "q9", \n')
    result = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / 'dense.queries.jsonl'}:4: not JSON (Expecting property name " \
                                    "enclosed in double quotes); rerun `jbert eval retrieval --output`"
    assert not (tmp_path / "r.html").exists()


def test_a_run_and_a_retrieval_eval_in_one_report(trained, evaluated, tmp_path):
    page = report(tmp_path, trained("embedding"), evaluated())
    assert page.headings[0] == "jbert report: 1 run, 1 result file"
    assert page.headings.index("Retrieval: dense.json") < page.headings.index("embedding: embedding")
