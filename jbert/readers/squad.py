"""SQuAD-style extractive QA: ``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``.

Example.text = question, text_pair = context, answers = gold answers, id = the question's id.
There are no useful line numbers inside one JSON document, so an Example's ``line`` is the
question's 1-based index in file order, and errors name that index and the question id.
Every ``answer_start`` must point at its answer: ``context[start:start+len(text)] == text``.

A ``.jsonl`` file is read as flat rows instead (the HF datasets export): ``{"id", "question",
"context", "answers": {"text": [...], "answer_start": [...]}}`` (or a list of answer objects);
the spec's ``text`` / ``text_pair`` / ``id`` columns rename question / context / id.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jbert.config.tasks import TaskSpec
from jbert.data import Answer, Example, RowError
from jbert.errors import DataFormatError
from jbert.readers import READERS
from jbert.readers._common import Item, get_text, json_objects, read_text, require_rows
from jbert.readers.iob import ReadContext

SQUAD_FIX = 'expected {"data": [{"paragraphs": [{"context": ..., "qas": [...]}]}]}'


@READERS.register("squad")
def read_squad(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Examples (one per question) from a SQuAD-format JSON file or flat QA JSON Lines."""
    if Path(path).suffix.lower() == ".jsonl":
        return require_rows(_flat_rows(path, spec, context.encoding), path, "questions")
    return require_rows(_nested(path, context.encoding), path, "questions")


def _nested(path: Path, encoding: str) -> Iterator[Item]:
    """One item per question. A paragraph without context makes each of its questions a RowError;
    an article or paragraph whose list is missing is one RowError (its questions cannot be counted)."""
    index = itertools.count(1)  # the question index (an example's line) counts row errors too
    for article in _document(path, encoding):
        title = article.get("title") if isinstance(article, dict) else None
        paragraphs = _list(article, "paragraphs", path)
        if isinstance(paragraphs, DataFormatError):
            yield _index_error(paragraphs, next(index))
            continue
        for paragraph in paragraphs:
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            qas = _list(paragraph, "qas", path)
            if isinstance(qas, DataFormatError):
                yield _index_error(qas, next(index))
                continue
            for qa in qas:
                yield _question_item(qa, context, title, path, next(index))


def _document(path: Path, encoding: str) -> list[Any]:
    """The ``data`` list; a file that is not SQuAD JSON at all raises (nothing in it can be trusted)."""
    text = read_text(path, encoding)
    if not text.strip():
        return []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"invalid JSON ({exc.msg})", SQUAD_FIX) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        hint = "one JSON object a line? use --reader jsonl" if isinstance(doc, dict) else SQUAD_FIX
        raise DataFormatError(path, None, "no top-level 'data' list: not SQuAD-format JSON", hint)
    return doc["data"]


def _index_error(exc: DataFormatError, index: int) -> RowError:
    return RowError.from_error(DataFormatError(exc.path, index, exc.reason, exc.fix))


def _list(parent: Any, key: str, path: Path) -> list[Any] | DataFormatError:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, list):
        return DataFormatError(path, None, f"expected a {key!r} list here", SQUAD_FIX)
    return value


def _question_item(qa: Any, context: Any, title: Any, path: Path, index: int) -> Item:
    try:
        if not isinstance(context, str):
            raise DataFormatError(path, index, f"question {index}'s paragraph has no 'context' text", SQUAD_FIX)
        return _question(qa, context, title, path, index)
    except DataFormatError as exc:
        qid = qa.get("id") if isinstance(qa, dict) else None
        return RowError.from_error(exc, str(qid) if qid is not None else None)


def _question(qa: Any, context: str, title: Any, path: Path, index: int) -> Example:
    if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
        raise DataFormatError(path, index, f"question {index} has no 'question' text", SQUAD_FIX)
    qid = str(qa.get("id", index))
    answers = _answers(qa.get("answers", []), context, path, index, qid)
    fields = {"id": qid, "title": title, "question": qa["question"], "context": context,
              "answers": [{"text": a.text, "answer_start": a.start} for a in answers]}
    return Example(id=qid, line=index, source=str(path), text=qa["question"], text_pair=context,
                   answers=answers, fields=fields)


def _answers(raw: Any, context: str, path: Path, line: int, qid: str) -> tuple[Answer, ...]:
    """Answer objects or the HF layout ``{"text": [...], "answer_start": [...]}``; starts checked."""
    if isinstance(raw, Mapping) and isinstance(raw.get("text"), list):
        starts = raw.get("answer_start")
        if not isinstance(starts, list) or len(starts) != len(raw["text"]):
            raise DataFormatError(path, line, f"question {qid!r}: answers.text and answers.answer_start differ in length")
        raw = [{"text": t, "answer_start": s} for t, s in zip(raw["text"], starts, strict=True)]
    if not isinstance(raw, list):
        raise DataFormatError(path, line, f"question {qid!r}: 'answers' must be a list")
    answers = []
    for item in raw:
        text = item.get("text") if isinstance(item, dict) else None
        start = item.get("answer_start") if isinstance(item, dict) else None
        if not isinstance(text, str) or not isinstance(start, int) or isinstance(start, bool):
            raise DataFormatError(path, line, f"question {qid!r}: answer {item!r} needs 'text' and an integer 'answer_start'")
        if context[start : start + len(text)] != text:
            found = context[max(start, 0) : max(start, 0) + len(text)]
            raise DataFormatError(
                path, line, f"question {qid!r}: answer {text!r} is not at answer_start {start} (context there: {found!r})",
                "answer_start is the answer's character offset in the context",
            )
        answers.append(Answer(text=text, start=start))
    return tuple(answers)


def _flat_rows(path: Path, spec: TaskSpec, encoding: str) -> Iterator[Item]:
    for line, row in json_objects(path, encoding):
        if not isinstance(row, dict):
            yield RowError.from_error(row)
            continue
        try:
            yield _flat_row(row, spec, path, line)
        except DataFormatError as exc:
            yield RowError.from_error(exc, str(row.get(spec.column("id", "id")) or line))


def _flat_row(row: dict[str, Any], spec: TaskSpec, path: Path, line: int) -> Example:
    question = get_text(row, path, line, "text", spec.column("text", "question"))
    context = get_text(row, path, line, "text_pair", spec.column("text_pair", "context"))
    qid = str(row.get(spec.column("id", "id")) or line)
    answers = _answers(row.get("answers", []), context, path, line, qid)
    return Example(id=qid, line=line, source=str(path), text=question, text_pair=context, answers=answers, fields=row)
