"""File readers: one module per format, each registered in READERS, used by every command.

Contract: ``reader(path, spec, context) -> Iterator[Example | RowError]``. A row that cannot be
read becomes a RowError at its place in the file instead of stopping the file, so each caller
chooses: fine-tuning reports every bad row at once (``read_examples``), ``predict --on-error
skip`` writes them to its errors file, the first one stops ``read`` (eval, ``predict --on-error
fail``), and ``jbert data check`` lists them. What cannot be isolated (a file that is not UTF-8
or not JSON at all, broken CSV quoting, a duplicated header) still raises DataFormatError.
Examples keep the input's id (the id column, else the 1-based line number / record index as a
string) and the 1-based line.

May import: ``jbert.config`` (task specs) and the shared leaves (``jbert.data``, ``jbert.errors``,
``jbert.registry``) only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from jbert.config.run import IOB_MODES
from jbert.config.tasks import TaskSpec
from jbert.data import Example, RowError
from jbert.errors import DataFormatError
from jbert.readers.files import DEFAULT_ENCODING, reader_for
from jbert.readers.iob import ReadContext
from jbert.registry import Registry

Item = Example | RowError
Reader = Callable[[Path, TaskSpec, ReadContext], Iterator[Item]]
READERS: Registry[Reader] = Registry("reader")
SHOWN_ERRORS = 5  # rows named in a "N rows cannot be read" message


def read_items(
    path: str | Path, spec: TaskSpec, reader: str | None = None, context: ReadContext | None = None,
    warn: bool = True,
) -> Iterator[Item]:
    """Examples and RowErrors of ``path`` in file order, read with ``reader``, else the one its extension
    names, else the spec's (``jbert.readers.files.reader_for``; ``-`` reads stdin where supported). Repaired IOB slips are warned about once, at the end, unless
    ``warn`` is False (the caller reports ``context.slips`` itself)."""
    _load_builtin_readers()
    read_fn = READERS.get(reader_for(path, spec, reader))  # an unknown name fails here, not on first use
    context = context or ReadContext()
    items = read_fn(Path(path), spec, context)
    return _warn_at_end(items, path, context) if warn else items


def _warn_at_end(items: Iterator[Item], path: str | Path, context: ReadContext) -> Iterator[Item]:
    yield from items
    context.warn_slips(path)


def read(path: str | Path, spec: TaskSpec, reader: str | None = None, iob: str = "repair",
         encoding: str = DEFAULT_ENCODING) -> Iterator[Example]:
    """Examples of ``path``; the first row that cannot be read raises its DataFormatError."""
    return raise_errors(read_items(path, spec, reader, ReadContext(iob=iob, encoding=encoding)))


def raise_errors(items: Iterator[Item]) -> Iterator[Example]:
    for item in items:
        if isinstance(item, RowError):
            raise item.to_error()
        yield item


def read_examples(path: str | Path, spec: TaskSpec, reader: str | None = None, iob: str = "repair",
                  encoding: str = DEFAULT_ENCODING) -> list[Example]:
    """Every Example of ``path``; when rows cannot be read, ONE DataFormatError names them all
    (the first few with their reasons), so a corpus is fixed in one pass, not one run per row."""
    examples: list[Example] = []
    errors: list[RowError] = []
    for item in read_items(path, spec, reader, ReadContext(iob=iob, encoding=encoding)):
        (errors if isinstance(item, RowError) else examples).append(item)
    if errors:
        raise rows_error(path, errors)
    return examples


def rows_error(path: str | Path, errors: list[RowError]) -> DataFormatError:
    shown = "; ".join(f"line {e.line}: {e.reason}" for e in errors[:SHOWN_ERRORS])
    more = f"; and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
    return DataFormatError(
        path, errors[0].line, f"{len(errors)} row(s) cannot be read: {shown}{more}",
        "fix them; `jbert data check` lists every problem of a file at once",
    )


def _load_builtin_readers() -> None:
    # Imported lazily so that `import jbert.readers` stays cheap; each module registers itself.
    from jbert.readers import conll, csv_reader, jsonl, squad, text  # noqa: F401


__all__ = ["IOB_MODES", "READERS", "Item", "ReadContext", "raise_errors", "read", "read_examples", "read_items"]
