"""Pre-tokenized sentences (CoNLL, JSONL tokens/tags) -> text + character-span entities, and the
one rule for IOB2 tags that continue no entity.

Real corpora have slips: an ``I-X`` after ``O`` or after another type. conlleval and seqeval
(default mode) read such a tag as the start of an entity, and so does jbert by default
(``data.iob: repair``); every repaired tag is recorded in the ``ReadContext`` so the reader can
warn once per file, naming the first lines. ``data.iob: strict`` refuses them instead (the row
is an error naming its line).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.config.run import check_iob_mode
from jbert.data import Entity
from jbert.errors import IobError
from jbert.readers.files import check_encoding

logger = logging.getLogger(__name__)


@dataclass
class ReadContext:
    """How a file is read (``iob``, ``encoding``) and what reading it had to repair: ``slips`` holds the
    ``(line, tag)`` of every repaired ``I-X``, in file order."""

    iob: str = "repair"
    slips: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = "utf-8"  # the input files' text encoding (--encoding); checked by readers.files

    def __post_init__(self) -> None:
        check_iob_mode(self.iob)
        self.encoding = check_encoding(self.encoding)

    def warn_slips(self, path: Path | str, shown: int = 5) -> None:
        """One warning per file: how many tags were repaired, and where the first ones are."""
        if not self.slips:
            return
        first = ", ".join(f"{line} ({tag})" for line, tag in self.slips[:shown])
        more = f" and {len(self.slips) - shown} more" if len(self.slips) > shown else ""
        logger.warning(
            "%s: %d IOB tag(s) continue no entity; read as the start of an entity, as conlleval and seqeval "
            "do: line %s%s (--set data.iob=strict refuses them; `jbert data check` lists them all)",
            path, len(self.slips), first, more,
        )


def _needs_space(left: str, right: str) -> bool:
    # Japanese corpora split words that are written without spaces; only two ASCII words
    # ("New" "York", "iPhone" "15") were separated by a space in the original text.
    return left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum()


def join_tokens(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens -> (text, each token's character span). See ``_needs_space`` for the spacing rule."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for i, token in enumerate(tokens):
        if i and _needs_space(tokens[i - 1], token):
            parts.append(" ")
            pos += 1
        parts.append(token)
        spans.append((pos, pos + len(token)))
        pos += len(token)
    return "".join(parts), spans


def tags_to_entities(
    tags: Sequence[str],
    spans: Sequence[tuple[int, int]],
    text: str,
    path: Path,
    lines: Sequence[int],
    context: ReadContext | None = None,
) -> tuple[Entity, ...]:
    """IOB2 tags (one per token) -> entities as character spans. ``lines[i]`` is token i's line.
    A tag that is not IOB2 raises IobError; so does a slip when ``context.iob`` is strict."""
    context = context or ReadContext()
    entities: list[Entity] = []
    current: list[Any] | None = None  # [label, start, end]
    for tag, (start, end), line in zip(tags, spans, lines, strict=True):
        prefix, label = _split(tag, path, line)
        if prefix == "I" and (current is None or current[0] != label):
            if context.iob == "strict":
                raise IobError(path, line, f"{tag!r} does not continue a B-{label} or I-{label}",
                               f"start the entity with B-{label}, or drop --set data.iob=strict")
            context.slips.append((line, tag))
            prefix = "B"  # conlleval / seqeval: an I-X that continues nothing starts an entity
        if current is not None and prefix != "I":
            entities.append(Entity(current[1], current[2], current[0], text[current[1] : current[2]]))
            current = None
        if prefix == "B":
            current = [label, start, end]
        elif prefix == "I":
            current[2] = end  # type: ignore[index]
    if current is not None:
        entities.append(Entity(current[1], current[2], current[0], text[current[1] : current[2]]))
    return tuple(entities)


def _split(tag: str, path: Path, line: int) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, _, label = tag.partition("-")
    if prefix not in ("B", "I") or not label:
        raise IobError(path, line, f"tag {tag!r} is not IOB2", "use O, B-TYPE or I-TYPE (convert IOB1/BIOES first)")
    return prefix, label
