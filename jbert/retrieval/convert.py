"""A retrieval set from a SQuAD / JSQuAD file: each question -> the paragraph it was asked about.

The corpus is every distinct paragraph of the file (``_id`` p0, p1 ... in file order) with its article
title; JSQuAD writes ``title [SEP] paragraph`` into each context, so that prefix moves to ``title``.
Output is a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``) that
``jbert eval retrieval --data DIR`` and BEIR's own loader read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jbert.config.tasks import load_spec
from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.readers import read_examples
from jbert.writers import atomic_output

SEP = " [SEP] "


@dataclass
class Converted:
    queries: int
    documents: int
    judgements: int
    output: str


def squad_to_retrieval(path: str | Path, output: str | Path, split: str = "test") -> Converted:
    """Write the retrieval set of ``path`` under ``output``; the whole file is read (and checked) first."""
    examples = read_examples(path, load_spec("qa"), reader="squad")  # every bad question, in one error
    if not examples:
        raise DataFormatError(path, None, "no questions in the file")
    docs: dict[str, dict[str, str]] = {}  # context -> corpus row
    queries, qrels, seen = [], [], {}
    for example in examples:
        if example.id in seen:
            raise DataFormatError(path, example.line, f"question id {example.id!r} repeats question {seen[example.id]}",
                                  "question ids must be unique: they become the query ids")
        seen[example.id] = example.line
        context = example.text_pair or ""
        if context not in docs:
            docs[context] = {"_id": f"p{len(docs)}", **_title_and_text(example, context)}
        queries.append({"_id": example.id, "text": example.text})
        qrels.append((example.id, docs[context]["_id"]))
    out = Path(output)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "corpus.jsonl", docs.values())
    _write_jsonl(out / "queries.jsonl", queries)
    with atomic_output(out / "qrels" / f"{split}.tsv") as stream:
        stream.write("query-id\tcorpus-id\tscore\n")
        stream.writelines(f"{qid}\t{doc}\t1\n" for qid, doc in qrels)
    return Converted(len(queries), len(docs), len(qrels), str(out))


def _title_and_text(example: Example, context: str) -> dict[str, str]:
    title = str(example.fields.get("title") or "")
    if title and context.startswith(title + SEP):
        return {"title": title, "text": context[len(title) + len(SEP):]}
    return {"title": title, "text": context}


def _write_jsonl(path: Path, rows: object) -> None:
    with atomic_output(path) as stream:
        stream.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)  # type: ignore[attr-defined]
