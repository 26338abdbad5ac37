"""``jbert eval score``: score any system's prediction file against a gold file, with jbert's metrics.

Prediction files, matched to the gold rows by id:

* JSQuAD / QA (``.json``): the SQuAD-style ``{"question id": "answer text"}`` object that HF's
  ``run_qa.py`` writes (``eval_predictions.json``).
* every task (``.jsonl``): one JSON object a line carrying the gold file's id field (the task's id
  column, e.g. ``sentence_pair_id``, ``q_id``, ``review_id``; or ``id``, which is the line number
  when the gold file has no id column) and the prediction: ``label`` (a class, a choice index or,
  for regression, the number), ``score`` (regression), ``answer`` (QA) or ``entities`` (NER:
  ``[{"start", "end", "label"}]``, character offsets). ``jbert predict`` output qualifies as is.

A gold id without a prediction, a prediction id not in the gold file and a repeated id are errors
that name the id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.config.tasks import TaskSpec, load_spec
from jbert.data import Entity, Example, Prediction
from jbert.errors import DataFormatError
from jbert.evaluation.common import EvalResult, require_references, score_values
from jbert.heads import get_head
from jbert.inference.inputs import input_reader
from jbert.readers import read
from jbert.readers._common import json_rows, read_text

SQUAD_FIX = 'write {"question id": "answer text", ...} (run_qa.py eval_predictions.json) or JSON Lines'


@dataclass
class ScoreConfig:
    task: str  # bundled task name or spec YAML
    gold: str
    predictions: str
    output: str | None = None  # metrics JSON
    input_format: str | None = None  # reader for the gold file; None: by extension, else the task's


def score_files(cfg: ScoreConfig) -> EvalResult:
    """Metrics of ``cfg.predictions`` against ``cfg.gold`` for ``cfg.task``."""
    spec = load_spec(cfg.task)
    head = get_head(spec.head)(spec, list(spec.labels) if spec.labels is not None else None)
    examples = list(read(cfg.gold, spec, input_reader(cfg.gold, spec, cfg.input_format)))
    references = head.reference_values(examples)
    require_references(examples, references)
    predictions = match(examples, read_predictions(Path(cfg.predictions), spec), cfg.predictions)
    labels = list(spec.labels) if spec.labels is not None else _gold_labels(references)
    metrics, confusion = score_values(spec, labels, head.prediction_values(predictions), references)
    return EvalResult(
        task=spec.name,
        data=str(cfg.gold),
        examples=len(examples),
        metrics=metrics,
        predictions=str(cfg.predictions),
        confusion=confusion,
    )


def _gold_labels(references: list[Any]) -> list[str] | None:
    """Label order for the confusion matrix when the spec has none: the gold labels, sorted."""
    if references and all(isinstance(r, str) for r in references):
        return sorted(set(references))
    return None


def read_predictions(path: Path, spec: TaskSpec) -> Iterator[Prediction]:
    """Predictions from a SQuAD-style ``.json`` answer map or JSON Lines rows (see the module doc)."""
    if path.suffix.lower() == ".json":
        yield from _squad_map(path)
        return
    id_keys = [k for k in (spec.column("id"), "id") if k]
    for line, row in json_rows(path):
        key = next((k for k in id_keys if k in row), None)
        if key is None:
            raise DataFormatError(
                path,
                line,
                f"no id field ({' or '.join(map(repr, id_keys))})",
                "each row needs the gold file's id",
            )
        yield _prediction(row, str(row[key]), line, path)


def _squad_map(path: Path) -> Iterator[Prediction]:
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"invalid JSON ({exc.msg})", SQUAD_FIX) from None
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise DataFormatError(path, None, "not a {question id: answer text} object", SQUAD_FIX)
    for index, (qid, answer) in enumerate(doc.items(), start=1):
        yield Prediction(id=str(qid), line=index, answer=answer)


def _prediction(row: dict[str, Any], pid: str, line: int, path: Path) -> Prediction:
    label, score = row.get("label"), row.get("score")
    if score is None and isinstance(label, (int, float)) and not isinstance(label, bool):
        score = label  # a regression system writes its number as the label
    entities = row.get("entities")
    if entities is not None:
        entities = tuple(_entity(e, path, line) for e in entities) if isinstance(entities, list) else None
        if entities is None:
            raise DataFormatError(path, line, "'entities' must be a list of {start, end, label}")
    return Prediction(
        id=pid, line=line, label=label, score=score, answer=row.get("answer"), entities=entities
    )


def _entity(item: Any, path: Path, line: int) -> Entity:
    try:
        return Entity(
            start=int(item["start"]), end=int(item["end"]), label=str(item["label"]), text=item.get("text")
        )
    except (KeyError, TypeError, ValueError):
        raise DataFormatError(path, line, f"entity {item!r} needs integer start, end and a label") from None


def match(examples: list[Example], predictions: Iterator[Prediction], source: str) -> list[Prediction]:
    """Predictions in gold order; a missing, extra or repeated id is an error naming it."""
    gold_lines: dict[str, int] = {}
    for ex in examples:
        if ex.id in gold_lines:
            raise DataFormatError(
                ex.source,
                ex.line,
                f"id {ex.id!r} appears twice in the gold file (first at line {gold_lines[ex.id]})",
                "ids must be unique to match predictions",
            )
        gold_lines[ex.id] = ex.line
    found: dict[str, Prediction] = {}
    for pred in predictions:
        if pred.id not in gold_lines:
            raise DataFormatError(
                source, pred.line, f"id {pred.id!r} is not in the gold file {examples[0].source}"
            )
        if pred.id in found:
            raise DataFormatError(
                source, pred.line, f"id {pred.id!r} appears twice (first at line {found[pred.id].line})"
            )
        found[pred.id] = pred
    missing = [ex for ex in examples if ex.id not in found]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise DataFormatError(
            source,
            None,
            f"no prediction for id {missing[0].id!r} (gold {missing[0].source}:{missing[0].line}){more}",
        )
    return [found[ex.id] for ex in examples]
