"""CoNLL / IOB2: one token a line (token first, tag in the last column, tab or space separated),
a blank line between sentences; ``-DOCSTART-`` lines are skipped.

The sentence text is the tokens joined without spaces, as Japanese is written, except that a
space goes between two ASCII letters/digits (``New`` ``York`` -> ``New York``); entities become
character spans of that text. An Example's line is its first token's line and its id the
sentence number (1-based). A tag ``I-X`` that does not continue ``B-X``/``I-X`` is an error at
its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.readers import READERS
from jbert.readers._common import iter_lines, join_tokens, require_rows, tags_to_entities
from jbert.tasks import TaskSpec


@READERS.register("conll")
def read_conll(path: Path, spec: TaskSpec) -> Iterator[Example]:
    """Stream one Example per sentence of a CoNLL/IOB2 file."""
    return require_rows(_sentences(path), path, "sentences")


def _sentences(path: Path) -> Iterator[Example]:
    tokens: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    count = 0
    for line, raw in iter_lines(path):
        cells = raw.split()
        if cells and cells[0] != "-DOCSTART-":
            if len(cells) < 2:
                raise DataFormatError(path, line, f"{raw.strip()!r} has no tag column", "write TOKEN<TAB>TAG")
            tokens.append(cells[0])
            tags.append(cells[-1])
            lines.append(line)
        elif tokens:
            count += 1
            yield _sentence(tokens, tags, lines, count, path)
            tokens, tags, lines = [], [], []
    if tokens:
        yield _sentence(tokens, tags, lines, count + 1, path)


def _sentence(tokens: list[str], tags: list[str], lines: list[int], number: int, path: Path) -> Example:
    text, spans = join_tokens(tokens)
    entities = tags_to_entities(tags, spans, text, path, lines)
    return Example(
        id=str(number),
        line=lines[0],
        source=str(path),
        text=text,
        entities=entities,
        fields={"tokens": list(tokens), "tags": list(tags)},
    )
