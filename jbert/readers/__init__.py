"""File readers: one module per format, each registered in READERS.

Contract: ``reader(path, spec) -> Iterator[Example]``. Examples keep the input's id (the id
column, else the 1-based line number / record index as a string) and the 1-based line.
Bad rows raise ``DataFormatError(path, line, reason, fix)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from jbert.data import Example
from jbert.registry import Registry
from jbert.tasks import TaskSpec

Reader = Callable[[Path, TaskSpec], Iterator[Example]]
READERS: Registry[Reader] = Registry("reader")


def read(path: str | Path, spec: TaskSpec, reader: str | None = None) -> Iterator[Example]:
    """Read ``path`` with the spec's reader (or ``reader``; ``-`` reads stdin where supported)."""
    _load_builtin_readers()
    return READERS.get(reader or spec.reader)(Path(path), spec)


def _load_builtin_readers() -> None:
    # Imported lazily so that `import jbert.readers` stays cheap; each module registers itself.
    from jbert.readers import conll, csv_reader, jsonl, squad, text  # noqa: F401
