"""CSV and TSV with a header row. ``csv`` picks the delimiter by extension (``.tsv`` -> tab);
``tsv`` always uses tabs. Quoted fields may span lines; an Example's line is where its record
starts. Cells are strings: heads convert labels (``"3.8"`` -> 3.8 for regression).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.data import RowError
from jbert.errors import DataFormatError
from jbert.readers import READERS
from jbert.readers._common import Item, iter_lines, require_rows, row_item
from jbert.readers.iob import ReadContext

# The csv module refuses a field over 131,072 characters by default ("field larger than field limit");
# a long document in one cell is normal data. 2**31 - 1: the most a C long holds everywhere (Windows).
csv.field_size_limit(2**31 - 1)


@READERS.register("csv")
def read_csv(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Stream Examples from a CSV (or, by extension, TSV) file with a header row."""
    delimiter = "\t" if Path(path).suffix.lower() in (".tsv", ".tab") else ","
    return require_rows(_rows(path, spec, delimiter, context), path, "data rows under the header")


@READERS.register("tsv")
def read_tsv(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Stream Examples from a tab-separated file with a header row."""
    return require_rows(_rows(path, spec, "\t", context), path, "data rows under the header")


def _rows(path: Path, spec: TaskSpec, delimiter: str, context: ReadContext) -> Iterator[Item]:
    lines = (text for _, text in iter_lines(path, keep_ends=True, encoding=context.encoding))
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return
        _check_header(header, path)
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                fix = "quote fields that contain the delimiter" if len(record) > len(header) else "fill every column"
                yield RowError.from_error(
                    DataFormatError(path, line, f"{len(record)} fields but the header has {len(header)}", fix)
                )
                continue
            yield row_item(dict(zip(header, record, strict=True)), spec, path, line, context)
    except csv.Error as exc:  # the quoting is broken: no later row can be trusted
        raise DataFormatError(path, reader.line_num, f"bad CSV: {exc}") from None


def _check_header(header: list[str], path: Path) -> None:
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise DataFormatError(path, 1, f"duplicate column name(s) {duplicates} in the header", "rename them")
