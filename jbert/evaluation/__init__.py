"""Evaluation: a fine-tuned model on gold data, any system's prediction file, or the JGLUE table.

``run_evaluation(cfg)`` dispatches on the config's type (``jbert.api.evaluate`` calls it):

* ``EvalConfig``  -> ``evaluate_model``  (``jbert eval --model DIR --data FILE``)
* ``ScoreConfig`` -> ``score_files``     (``jbert eval score``)
* ``JglueConfig`` -> ``evaluate_jglue``  (``jbert eval jglue``)
* ``RetrievalConfig`` -> ``evaluate_retrieval``  (``jbert eval retrieval``)

May import: ``jbert.finetuning`` (a sweep's record), ``jbert.retrieval``, ``jbert.inference`` and everything
below; never ``jbert.report``, ``jbert.api`` or the CLI.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from jbert.errors import ConfigError
from jbert.evaluation.common import EvalResult
from jbert.evaluation.jglue import (
    BASELINES,
    COLUMNS,
    JglueConfig,
    JglueResult,
    evaluate_jglue,
    partial_note,
    selection_rows,
    table_rows,
)
from jbert.evaluation.model import EvalConfig, evaluate_model
from jbert.evaluation.retrieval import RetrievalConfig, RetrievalResult, evaluate_retrieval
from jbert.evaluation.score import ScoreConfig, score_files
from jbert.writers import check_output_path, write_metrics_json


def run_evaluation(cfg: Any) -> Any:
    """Run the mode ``cfg`` selects; with ``cfg.output`` also write the result as JSON there."""
    check_output_path(getattr(cfg, "output", None))  # fail before a long evaluation, not after
    result = _run(cfg)
    if getattr(cfg, "output", None):
        write_metrics_json(cfg.output, result.to_dict())
    return result


@singledispatch
def _run(cfg: Any) -> Any:
    raise ConfigError(
        f"cannot evaluate with a {type(cfg).__name__}; use EvalConfig, ScoreConfig, JglueConfig or RetrievalConfig"
    )


_run.register(EvalConfig, evaluate_model)
_run.register(ScoreConfig, score_files)
_run.register(JglueConfig, evaluate_jglue)
_run.register(RetrievalConfig, evaluate_retrieval)

__all__ = [
    "BASELINES",
    "COLUMNS",
    "EvalConfig",
    "EvalResult",
    "JglueConfig",
    "JglueResult",
    "RetrievalConfig",
    "RetrievalResult",
    "ScoreConfig",
    "evaluate_jglue",
    "evaluate_model",
    "evaluate_retrieval",
    "run_evaluation",
    "score_files",
    "partial_note",
    "selection_rows",
    "table_rows",
]
