"""Retrieval sets: BEIR / JMTEB / TSV layouts read alike; bad rows, repeated and unknown ids are one-line
errors naming file and line; queries without a relevant document are kept aside, not dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jbert.errors import ConfigError, DataFormatError
from jbert.readers.retrieval import read_retrieval_dir, read_retrieval_set


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def text(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture()
def beir(tmp_path: Path) -> Path:
    jsonl(tmp_path / "corpus.jsonl", [{"_id": "d1", "title": "東京", "text": "日本の首都。"},
                                      {"_id": "d2", "title": "", "text": "大阪は西日本の都市。"},
                                      {"_id": "d3", "title": "京都", "text": ""}])
    jsonl(tmp_path / "queries.jsonl", [{"_id": "q1", "text": "日本の首都は？"}, {"_id": "q2", "text": "大阪とは"},
                                       {"_id": "q3", "text": "判定なし"}])
    (tmp_path / "qrels").mkdir()
    text(tmp_path / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t0\nq2\td2\t1\n")
    return tmp_path


def test_beir_folder(beir: Path) -> None:
    data = read_retrieval_dir(beir)
    assert set(data.queries) == {"q1", "q2"}
    assert data.qrels == {"q1": {"d1": 2, "d3": 0}, "q2": {"d2": 1}}
    assert [q.id for q in data.without_positives] == ["q3"]  # reported, not scored
    assert data.corpus["d1"].full_text() == "東京 日本の首都。"
    assert data.corpus["d3"].full_text() == "京都"  # a title without text is a document


def test_tsv_files_with_and_without_header_and_trec_qrels(tmp_path: Path) -> None:
    corpus = text(tmp_path / "corpus.tsv", "d1\t東京は首都\tTokyo\nd2\t大阪\n")
    queries = text(tmp_path / "queries.tsv", "id\ttext\nq1\t首都は\n")
    qrels = text(tmp_path / "qrels.txt", "q1 0 d1 1\nq1 0 d2 0\n")
    data = read_retrieval_set(queries, corpus, qrels)
    assert data.corpus["d1"].title == "Tokyo" and data.corpus["d2"].title == ""
    assert data.qrels == {"q1": {"d1": 1, "d2": 0}}


def test_jmteb_queries_with_relevant_docs(tmp_path: Path) -> None:
    corpus = jsonl(tmp_path / "c.jsonl", [{"docid": "a", "text": "x"}, {"docid": "b", "text": "y"}])
    queries = jsonl(tmp_path / "q.jsonl", [{"qid": 1, "query": "x?", "relevant_docs": ["a", "b"]},
                                           {"qid": 2, "query": "z?", "relevant_docs": []}])
    data = read_retrieval_set(queries, corpus)
    assert data.qrels == {"1": {"a": 1, "b": 1}}
    assert [q.id for q in data.without_positives] == ["2"]


def one_line_error(exc: pytest.ExceptionInfo, where: str, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and message.startswith(where), message
    for word in words:
        assert word in message, message


def test_unknown_ids_in_qrels_name_the_line(beir: Path) -> None:
    text(beir / "qrels" / "test.tsv", "q1\td1\t1\nq9\td1\t1\nq2\tzz\t1\n")
    with pytest.raises(DataFormatError) as exc:
        read_retrieval_dir(beir)
    one_line_error(exc, f"{beir / 'qrels' / 'test.tsv'}:2", "2 row(s)", "'q9' is not in the queries file",
                   "line 3: corpus id 'zz' is not in the corpus file")


def test_bad_rows_are_reported_together(beir: Path) -> None:
    jsonl(beir / "queries.jsonl", [{"_id": "q1", "text": "a"}, {"_id": "q1", "text": "b"}, {"_id": "q2"},
                                   {"_id": "q4", "text": "  "}])
    with pytest.raises(DataFormatError) as exc:
        read_retrieval_dir(beir)
    one_line_error(exc, f"{beir / 'queries.jsonl'}:2", "3 row(s)", "query id 'q1' repeats line 1",
                   "line 3: no text column", "line 4: empty text")


@pytest.mark.parametrize(("body", "reason"), [
    ("q1\td1\n", "2 cells"),
    ("q1\td1\t1\nq1\td2\thigh\n", "'high' is not an integer relevance"),
    ("q1\td1\t1\nq1\td1\t2\n", "judged again with another relevance"),
])
def test_bad_qrels_rows(beir: Path, body: str, reason: str) -> None:
    text(beir / "qrels" / "test.tsv", body)
    with pytest.raises(DataFormatError) as exc:
        read_retrieval_dir(beir)
    one_line_error(exc, str(beir / "qrels" / "test.tsv"), reason)


def test_positives_naming_unknown_documents(tmp_path: Path) -> None:
    corpus = jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "x"}])
    queries = jsonl(tmp_path / "q.jsonl", [{"id": "1", "text": "x?", "positives": ["a", "nope"]}])
    with pytest.raises(DataFormatError) as exc:
        read_retrieval_set(queries, corpus)
    one_line_error(exc, f"{queries}:1", "not in the corpus: nope")


def test_no_judgements_and_none_relevant(beir: Path) -> None:
    with pytest.raises(ConfigError, match="no relevance judgements"):
        read_retrieval_set(beir / "queries.jsonl", beir / "corpus.jsonl")
    text(beir / "qrels" / "test.tsv", "q1\td1\t0\n")
    with pytest.raises(DataFormatError, match="no query has a relevant document"):
        read_retrieval_dir(beir)


def test_wrong_file_type_and_tab_count(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="unknown file type '.csv'"):
        read_retrieval_set(text(tmp_path / "q.tsv", "1\tx\n"), text(tmp_path / "c.csv", "a,b\n"), tmp_path / "r.tsv")
    with pytest.raises(DataFormatError) as exc:
        read_retrieval_set(text(tmp_path / "q.tsv", "1\tx\n"), text(tmp_path / "c.tsv", "a\tb\tc\td\n"), tmp_path / "r")
    one_line_error(exc, f"{tmp_path / 'c.tsv'}:1", "4 tab-separated cells")
