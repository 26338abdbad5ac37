"""CoNLL / IOB2: one token a line (token first, tag in the last column, tab or space separated),
a blank line between sentences; ``-DOCSTART-`` lines are skipped.

The sentence text is the tokens joined without spaces, as Japanese is written, except that a
space goes between two ASCII letters/digits (``New`` ``York`` -> ``New York``); entities become
character spans of that text. An Example's line is its first token's line and its id the
sentence number (1-based). A sentence with a line that has no tag, or with a tag that is not
IOB2, is a RowError at that line; the sentences around it are read as usual. Tags that continue
no entity follow ``data.iob`` (``jbert.readers.iob``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.config.tasks import TaskSpec
from jbert.data import Example, RowError
from jbert.errors import DataFormatError
from jbert.readers import READERS
from jbert.readers._common import Item, iter_lines, require_rows
from jbert.readers.iob import ReadContext, join_tokens, tags_to_entities


@READERS.register("conll")
def read_conll(path: Path, spec: TaskSpec, context: ReadContext) -> Iterator[Item]:
    """Stream one Example per sentence of a CoNLL/IOB2 file."""
    return require_rows(_sentences(path, context), path, "sentences")


def _sentences(path: Path, context: ReadContext) -> Iterator[Item]:
    rows: list[tuple[int, list[str]]] = []  # (line, cells) of the current sentence
    count = 0
    for line, raw in iter_lines(path, encoding=context.encoding):
        cells = raw.split()
        if cells and cells[0] != "-DOCSTART-":
            rows.append((line, cells))
        elif rows:
            count += 1
            yield _sentence(rows, count, path, context)
            rows = []
    if rows:
        yield _sentence(rows, count + 1, path, context)


def _sentence(rows: list[tuple[int, list[str]]], number: int, path: Path, context: ReadContext) -> Item:
    try:
        for line, cells in rows:
            if len(cells) < 2:
                raise DataFormatError(path, line, f"{cells[0]!r} has no tag column", "write TOKEN<TAB>TAG")
        tokens, tags, lines = [c[0] for _, c in rows], [c[-1] for _, c in rows], [line for line, _ in rows]
        text, spans = join_tokens(tokens)
        entities = tags_to_entities(tags, spans, text, path, lines, context)
    except DataFormatError as exc:
        return RowError.from_error(exc, str(number))
    return Example(
        id=str(number),
        line=lines[0],
        source=str(path),
        text=text,
        entities=entities,
        # the text the entities' offsets refer to travels with the row, so a prediction row shows it
        fields={"text": text, "tokens": tokens, "tags": tags},
        token_spans=tuple(spans),
    )
