"""Prediction inputs: which reader reads a file, and reading that survives bad rows.

The format comes from ``--input-format``, else the file's extension, else (``.json``, stdin) the
task spec's own reader, so JGLUE's ``*.json`` (JSON Lines) and JSQuAD's SQuAD JSON both work.

``--on-error fail`` reads with the registered readers (``jbert.readers``): the first bad row
stops the run. ``--on-error skip`` needs to carry on past a bad row, which a reader generator
cannot do once it has raised, so the line-oriented formats (JSON Lines, CSV/TSV, plain text)
are read here one row at a time with the readers' own row mapping (``row_to_example``); a bad
row becomes a ``RowError``. Whole-document formats (SQuAD JSON, CoNLL) have no independent rows:
a structural error there stops the run in either mode.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.inference.core import RowError
from jbert.readers import READERS, _load_builtin_readers, read
from jbert.readers._common import iter_lines, json_objects, require_rows, row_to_example
from jbert.registry import Registry
from jbert.tasks import TaskSpec

Item = Example | RowError
RowSource = Callable[[Path, TaskSpec], Iterator[Item]]
ISOLATING: Registry[RowSource] = Registry("row-isolating reader")

# None: the task spec's own reader (JGLUE ships JSON Lines as *.json, JSQuAD SQuAD JSON as *.json).
EXTENSIONS: dict[str, str | None] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": None,
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "text",
    ".text": "text",
    ".conll": "conll",
    ".iob": "conll",
    ".iob2": "conll",
    ".bio": "conll",
}


def input_reader(path: str | Path, spec: TaskSpec, input_format: str | None = None) -> str:
    """The reader name for ``path``: ``--input-format``, else by extension, else the spec's reader."""
    if input_format:
        _load_builtin_readers()
        READERS.get(input_format)  # an unknown name is an error listing the readers
        return input_format
    return EXTENSIONS.get(Path(str(path)).suffix.lower()) or spec.reader


def read_items(path: str | Path, spec: TaskSpec, reader: str, skip_errors: bool) -> Iterator[Item]:
    """Examples (and, with ``skip_errors`` on a line-oriented format, RowErrors) in file order."""
    if skip_errors and reader in ISOLATING:
        return require_rows(ISOLATING.get(reader)(Path(str(path)), spec), Path(str(path)))  # type: ignore[arg-type]
    return read(path, spec, reader)


@ISOLATING.register("jsonl")
def _jsonl_items(path: Path, spec: TaskSpec) -> Iterator[Item]:
    for line, row in json_objects(path):
        if isinstance(row, DataFormatError):
            yield RowError.from_error(row)
            continue
        yield _example(row, spec, path, line)


@ISOLATING.register("text")
def _text_items(path: Path, spec: TaskSpec) -> Iterator[Item]:
    paired = spec.column("text_pair") is not None
    for line, raw in iter_lines(path):
        text, tab, pair = raw.partition("\t") if paired else (raw, "", None)
        if paired and not tab:
            yield RowError(str(path), line, "no tab between text and text_pair (write text<TAB>text_pair)")
            continue
        yield Example(
            id=str(line), line=line, source=str(path), text=text, text_pair=pair, fields={"text": raw}
        )


@ISOLATING.register("csv")
def _csv_items(path: Path, spec: TaskSpec) -> Iterator[Item]:
    # As the csv reader: the delimiter follows the extension.
    return _delimited_items(path, spec, "\t" if path.suffix.lower() in (".tsv", ".tab") else ",")


@ISOLATING.register("tsv")
def _tsv_items(path: Path, spec: TaskSpec) -> Iterator[Item]:
    return _delimited_items(path, spec, "\t")


def _delimited_items(path: Path, spec: TaskSpec, delimiter: str) -> Iterator[Item]:
    records = csv.reader((text for _, text in iter_lines(path, keep_ends=True)), delimiter=delimiter)
    try:
        header = next(records, None)
        start = records.line_num + 1
        for record in records:
            line, start = start, records.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is not None and len(record) != len(header):
                yield RowError(str(path), line, f"{len(record)} fields but the header has {len(header)}")
                continue
            yield _example(dict(zip(header or [], record, strict=True)), spec, path, line)
    except csv.Error as exc:  # the quoting is broken: no later row can be trusted
        raise DataFormatError(path, records.line_num, f"bad CSV: {exc}") from None


def _example(row: dict, spec: TaskSpec, path: Path, line: int) -> Item:
    try:
        return row_to_example(row, spec, path, line)
    except DataFormatError as exc:
        return RowError.from_error(exc)
