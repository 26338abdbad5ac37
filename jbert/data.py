"""The records that flow down the pipeline: reader -> Example -> head -> Prediction.

Examples keep the input's id and (1-based) line so every later error and every
output row can point back at the user's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jbert.errors import DataFormatError

Label = str | float | int


@dataclass(frozen=True)
class Entity:
    """A character span ``text[start:end]`` of the ORIGINAL text with a type label."""

    start: int
    end: int
    label: str
    text: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class Answer:
    """A QA gold answer: its text and its character start in the ORIGINAL context."""

    text: str
    start: int


@dataclass(frozen=True)
class Example:
    """One input row, in the roles the task spec mapped its columns to.

    Roles by head:
      classification        text, label (str)
      pair-classification   text, text_pair, label (str)
      pair-regression       text, text_pair, label (float)
      token (NER)           text, entities
      span (QA)             text = question, text_pair = context, answers
      choice                text = question, choices, label (int index)
    ``label`` / ``entities`` / ``answers`` are empty at prediction time.
    ``fields`` is the raw input row (passed through to prediction output).
    ``token_spans``: for pre-tokenized input (CoNLL, JSONL tokens), each input token's character
    span in ``text``, so a predicted entity can name the tokens it covers.
    """

    id: str
    line: int
    source: str = ""
    text: str = ""
    text_pair: str | None = None
    choices: tuple[str, ...] = ()
    label: Label | None = None
    entities: tuple[Entity, ...] = ()
    answers: tuple[Answer, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    token_spans: tuple[tuple[int, int], ...] = field(default=(), compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Prediction:
    """One output row, keyed by the Example's id. Only the fields of the head's shape are set.

    classification / pair-classification: label, score, probabilities
    pair-regression: score
    token (NER): entities (with start/end into the ORIGINAL text, text, label, score)
    span (QA): answer, start, end, score, n_best (list of dicts) when asked
    choice: label (int index), score, probabilities
    embedding: vector (``[dim]`` for one text, ``[texts, dim]`` for a pair); score: the pair's cosine
    """

    id: str
    line: int
    label: Label | None = None
    score: float | None = None
    probabilities: Mapping[str, float] | None = None
    entities: tuple[Entity, ...] | None = None
    answer: str | None = None
    start: int | None = None
    end: int | None = None
    n_best: tuple[Mapping[str, Any], ...] | None = None
    vector: Any = field(default=None, compare=False, repr=False)  # a numpy array


@dataclass(frozen=True)
class RowError:
    """An input row that could not be read (or predicted): where it is and why. Readers yield it
    in place of the row's Example, so one bad row never hides the rows after it."""

    source: str
    line: int | None
    reason: str
    id: str | None = None
    kind: str = field(default="unparseable", compare=False)
    fix: str | None = field(default=None, compare=False)

    @classmethod
    def from_error(cls, exc: DataFormatError, example_id: str | None = None) -> RowError:
        reason = exc.reason + (f" ({exc.fix})" if exc.fix else "")
        return cls(exc.path, exc.line, reason, example_id, kind=exc.kind, fix=exc.fix)

    def to_error(self) -> DataFormatError:
        """The same problem as an exception (the reason already carries the fix)."""
        error = DataFormatError(self.source, self.line, self.reason)
        error.kind = self.kind
        return error

    def to_row(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "id": self.id, "error": self.reason}
