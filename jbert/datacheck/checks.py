"""``jbert data check``: read the files exactly as ``jbert finetune`` would (same spec, reader,
head and label set) and collect every problem instead of stopping at the first.

Row problems come from the readers (RowErrors) and from the head's own validation, run one row
at a time so each bad row is named; the rest (empty texts, duplicated ids, train/valid overlap,
label statistics) is looked at here. What a head adds (the embedding layouts, the reranker's query
groups ...) is registered by head name in ``jbert.datacheck.hooks``. With a model,
``jbert.datacheck.tokens`` adds lengths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

from jbert.config.run import JbertConfig, with_recipe
from jbert.data import Example, RowError
from jbert.datacheck.head_checks import head_check
from jbert.datacheck.pairs import column_name
from jbert.datacheck.report import DataReport
from jbert.errors import DataFormatError
from jbert.finetuning.datafiles import make_head, resolve_data_files, resolve_spec
from jbert.heads import Head
from jbert.heads.classification import regression_value
from jbert.readers import ReadContext, read_items

CLASS_HEADS = ("classification", "pair-classification")  # heads whose labels are class names


def check_data(cfg: JbertConfig) -> DataReport:
    """Every problem of ``cfg.data``'s train (and valid) file for ``cfg.task``, with statistics."""
    spec = resolve_spec(cfg)
    cfg = with_recipe(cfg, spec.recipe)  # the lengths finetune would use (JSQuAD: 384)
    train_path, valid_path = resolve_data_files(cfg.data, spec)
    report = DataReport(task=spec.name)
    hook = head_check(spec.head)  # what the task's head adds (jbert.datacheck.hooks)
    context = {"iob": cfg.data.iob, "encoding": cfg.data.encoding}
    splits = {"train": _read(report, "train", train_path, spec, context)}
    if valid_path is not None:
        splits["valid"] = _read(report, "valid", valid_path, spec, context)
    for split, examples in splits.items():
        _empty_texts(report, spec, examples)
        _duplicate_ids(report, examples)
        report.splits[split]["labels"] = label_counts(spec.head, examples)
    usable = {split: hook.rows(report, spec, examples) for split, examples in splits.items()}
    head = _head(report, spec, usable["train"])
    valid_rows: dict[str, list[Example]] = {}  # per split, the rows the head accepts (encodable)
    if head is not None:
        valid_rows = {split: hook.validate(report, head, split, examples) for split, examples in usable.items()}
        _prepare(report, head, cfg, valid_rows["train"])
        hook.check(report, head, valid_rows)
    if spec.head in CLASS_HEADS:
        _mixed_label_types(report, [e for examples in splits.values() for e in examples])
    if "valid" in splits:
        _overlap(report, splits["train"], splits["valid"], hook.key)
        train_labels = set(report.splits["train"]["labels"])
        report.labels_only_in_valid = sorted(set(report.splits["valid"]["labels"]) - train_labels)
    if cfg.model.name_or_path and head is not None:
        from jbert.datacheck.tokens import token_statistics

        report.tokens = token_statistics(report, head, cfg, valid_rows)
    return report


def _read(report: DataReport, split: str, path: Path, spec: Any, how: dict[str, str]) -> list[Example]:
    context = ReadContext(**how)
    examples, errors = [], 0
    for item in read_items(path, spec, context=context, warn=False):
        if isinstance(item, RowError):
            errors += 1
            report.add(item.kind, item.source, item.line, item.reason)
        else:
            examples.append(item)
    for line, tag in context.slips:
        report.add("iob_repaired", str(path), line, f"{tag} continues no entity")
    report.splits[split] = {"path": str(path), "rows": len(examples) + errors, "examples": len(examples),
                            "rows_in_error": errors}
    return examples


def _head(report: DataReport, spec: Any, train: Sequence[Example]) -> Head | None:
    """The head with the label set finetune would use; None when no label set can be made."""
    try:
        return make_head(spec, train)
    except DataFormatError as exc:
        report.add("labels", exc.path, exc.line, exc.reason)
        return None


def _prepare(report: DataReport, head: Head, cfg: JbertConfig, train: Sequence[Example]) -> None:
    """What finetune does before encoding: the --model directory's settings, then the loss these rows
    choose (or ``training.loss``); rows the loss cannot train on are reported."""
    head.attach(cfg.model.name_or_path)
    if train:
        try:
            head.choose_loss(cfg.training.loss, train)
        except DataFormatError as exc:
            report.add(exc.kind, exc.path, exc.line, exc.reason)


def _empty_texts(report: DataReport, spec: Any, examples: Sequence[Example]) -> None:
    for example in examples:
        empty = [column_name(spec, example, role) for role, text in (("text", example.text),
                                                                     ("text_pair", example.text_pair))
                 if text is not None and not text.strip()]
        if empty:
            report.add("empty_text", example.source, example.line, f"empty {' and '.join(empty)}")


def _duplicate_ids(report: DataReport, examples: Sequence[Example]) -> None:
    counts = Counter(example.id for example in examples)
    first: dict[str, int] = {}
    for example in examples:
        if counts[example.id] > 1:
            if example.id in first:
                report.add("duplicate_id", example.source, example.line,
                           f"id {example.id!r} is also used at line {first[example.id]}")
            else:
                first[example.id] = example.line


def _mixed_label_types(report: DataReport, examples: Sequence[Example]) -> None:
    """One place per JSON type the labels are written in (the first row of each), when there are several."""
    first: dict[str, Example] = {}
    for example in examples:
        if example.label is not None:
            first.setdefault(type(example.label).__name__, example)
    if len(first) > 1:
        for kind, example in first.items():
            report.add("mixed_label_types", example.source, example.line, f"label {example.label!r} ({kind})")


def _overlap(report: DataReport, train: Sequence[Example], valid: Sequence[Example],
             key: Callable[[Example], Hashable]) -> None:
    """Validation rows whose inputs (``key``: text, pair, choices) also occur in training: a score on
    them measures memory, not generalisation."""
    seen: dict[Hashable, int] = {}
    for example in train:
        seen.setdefault(key(example), example.line)
    for example in valid:
        if key(example) in seen:
            report.add("overlap", example.source, example.line, f"same text as train line {seen[key(example)]}")


def label_counts(head: str, examples: Sequence[Example]) -> dict[str, int]:
    """Label distribution, most frequent first: classes; entity types (NER); for regression the
    labels rounded to the unit; for QA the number of gold answers per question."""
    if head == "token":
        counts = Counter(entity.label for e in examples for entity in e.entities)
    elif head == "span":
        counts = Counter(f"{len(e.answers)} answer(s)" for e in examples)
    elif head == "pair-regression":
        counts = Counter(_rounded(e.label) for e in examples if e.label not in (None, ""))
    else:
        counts = Counter(str(e.label) for e in examples if e.label not in (None, ""))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _rounded(value: Any) -> str:
    number = regression_value(value)  # the head's rule: inf or "-Infinity" is no number (reported as a row error)
    return str(value) if number is None else f"~{round(number)}"
