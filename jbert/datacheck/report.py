"""What ``jbert data check`` finds: problems by kind (each with every place, capped when shown)
and the statistics people look at before training.

Errors stop ``jbert finetune``; warnings do not (training runs, but the data may not be what
was meant). Each kind has one fixed severity and one explanation, listed in ``KINDS``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR, WARNING = "error", "warning"

# kind -> (severity, what it means and what to do). The order is the order of the report.
KINDS: dict[str, tuple[str, str]] = {
    "unparseable": (ERROR, "rows that cannot be parsed"),
    "missing_column": (ERROR, "rows without a column the task needs (map it with --set task.columns.ROLE=NAME)"),
    "iob": (ERROR, "tags that are not IOB2, or (data.iob=strict) I-X tags that continue no entity"),
    "missing_label": (ERROR, "rows without a gold label / entities / answers"),
    "unknown_label": (ERROR, "labels outside the label set (the task spec's, else the training file's)"),
    "labels": (ERROR, "a label set a model cannot be trained on"),
    "invalid": (ERROR, "rows the task's head rejects"),
    "layout": (ERROR, "rows whose columns differ from the file's first row (the columns choose the embedding "
                      "loss: every row of a file needs the same)"),
    "missing_group": (ERROR, "rows without a group id (query_id) in a file whose other rows have one (listwise)"),
    "small_group": (ERROR, "query groups with one document (the listwise loss ranks several)"),
    "group_without_positive": (ERROR, "query groups without a relevant document (label >= 1), which the "
                                      "listwise loss needs"),
    "iob_repaired": (WARNING, "I-X tags that continue no entity, read as its start (as conlleval/seqeval)"),
    "mixed_label_types": (WARNING, "labels written as different JSON types: a class is its label's text, so 1 and "
                                   "\"1\" are one class but 1.0 and true are others; write every label one way"),
    "empty_text": (WARNING, "rows with an empty text"),
    "duplicate_id": (WARNING, "ids used by more than one row (outputs are keyed by id)"),
    "query_without_positive": (WARNING, "queries without a relevant document (label >= 1): no ranking signal "
                                        "in training; left out of nDCG/MRR/MAP in validation"),
    "conflicting_labels": (WARNING, "pairs that occur again with another label (the model is taught both)"),
    "duplicate_pair": (WARNING, "pairs that occur again with the same label (trained on twice)"),
    "positive_is_anchor": (WARNING, "anchor/positive pairs whose positive is the anchor itself (nothing to learn)"),
    "negative_is_positive": (WARNING, "hard negatives equal to their row's anchor or positive"),
    "shared_positive": (WARNING, "anchors whose positive an earlier anchor has too (handled: rows that share a "
                                 "text never share a batch, so batches may come out short)"),
    "overlap": (WARNING, "validation rows whose text is also in the training file"),
    "query_overlap": (WARNING, "validation queries / sentences also in the training file (in another pair): "
                               "a leak"),
    "truncated": (WARNING, "rows longer than max_length (cut; QA: the question is cut)"),
    "misaligned": (WARNING, "entities / answers that do not start and end on token boundaries"),
}


@dataclass
class Problem:
    """Every place one kind of problem occurs: ``where`` holds ``file:line: detail`` strings."""

    kind: str
    count: int = 0
    where: list[str] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return KINDS[self.kind][0]

    @property
    def description(self) -> str:
        return KINDS[self.kind][1]


@dataclass
class DataReport:
    """The whole check: problems by kind, per-split statistics, token statistics (with a model)."""

    task: str
    problems: dict[str, Problem] = field(default_factory=dict)
    splits: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels_only_in_valid: list[str] = field(default_factory=list)
    tokens: dict[str, Any] | None = None

    def add(self, kind: str, source: str, line: int | None, detail: str) -> None:
        if kind not in KINDS:
            kind = "invalid"
        problem = self.problems.setdefault(kind, Problem(kind))
        problem.count += 1
        problem.where.append(f"{source}:{line}: {detail}" if line is not None else f"{source}: {detail}")

    @property
    def errors(self) -> int:
        return sum(p.count for p in self.problems.values() if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(p.count for p in self.problems.values() if p.severity == WARNING)

    def ordered(self) -> list[Problem]:
        return [self.problems[k] for k in KINDS if k in self.problems]

    def to_dict(self, shown: int | None = None) -> dict[str, Any]:
        problems = []
        for p in self.ordered():
            item = {**asdict(p), "severity": p.severity, "description": p.description}
            item["where"] = p.where[:shown] if shown is not None else p.where
            problems.append(item)
        return {
            "task": self.task,
            "ok": self.errors == 0,
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": problems,
            "splits": self.splits,
            "labels_only_in_valid": self.labels_only_in_valid,
            "tokens": self.tokens,
        }


def format_report(report: DataReport, shown: int = 10) -> str:
    """The report as text: statistics, then each kind of problem with its first ``shown`` places."""
    lines = [f"jbert data check: {report.task}"]
    for split, stats in report.splits.items():
        lines.append(f"{split}: {stats['path']}: {stats['rows']} rows, {stats['examples']} examples, "
                     f"{stats['rows_in_error']} in error")
        if stats.get("labels"):
            lines.append("  labels: " + ", ".join(f"{k} {v}" for k, v in stats["labels"].items()))
        for name, values in stats.get("statistics", {}).items():  # the head's own (jbert.datacheck.hooks)
            lines.append(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
    if report.labels_only_in_valid:
        lines.append("labels in valid but not in train: " + ", ".join(report.labels_only_in_valid))
    if report.tokens:
        lines += _token_lines(report.tokens)
    for problem in report.ordered():
        lines.append(f"{problem.severity}: {problem.count} {problem.description}")
        lines += [f"  {where}" for where in problem.where[:shown]]
        if problem.count > shown:
            lines.append(f"  ... and {problem.count - shown} more (--json lists all)")
    verdict = "training would stop" if report.errors else "ready to train"
    lines.append(f"{report.errors} error(s), {report.warnings} warning(s): {verdict}")
    return "\n".join(lines)


def _token_lines(tokens: dict[str, Any]) -> list[str]:
    lines = [f"tokens ({tokens['tokenizer']}, max_length {tokens['max_length']}):"]
    for split, stats in tokens["splits"].items():
        p = stats["percentiles"]
        text = (f"  {split}: length p50 {p['50']}, p90 {p['90']}, p95 {p['95']}, p99 {p['99']}, max {p['100']}; "
                f"{stats['truncated']} of {stats['examples']} truncated")
        if "windows" in stats:
            text += f"; {stats['windows']} windows, {stats['split_into_windows']} contexts split"
        lines.append(text)
    return lines
