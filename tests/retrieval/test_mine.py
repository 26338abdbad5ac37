"""Hard negatives from a retrieval set: the first stage's top non-relevant documents in its order, random
ones (seeded, counted) where it finds too few, rows in the columns the two trainers read, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("bm25s")

from jbert.cli import app  # noqa: E402
from jbert.retrieval.bm25 import BM25Retriever  # noqa: E402
from jbert.retrieval.mine import MineConfig, mine_negatives  # noqa: E402

RUNNER = CliRunner()
CORPUS = {
    "d0": ("大阪", "大阪は西日本の中心都市である。"),
    "d1": ("東京", "東京都は日本の首都であり、人口が最も多い。"),
    "d2": ("京都", "京都には多くの寺院があり、日本の古都である。"),
    "d3": ("富士山", "富士山は日本で最も高い山である。"),
    "d4": ("", "名古屋は日本の中部地方の都市である。"),
    "d5": ("", "北海道は日本の北にある島である。"),
    "d6": ("", "沖縄は日本の南にある島である。"),
}
QUERIES = {"q0": "日本の首都はどこ", "q1": "日本で最も高い山", "q2": "ドイツ"}  # q2 shares no word: BM25 finds nothing
QRELS = [("q0", "d1", 1), ("q1", "d3", 2), ("q1", "d5", 1), ("q2", "d6", 1)]


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps({"_id": d, "title": t, "text": x}, ensure_ascii=False) + "\n"
                                                   for d, (t, x) in CORPUS.items()), encoding="utf-8")
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": x}, ensure_ascii=False) + "\n"
                                                    for q, x in QUERIES.items()), encoding="utf-8")
    (tmp_path / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t{r}\n" for q, d, r in QRELS))
    return tmp_path


def full_text(doc: str) -> str:
    return " ".join(p for p in CORPUS[doc] if p)


def bm25_order(query: str) -> list[str]:
    """The corpus ids BM25 itself ranks for ``query``, best first (the reference the mined rows follow)."""
    ids = list(CORPUS)
    return [ids[row] for row, _ in BM25Retriever([full_text(d) for d in ids]).search([query], len(ids))[0]]


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_embedding_rows_take_bm25s_top_non_relevant_documents(beir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    done = mine_negatives(MineConfig(model="bm25", data=str(beir), output=str(out), negatives=2))
    got = {r["id"]: r for r in rows(out)}
    assert list(got) == ["q0:d1", "q1:d3", "q1:d5", "q2:d6"]  # queries in file order, most relevant first
    for qid, doc in (("q0", "d1"), ("q1", "d3"), ("q1", "d5")):
        relevant = {d for q, d, _ in QRELS if q == qid}
        expected = [d for d in bm25_order(QUERIES[qid]) if d not in relevant][:2]
        row = got[f"{qid}:{doc}"]
        assert row["anchor"] == QUERIES[qid] and row["positive"] == full_text(doc)
        assert [row["negative_1"], row["negative_2"]] == [full_text(d) for d in expected]
    assert done.rows == 4 and done.queries == 3 and done.purpose == "embedding"
    # q2 shares no word with the corpus: both its negatives are drawn at random, not relevant, distinct
    assert done.random_negatives == 2
    q2 = got["q2:d6"]
    assert q2["negative_1"] != q2["negative_2"] and full_text("d6") not in (q2["negative_1"], q2["negative_2"])


def test_skip_top_passes_over_the_first_negatives_and_the_seed_fixes_random_ones(beir: Path, tmp_path: Path) -> None:
    one, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    mine_negatives(MineConfig(model="bm25", data=str(beir), output=str(one), negatives=1, skip_top=1, seed=3))
    mine_negatives(MineConfig(model="bm25", data=str(beir), output=str(other), negatives=1, skip_top=1, seed=3))
    assert one.read_bytes() == other.read_bytes()
    q0 = next(r for r in rows(one) if r["id"] == "q0:d1")
    ranked = [d for d in bm25_order(QUERIES["q0"]) if d != "d1"]
    assert set(q0) == {"id", "anchor", "positive", "negative"} and q0["negative"] == full_text(ranked[1])


def test_reranker_groups_one_relevant_document_and_its_negatives(beir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rerank.jsonl"
    mine_negatives(MineConfig(model="bm25", data=str(beir), output=str(out), purpose="reranker", negatives=2))
    got = rows(out)
    groups: dict[str, list[dict]] = {}
    for row in got:
        groups.setdefault(row["query_id"], []).append(row)
    assert list(groups) == ["q0:d1", "q1:d3", "q1:d5", "q2:d6"]
    assert [r["label"] for r in groups["q1:d3"]] == [2, 0, 0] and groups["q1:d3"][0]["document"] == full_text("d3")
    assert all(r["query"] == QUERIES["q1"] for r in groups["q1:d5"])
    assert len({r["id"] for r in got}) == len(got) == 12
    # the rows are what `jbert finetune reranker` reads: its data check finds nothing to stop on
    check = RUNNER.invoke(app, ["data", "check", "reranker", "--train", str(out)])
    assert check.exit_code == 0, check.output


def test_cli_writes_rows_and_reports_random_negatives(beir: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    result = RUNNER.invoke(app, ["data", "mine-negatives", "--model", "bm25", "--data", str(beir), "-k", "1",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"4 embedding rows for 3 queries written to {out}" in result.output
    assert "1 negatives drawn at random" in result.output
    check = RUNNER.invoke(app, ["data", "check", "embedding", "--train", str(out)])
    assert check.exit_code == 0 and "mnrl" in check.output, check.output


@pytest.mark.parametrize("extra, message", [
    (["--for", "classifier"], "--for must be one of embedding, reranker, got 'classifier'"),
    (["-k", "6"], "the corpus has 7 documents: too few for 6 negatives per query"),
    (["-k", "0"], "--negatives must be at least 1"),
])
def test_bad_requests_are_one_line_errors_and_write_nothing(beir: Path, tmp_path: Path, extra: list[str],
                                                            message: str) -> None:
    out = tmp_path / "rows.jsonl"
    result = RUNNER.invoke(app, ["data", "mine-negatives", "--model", "bm25", "--data", str(beir), *extra,
                                 "--output", str(out)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not out.exists()
