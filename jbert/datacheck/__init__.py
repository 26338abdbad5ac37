"""``jbert data check``: every problem of a dataset at once, with statistics, before training."""

from jbert.datacheck.checks import check_data
from jbert.datacheck.report import KINDS, DataReport, Problem, format_report

__all__ = ["KINDS", "DataReport", "Problem", "check_data", "format_report"]
