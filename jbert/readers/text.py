"""Plain text for prediction: one text a line, id = the line number.

Blank lines are kept (as empty texts) so that the output has exactly one row per input line
and can be pasted beside it. When the spec maps a ``text_pair`` column, each line is
``text<TAB>text_pair``. ``-`` reads stdin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.data import Example, RowError
from jbert.readers import READERS
from jbert.readers._common import Item, iter_lines, require_rows
from jbert.readers.iob import ReadContext


@READERS.register("text")
def read_text_lines(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Stream one Example per line of a UTF-8 text file."""
    return require_rows(_rows(path, spec, context.encoding), path, "lines")


def _rows(path: Path, spec: TaskSpec, encoding: str) -> Iterator[Item]:
    pair_col = spec.column("text_pair")
    optional = isinstance(pair_col, (list, tuple))  # alternatives (the embedding task): a pair when the line has a tab
    for line, raw in iter_lines(path, encoding=encoding):
        text, pair = raw, None
        if pair_col is not None and (not optional or "\t" in raw):
            text, tab, pair = raw.partition("\t")
            if not tab:
                fix = "write text<TAB>text_pair"
                yield RowError(str(path), line, f"no tab between text and text_pair ({fix})", fix=fix)
                continue
        yield Example(id=str(line), line=line, source=str(path), text=text, text_pair=pair, fields={"text": raw})
