"""What the row readers share: decoded lines with their numbers, and row -> Example by the spec's columns.

Column roles (see ``jbert.config.tasks.ROLES``) come from ``spec.columns``; a role the spec does not
name falls back to the column of the same name (``text`` -> ``"text"``). Optional roles
(``text_pair``, ``choices``, ``entities``) are read only when the spec names them, or, for
``entities``/``tokens``, when the row has them. ``text``, ``text_pair`` and ``label`` may map to a
list of alternative columns (the embedding task's layouts): the first one a row has is used. Labels
are kept as the file wrote them (a JSON number stays a number): each head turns them into its own
type and validates them, because only the head knows whether ``"3.8"`` is a class name or a
similarity score.
"""

from __future__ import annotations

import gzip
import json
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from jbert.config.tasks import TaskSpec
from jbert.data import Entity, Example, RowError
from jbert.errors import DataFormatError, MissingColumnError
from jbert.readers.files import DEFAULT_ENCODING, EXTENSIONS, decode_all, decode_line, open_binary
from jbert.readers.iob import ReadContext, join_tokens, tags_to_entities

Item = Example | RowError  # what readers yield: a row, or why that row cannot be read


def iter_lines(path: Path, keep_ends: bool = False, encoding: str = DEFAULT_ENCODING) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, line end stripped unless ``keep_ends``), streaming.
    ``-`` reads stdin; gzip-compressed files are decompressed as they are read.

    Each line is decoded on its own (``encoding``, UTF-8 by default) so that bad bytes are reported
    with their line number. A UTF-8 byte order mark on the first line (Excel's CSV) is dropped.
    """
    stream = open_binary(path)
    try:
        for number, raw in enumerate(_gzip_checked(stream, path), start=1):
            text = decode_line(raw, path, number, encoding)
            yield number, text if keep_ends else text.rstrip("\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _gzip_checked(stream: BinaryIO, path: Path) -> Iterator[bytes]:
    try:
        yield from stream
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise DataFormatError(path, None, "is gzip-compressed but cannot be decompressed (damaged or cut short)",
                              "check it with gunzip -t, or copy it again") from None


def json_objects(path: Path, encoding: str = DEFAULT_ENCODING,
                 hint: str | None = None) -> Iterator[tuple[int, dict[str, Any] | DataFormatError]]:
    """``(line, object)`` for each non-blank JSON Lines row; a bad row gives ``(line, DataFormatError)``
    instead of raising, so callers choose between stopping (readers) and skipping (``predict --on-error
    skip``). Undecodable bytes still raise: the rest of the file cannot be trusted then. ``hint``: the
    fix for a line that is not JSON (default: by the file's extension and first line)."""
    for line, raw in iter_lines(path, encoding=encoding):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            fix = hint or _not_json_hint(path, line, raw)
            yield line, DataFormatError(path, line, f"invalid JSON ({exc.msg} at column {exc.colno})", fix)
            continue
        if not isinstance(row, dict):
            yield line, DataFormatError(
                path, line, f"expected a JSON object, got {type(row).__name__}", "write one {...} object a line"
            )
            continue
        yield line, row


def _not_json_hint(path: Path, line: int, raw: str) -> str:
    """What a JSON Lines reader says about a line that is not JSON: the reader its extension names,
    a whole-file JSON document's reader, or how JSON Lines is written."""
    # every command that reads data files takes --reader (predict and eval: another name of --input-format)
    other = EXTENSIONS.get(Path(str(path)).suffix.lower())
    if other not in (None, "jsonl"):
        return f"this {Path(str(path)).suffix} file is read as JSON Lines; read it with --reader {other}"
    if line == 1 and raw.strip() in ("[", "{"):
        return "this looks like one JSON document, not JSON Lines; SQuAD JSON: --reader squad"
    return "write one JSON object a line"


def json_rows(path: Path, encoding: str = DEFAULT_ENCODING, hint: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for each JSON Lines row; the first bad row raises DataFormatError."""
    for line, row in json_objects(path, encoding, hint):
        if isinstance(row, DataFormatError):
            raise row
        yield line, row


def read_text(path: Path, encoding: str = DEFAULT_ENCODING) -> str:
    """The whole file as text (for formats that are one JSON document); bad bytes name their line."""
    stream = open_binary(path)
    try:
        data = b"".join(_gzip_checked(stream, path))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return decode_all(data, path, encoding)


def require_rows(items: Iterable[Item], path: Path, what: str = "rows") -> Iterator[Item]:
    """Pass examples (and row errors) through; a file that gives none is an error (an empty file
    is never intended)."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        raise DataFormatError(path, None, f"file is empty (no {what})", "check the path and the file's format")


# --- row -> Example -------------------------------------------------------------------------


def _columns_hint(row: Mapping[str, Any]) -> str:
    return "columns in this row: " + (", ".join(map(str, row)) or "(none)")


def missing_column(path: Path, line: int, row: Mapping[str, Any], role: str, column: str) -> MissingColumnError:
    return MissingColumnError(
        path,
        line,
        f"no column {column!r} (the {role} column); {_columns_hint(row)}",
        f"set --{role.replace('_', '-')}-column or the task spec's columns.{role}",
    )


def text_value(value: Any, path: Path, line: int, column: str) -> str:
    """A text cell: strings as is, numbers as their text; null, lists and objects are errors."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    kind = "null" if value is None else type(value).__name__
    raise DataFormatError(path, line, f"column {column!r} is {kind}, expected text")


def get_text(row: Mapping[str, Any], path: Path, line: int, role: str, column: str) -> str:
    if column not in row:
        raise missing_column(path, line, row, role, column)
    return text_value(row[column], path, line, column)


def _choices(row: Mapping[str, Any], spec: TaskSpec, path: Path, line: int) -> tuple[str, ...]:
    column = spec.column("choices")
    if column is None:
        return ()
    if isinstance(column, (list, tuple)):  # JCommonsenseQA: choice0 ... choice4
        return tuple(get_text(row, path, line, "choices", c) for c in column)
    if column not in row:
        raise missing_column(path, line, row, "choices", column)
    value = row[column]
    if not isinstance(value, list) or not value:
        raise DataFormatError(
            path, line, f"column {column!r} must be a non-empty list of choices", "or list named columns in columns.choices"
        )
    return tuple(text_value(v, path, line, column) for v in value)


def _entity(item: Any, text: str, path: Path, line: int) -> Entity:
    """``{"start", "end", "label"}``; doccano's ``start_offset``/``end_offset`` and ``[start, end, label]``
    triples are accepted too."""
    if isinstance(item, (list, tuple)) and len(item) == 3:
        item = {"start": item[0], "end": item[1], "label": item[2]}
    elif isinstance(item, Mapping) and "start_offset" in item:
        item = {"start": item["start_offset"], "end": item.get("end_offset"), "label": item.get("label")}
    if not isinstance(item, Mapping) or not {"start", "end", "label"} <= set(item):
        raise DataFormatError(path, line, f"entity {item!r} needs start, end and label", 'write {"start": 0, "end": 2, "label": "LOC"}')
    start, end, label = item["start"], item["end"], item["label"]
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= len(text):
        raise DataFormatError(
            path, line, f"entity {dict(item)!r} is not a span of the {len(text)}-character text",
            "start/end are character offsets, end exclusive",
        )
    if not isinstance(label, str) or not label:
        raise DataFormatError(path, line, f"entity {dict(item)!r} has no label")
    return Entity(start=start, end=end, label=label, text=text[start:end])


def _entities(row: Mapping[str, Any], spec: TaskSpec, text: str, path: Path, line: int) -> tuple[Entity, ...]:
    column = spec.column("entities", "entities")
    if column not in row:
        return ()
    value = row[column]
    if not isinstance(value, list):
        raise DataFormatError(path, line, f"column {column!r} must be a list of entities")
    spans = sorted((_entity(item, text, path, line) for item in value), key=lambda e: (e.start, e.end))
    for left, right in zip(spans, spans[1:], strict=False):
        if right.start < left.end:
            raise DataFormatError(path, line, f"entities {left.text!r} and {right.text!r} overlap", "NER spans must not overlap")
    return tuple(spans)


def _id(row: Mapping[str, Any], spec: TaskSpec, line: int) -> str:
    column = spec.column("id")
    value = row.get(column) if column is not None else None
    return str(value) if value is not None and value != "" else str(line)


def present_column(row: Mapping[str, Any], column: Any, optional: bool = False) -> Any:
    """A role's column. A role mapped to a list of alternatives (the embedding task's
    ``text: [anchor, sentence1, text]``) takes the first one this row has; when it has none, the
    first (so the missing-column error names it) or, for an ``optional`` role, None."""
    if not isinstance(column, (list, tuple)):
        return column
    found = next((c for c in column if c in row), None)
    return found if found is not None or optional else " or ".join(map(str, column))


def row_item(
    row: Mapping[str, Any], spec: TaskSpec, path: Path, line: int, context: ReadContext | None = None
) -> Example | RowError:
    """``row_to_example``, with a bad row returned as a RowError (its id kept when it has one)."""
    try:
        return row_to_example(row, spec, path, line, context)
    except DataFormatError as exc:
        column = spec.column("id")
        row_id = row.get(column) if isinstance(column, str) else None
        return RowError.from_error(exc, str(row_id) if row_id not in (None, "") else None)


def row_to_example(
    row: Mapping[str, Any], spec: TaskSpec, path: Path, line: int, context: ReadContext | None = None
) -> Example:
    """Map one row (a JSON object or a CSV record) to an Example by the spec's columns."""
    tokens_col, tags_col = spec.column("tokens", "tokens"), spec.column("tags", "tags")
    text_col = present_column(row, spec.column("text", "text"))
    if text_col not in row and tokens_col in row:  # pre-tokenized NER rows
        return tokens_row_to_example(row, tokens_col, tags_col, spec, path, line, context)
    text = get_text(row, path, line, "text", text_col)
    pair_col = present_column(row, spec.column("text_pair"), optional=True)
    label_col = present_column(row, spec.column("label", "label"), optional=True)
    return Example(
        id=_id(row, spec, line),
        line=line,
        source=str(path),
        text=text,
        text_pair=get_text(row, path, line, "text_pair", pair_col) if pair_col is not None else None,
        choices=_choices(row, spec, path, line),
        label=row.get(label_col),
        entities=_entities(row, spec, text, path, line),
        fields=dict(row),
    )


# --- pre-tokenized rows (JSONL tokens/tags; CoNLL has its own reader) -----------------------


def tokens_row_to_example(
    row: Mapping[str, Any], tokens_col: str, tags_col: str, spec: TaskSpec, path: Path, line: int,
    context: ReadContext | None = None,
) -> Example:
    """A JSONL row ``{"tokens": [...], "tags": ["B-LOC", ...]}`` (the HF datasets NER layout)."""
    tokens, tags = row[tokens_col], row.get(tags_col)
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise DataFormatError(path, line, f"column {tokens_col!r} must be a list of non-empty strings")
    text, spans = join_tokens(tokens)
    entities: tuple[Entity, ...] = ()
    if tags is not None:
        if not isinstance(tags, list) or len(tags) != len(tokens) or not all(isinstance(t, str) for t in tags):
            raise DataFormatError(
                path, line, f"column {tags_col!r} must be one IOB2 tag string per token ({len(tokens)} tokens)",
                "write tag names (B-LOC), not ids",
            )
        entities = tags_to_entities(tags, spans, text, path, [line] * len(tags), context)
    return Example(
        id=_id(row, spec, line), line=line, source=str(path), text=text, entities=entities,
        fields={"text": text, **row}, token_spans=tuple(spans),
    )
