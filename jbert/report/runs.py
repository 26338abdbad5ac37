"""What a report reads from a fine-tuned directory: config, metrics, training log, and the
validation predictions matched to their gold rows (read back with the task's own reader and head,
as ``jbert eval score`` does, so the report's numbers are the evaluation's numbers)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.config.run import JbertConfig
from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.errors import ConfigError, JbertError
from jbert.heads import Head, get_head

logger = logging.getLogger(__name__)


@dataclass
class RunData:
    path: Path
    config: JbertConfig
    spec: TaskSpec
    labels: list[str] | None
    fingerprint: dict[str, Any] | None
    metrics: dict[str, Any]  # metrics.json: final, history, best_checkpoint, global_step
    log: list[dict[str, Any]]  # train_log.jsonl rows
    head: Head
    examples: list[Example] = field(default_factory=list)  # validation rows, gold order
    predictions: list[Any] = field(default_factory=list)  # head.prediction_values, same order
    references: list[Any] = field(default_factory=list)  # head.reference_values
    raw_predictions: list[Any] = field(default_factory=list)  # the Prediction records
    selection: dict[str, Any] | None = None  # the sweep's record when this is a sweep's best
    note: str | None = None  # why the per-example analysis is missing

    @property
    def name(self) -> str:
        return self.path.name if self.path.name != "best" else f"{self.path.parent.name}/best"

    @property
    def final(self) -> dict[str, float]:
        return self.metrics.get("final", {})

    @property
    def best_step(self) -> int | None:
        best = self.metrics.get("best_checkpoint")
        name = Path(best).name if best else ""
        return int(name.split("-")[-1]) if name.startswith("checkpoint-") else None


def load_run(path: Path) -> RunData:
    """Everything the report shows about one fine-tuned directory (missing parts noted, not fatal)."""
    from jbert.finetuning.sweep import SWEEP_FILE, read_selection
    from jbert.models.directory import METRICS_FILE, read_finetuned_config
    from jbert.training.trainer import TRAIN_LOG

    config, spec, labels, fingerprint = read_finetuned_config(path)
    run = RunData(path=path, config=config, spec=spec, labels=labels, fingerprint=fingerprint,
                  metrics=_json(path / METRICS_FILE) or {}, log=_jsonl(path / TRAIN_LOG),
                  head=get_head(spec.head)(spec, labels))
    run.selection = read_selection(path)
    if run.selection:
        run.selection["table"] = (_json(path.parent / SWEEP_FILE) or {}).get("configs", [])
    try:
        _attach_predictions(run)
    except JbertError as exc:  # a moved validation file must not cost the curves and the config
        run.note = str(exc)
    return run


def _attach_predictions(run: RunData) -> None:
    from jbert.evaluation.common import align_types
    from jbert.evaluation.score import match, read_predictions
    from jbert.models.directory import PREDICTIONS_FILE
    from jbert.readers import read

    predictions_file = run.path / PREDICTIONS_FILE
    if not predictions_file.is_file():
        raise ConfigError(f"no {PREDICTIONS_FILE} in {run.path} (fine-tuned without --valid?)")
    valid = validation_file(run.config, run.spec)
    run.examples = list(read(valid, run.spec))
    run.raw_predictions = match(run.examples, read_predictions(predictions_file, run.spec), str(predictions_file))
    run.references = run.head.reference_values(run.examples)
    run.predictions = align_types(run.head.prediction_values(run.raw_predictions), run.references)


def validation_file(config: JbertConfig, spec: TaskSpec) -> Path:
    from jbert.config.tasks import jglue_file

    if config.data.valid:
        path = Path(config.data.valid)
    elif config.data.jglue_dir:
        path = jglue_file(spec, config.data.jglue_dir, "valid")
    else:
        raise ConfigError("the run's config names no validation file")
    if not path.is_file():
        raise ConfigError(f"validation file {path} (from the run's config) not found")
    return path


def _json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            # an interrupted run can leave a half-written last line; the rest is still the curve
            logger.warning("%s:%d: not JSON; skipped in the report", path, number)
    return rows
