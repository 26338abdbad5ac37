"""Retrieval sets: queries, a corpus and relevance judgements (BEIR / JMTEB layouts).

* queries: JSON Lines ``{"id" | "_id" | "qid", "text" | "query"}`` (optionally ``"positives"`` or JMTEB's
  ``"relevant_docs"``: a list of corpus ids, relevance 1), or TSV ``id<TAB>text`` (header optional).
* corpus: JSON Lines ``{"id" | "_id" | "docid", "text", "title"?}`` or TSV ``id<TAB>text[<TAB>title]``.
* qrels: BEIR TSV ``query-id<TAB>corpus-id<TAB>score`` (header optional) or TREC ``qid 0 docid rel``.

Every bad row, duplicate id and unknown id is reported with its file and line, all in one error. A query
with no relevant document is not an error (BEIR's queries file holds every split's queries): it is kept
in ``without_positives`` so that evaluation reports it instead of dropping it silently.

>>> data = read_retrieval_set("queries.jsonl", "corpus.jsonl", "qrels/test.tsv")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.data import RowError
from jbert.errors import ConfigError, DataFormatError
from jbert.readers import rows_error
from jbert.readers._common import iter_lines, json_objects, text_value

QUERY_ID = ("id", "_id", "qid", "query_id", "query-id")
QUERY_TEXT = ("text", "query", "question")
DOC_ID = ("id", "_id", "docid", "doc_id", "corpus-id", "corpus_id", "pid")
DOC_TEXT = ("text", "passage", "contents", "document")
POSITIVES = ("positives", "relevant_docs")
_JSON = (".jsonl", ".json")
_TSV = (".tsv", ".txt", ".trec", ".qrels")


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str = ""
    source: str = ""
    line: int = 0

    def full_text(self) -> str:
        """What a retriever reads: the title, a space, the text (BEIR's convention)."""
        return " ".join(part for part in (self.title, self.text) if part)


@dataclass
class RetrievalSet:
    queries: dict[str, Query]  # the queries scored: each has at least one relevant document
    corpus: dict[str, Document]
    qrels: dict[str, dict[str, int]]  # query id -> corpus id -> relevance (>= 1 relevant)
    without_positives: list[Query] = field(default_factory=list)  # read, but nothing relevant judged


def read_retrieval_set(queries: str | Path, corpus: str | Path, qrels: str | Path | None = None) -> RetrievalSet:
    """Read and cross-check the three files (``qrels`` None: the query rows carry their positives)."""
    docs = read_corpus(corpus)
    rows, positives = read_queries(queries, docs)
    if qrels is not None and positives:
        raise ConfigError(f"{queries} lists positives and --qrels {qrels} was given too: use one of them")
    if qrels is None and not positives:
        raise ConfigError(f"no relevance judgements: give --qrels FILE, or a 'positives' list in {queries}")
    judged = read_qrels(qrels, rows, docs) if qrels is not None else positives
    scored = {qid: q for qid, q in rows.items() if any(r >= 1 for r in judged.get(qid, {}).values())}
    if not scored:
        raise DataFormatError(qrels or queries, None, "no query has a relevant document (relevance >= 1)",
                              "check that the qrels ids match the queries and corpus files")
    missing = [q for qid, q in rows.items() if qid not in scored]
    return RetrievalSet(scored, docs, {qid: judged[qid] for qid in scored}, missing)


def read_retrieval_dir(root: str | Path, split: str = "test") -> RetrievalSet:
    """A BEIR folder: ``queries.jsonl``, ``corpus.jsonl`` and ``qrels/<split>.tsv``."""
    root = Path(root)
    return read_retrieval_set(root / "queries.jsonl", root / "corpus.jsonl", root / "qrels" / f"{split}.tsv")


# --- queries and corpus --------------------------------------------------------------------------


def read_queries(path: str | Path, corpus: dict[str, Document]) -> tuple[dict[str, Query], dict[str, dict[str, int]]]:
    """(queries by id, positives the rows list); every bad row is reported at once."""
    path = Path(path)
    queries: dict[str, Query] = {}
    positives: dict[str, dict[str, int]] = {}
    errors: list[RowError] = []
    for line, row in _rows(path, ("id", "text")):
        try:
            query = Query(_pick(row, QUERY_ID, path, line, "id"), _pick(row, QUERY_TEXT, path, line, "text"),
                          str(path), line)
            _unique(queries, query.id, path, line, "query")
            listed = _positives(row, corpus, path, line)
        except DataFormatError as exc:
            errors.append(RowError.from_error(exc))
            continue
        queries[query.id] = query
        if listed is not None:
            positives[query.id] = listed
    _raise(path, errors, queries, "queries")
    return queries, positives


def read_corpus(path: str | Path) -> dict[str, Document]:
    path = Path(path)
    docs: dict[str, Document] = {}
    errors: list[RowError] = []
    for line, row in _rows(path, ("id", "text", "title")):
        try:
            doc_id = _pick(row, DOC_ID, path, line, "id")
            title = text_value(row["title"], path, line, "title") if row.get("title") is not None else ""
            doc = Document(doc_id, _pick(row, DOC_TEXT, path, line, "text", empty_ok=bool(title)), title,
                           str(path), line)
            _unique(docs, doc_id, path, line, "document")
        except DataFormatError as exc:
            errors.append(RowError.from_error(exc))
            continue
        docs[doc_id] = doc
    _raise(path, errors, docs, "documents")
    return docs


def _positives(row: dict[str, Any], corpus: dict[str, Document], path: Path, line: int) -> dict[str, int] | None:
    key = next((k for k in POSITIVES if k in row), None)
    if key is None:
        return None
    value = row[key]
    if not isinstance(value, list):
        raise DataFormatError(path, line, f"{key!r} must be a list of corpus ids", f'write "{key}": ["doc1", ...]')
    ids = [str(v) for v in value]
    unknown = [d for d in ids if d not in corpus]
    if unknown:
        raise DataFormatError(path, line, f"{key!r} names corpus id(s) not in the corpus: {', '.join(unknown[:5])}")
    return dict.fromkeys(ids, 1)


def _pick(row: dict[str, Any], names: tuple[str, ...], path: Path, line: int, role: str, empty_ok: bool = False) -> str:
    """The first of ``names`` the row has, as stripped text; missing or empty is an error unless ``empty_ok``."""
    key = next((k for k in names if k in row), None)
    value = text_value(row[key], path, line, key).strip() if key is not None else ""
    if not value and not empty_ok:
        found = f"empty {role} ({key!r})" if key else f"no {role} column (one of {', '.join(names)})"
        raise DataFormatError(path, line, f"{found}; columns: {', '.join(map(str, row))}")
    return value


def _unique(seen: dict[str, Any], key: str, path: Path, line: int, what: str) -> None:
    if key in seen:
        raise DataFormatError(path, line, f"{what} id {key!r} repeats line {seen[key].line}", "ids must be unique")


def _raise(path: Path, errors: list[RowError], read: dict, what: str) -> None:
    if errors:
        error = rows_error(path, errors)
        raise DataFormatError(path, error.line, error.reason, "fix them; every bad row of the file is counted here")
    if not read:
        raise DataFormatError(path, None, f"file is empty (no {what})", "check the path and the file's format")


# --- rows of either format ------------------------------------------------------------------------


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)``: JSON Lines objects, or TSV cells named by the header or by ``columns`` in order."""
    suffix = path.suffix.lower()
    if suffix in _JSON:
        for line, row in json_objects(path):
            if isinstance(row, DataFormatError):
                raise row
            yield line, row
    elif suffix in _TSV:
        yield from _tsv_rows(path, columns)
    else:
        raise DataFormatError(path, None, f"unknown file type {suffix or '(none)'!r}", "use .jsonl or .tsv")


def _tsv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    names: list[str] | None = None
    for line, raw in iter_lines(path):
        if not raw.strip():
            continue
        cells = raw.split("\t")
        if names is None and cells[0].strip() in QUERY_ID + DOC_ID:  # a header row names the columns
            names = [c.strip() for c in cells]
            continue
        keys = names or list(columns)
        if len(cells) > len(keys) or len(cells) < 2:
            raise DataFormatError(path, line, f"{len(cells)} tab-separated cells; expected {', '.join(keys)}",
                                  "separate the columns with one tab each")
        yield line, dict(zip(keys, cells, strict=False))


# --- qrels ------------------------------------------------------------------------------------------


def read_qrels(path: str | Path, queries: dict[str, Query], corpus: dict[str, Document]) -> dict[str, dict[str, int]]:
    """query id -> corpus id -> relevance; a repeated pair with another relevance is an error."""
    path = Path(path)
    qrels: dict[str, dict[str, int]] = {}
    errors: list[RowError] = []
    for line, raw in iter_lines(path):
        if not raw.strip():
            continue
        try:
            parsed = _qrel(raw, path, line, queries, corpus)
        except DataFormatError as exc:
            errors.append(RowError.from_error(exc))
            continue
        if parsed is None:
            continue  # the header
        qid, doc, relevance = parsed
        if qrels.get(qid, {}).get(doc, relevance) != relevance:
            errors.append(RowError.from_error(DataFormatError(
                path, line, f"({qid!r}, {doc!r}) judged again with another relevance ({relevance})")))
        qrels.setdefault(qid, {})[doc] = relevance
    _raise(path, errors, qrels, "judgements")
    return qrels


def _qrel(raw: str, path: Path, line: int, queries: dict, corpus: dict) -> tuple[str, str, int] | None:
    cells = raw.split("\t") if "\t" in raw else raw.split()
    if len(cells) == 4:  # TREC: qid iteration docid relevance
        cells = [cells[0], cells[2], cells[3]]
    if len(cells) != 3:
        raise DataFormatError(path, line, f"{len(cells)} cells; expected query-id, corpus-id, score",
                              "BEIR qrels: query-id<TAB>corpus-id<TAB>score")
    qid, doc, score = (c.strip() for c in cells)
    relevance = _integer(score)
    if relevance is None:
        if line == 1:
            return None
        raise DataFormatError(path, line, f"score {score!r} is not an integer relevance", "write 0, 1, 2 ...")
    if qid not in queries:
        raise DataFormatError(path, line, f"query id {qid!r} is not in the queries file")
    if doc not in corpus:
        raise DataFormatError(path, line, f"corpus id {doc!r} is not in the corpus file")
    return qid, doc, relevance


def _integer(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None
