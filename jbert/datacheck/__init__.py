"""``jbert data check``: every problem of a dataset at once, with statistics, before training.

May import: ``jbert.finetuning`` (which files a run reads), ``jbert.heads``, ``jbert.models``,
``jbert.readers``, ``jbert.tokenization`` and everything below; never ``jbert.api`` or the CLI.
"""

from jbert.datacheck.checks import check_data
from jbert.datacheck.report import KINDS, DataReport, Problem, format_report

__all__ = ["KINDS", "DataReport", "Problem", "check_data", "format_report"]
