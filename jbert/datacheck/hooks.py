"""Per-head additions to ``jbert data check``, registered by head name (``HEAD_CHECKS``), so the generic
check never branches on a task: a head with no entry gets ``HeadCheck``, which adds nothing
(``jbert.datacheck.head_checks.head_check`` looks one up).

A check is called at three points of ``jbert.datacheck.checks.check_data``:

* ``rows``: before the head is made, per split: the rows the head can take together (the others are
  reported; the embedding head needs every row of a file in one layout);
* ``validate``: per split, the rows the head accepts, each bad one reported at its line;
* ``check``: after the loss is chosen, on the accepted rows of every split: more problems and the
  head's statistics (``report.splits[split]["statistics"]``).

``key`` is what makes two rows the same input (train/valid overlap); ``token_lengths`` measures rows
for ``--model`` where a head does not encode a row as one sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.datacheck.report import DataReport
from jbert.errors import DataFormatError
from jbert.heads import Head
from jbert.registry import Registry


class HeadCheck:
    """The default: every row, the head's own row-by-row validation, no extra problems."""

    def rows(self, report: DataReport, spec: TaskSpec, examples: list[Example]) -> list[Example]:
        return examples

    def validate(self, report: DataReport, head: Head, split: str, examples: Sequence[Example]) -> list[Example]:
        # the head stops at the first bad row of a list, so each row goes alone
        return accepted(report, examples, lambda example: head.validate([example], train=True))

    def check(self, report: DataReport, head: Head, splits: dict[str, list[Example]]) -> None:
        """More problems and statistics, once the rows are validated and the loss chosen."""

    def key(self, example: Example) -> tuple[Any, ...]:
        return example.text, example.text_pair, example.choices

    def token_lengths(self, head: Head, examples: Sequence[Example], tokenizer: Any) -> np.ndarray | None:
        """Each row's untruncated model-input length, where the head does not encode a row as one sequence
        (or a text pair); None: ``jbert.datacheck.tokens.token_lengths``."""
        return None


HEAD_CHECKS: Registry[type[HeadCheck]] = Registry("data check")


def accepted(report: DataReport, examples: Sequence[Example], check: Callable[[Example], Any],
             kind: str | None = None, with_fix: bool = False) -> list[Example]:
    """The rows ``check`` passes; each DataFormatError reported at its row (as ``kind``, else its own)."""
    out = []
    for example in examples:
        try:
            check(example)
            out.append(example)
        except DataFormatError as exc:
            detail = f"{exc.reason} ({exc.fix})" if with_fix and exc.fix else exc.reason
            report.add(kind or exc.kind, exc.path, exc.line, detail)
    return out
