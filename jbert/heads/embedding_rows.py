"""What an embedding file's rows hold, decided once per file: the layout that picks the training loss,
and what each loss needs of the rows.

  pairs    anchor, positive [, negatives]   (no label)
  scored   sentence1, sentence2, score      (a ``score`` column, or numbers that are not all whole)
  classes  sentence1, sentence2, label      (class names, or whole numbers)
  single   text                             (no second text)

Every row of a file must have the same layout (and the same number of negatives): a row that differs
is reported at its line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jbert.data import Example
from jbert.errors import DataFormatError
from jbert.heads._util import data_error
from jbert.registry import Registry

LAYOUTS = ("pairs", "scored", "classes", "single")
SCALE = 20.0  # sentence-transformers' default for MNRL and CoSENT (a temperature of 0.05)


@dataclass(frozen=True)
class LossKind:
    """What a loss needs of the rows: ``targets`` None (no labels), "score" (numbers) or "class" (class
    names); ``texts`` "rows" (the row's own columns) or "twice" (the first text twice, for SimCSE).
    The modules are built by ``jbert.heads.embedding_losses.build_loss``."""

    targets: str | None
    texts: str = "rows"


LOSSES: Registry[LossKind] = Registry("embedding loss")
LOSSES.register("mnrl")(LossKind(None))
LOSSES.register("simcse")(LossKind(None, "twice"))
LOSSES.register("cosent")(LossKind("score"))
LOSSES.register("cosine")(LossKind("score"))
LOSSES.register("softmax")(LossKind("class"))
_NEGATIVE = re.compile(r"negative(_?\d+)?$")  # negative, negative_1, negative2 ... (sentence-transformers' names)


def negative_columns(example: Example, columns: Sequence[str] | None = None) -> list[str]:
    """The row's hard-negative columns: the named ``columns``, else every ``negative``/``negative_N`` column."""
    return list(columns) if columns is not None else [k for k in example.fields if _NEGATIVE.match(str(k))]


def negatives(example: Example, columns: Sequence[str] | None = None) -> list[str]:
    """The row's hard negatives: the texts of its ``negative_columns``."""
    names = negative_columns(example, columns)
    out = []
    for name in names:
        value = example.fields.get(name)
        if not isinstance(value, str):
            kind = "missing" if name not in example.fields else "null" if value is None else type(value).__name__
            raise data_error(example, f"negative column {name!r} is {kind}, expected text",
                             "every row of a file needs the same negative columns, each a text")
        out.append(value)
    return out


def number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def layout(examples: Sequence[Example], negative_columns: Sequence[str] | None = None) -> str:
    """The file's layout (see the module docstring); DataFormatError at the first row that differs."""
    if not examples:
        return "single"
    first = examples[0]
    kind = _row_kind(first, negative_columns)
    for example in examples[1:]:
        other = _row_kind(example, negative_columns)
        if other != kind:
            raise data_error(example, f"this row holds {_describe(other)} but line {first.line} holds "
                             f"{_describe(kind)}", "every row of a file needs the same columns")
    if kind[0] != "labelled":
        return kind[0]
    values = [number(e.label) for e in examples]
    scored = "score" in first.fields or (None not in values and any(not v.is_integer() for v in values))
    return "scored" if scored else "classes"


def _row_kind(example: Example, negative_columns: Sequence[str] | None) -> tuple[str, int]:
    count = len(negatives(example, negative_columns))
    if example.text_pair is None:
        if count:
            raise data_error(example, "negatives without a positive", "give anchor, positive and negative columns")
        return ("single", 0)
    if count or example.label is None or example.label == "":
        return ("pairs", count)
    return ("labelled", 0)


def _describe(kind: tuple[str, int]) -> str:
    name, count = kind
    if name == "pairs":
        return f"a text pair with {count} negative(s)" if count else "a text pair without a label"
    return {"single": "one text", "labelled": "a labelled text pair"}[name]


def scores(examples: Sequence[Example], what: str) -> list[float]:
    """Every row's label as a number; DataFormatError at the first that is not one."""
    out = []
    for example in examples:
        value = number(example.label)
        if value is None:
            raise data_error(example, f"label {example.label!r} is not a number", f"{what} needs a similarity score")
        out.append(value)
    return out


def require_pairs(examples: Sequence[Example], what: str) -> None:
    for example in examples:
        if example.text_pair is None:
            raise DataFormatError(example.source or "<input>", example.line, f"one text; {what} needs a text pair",
                                  "give sentence1 and sentence2 (or anchor and positive) columns")
