"""The callable core: the one place the pipeline stages are wired together.

reader -> head.encode (tokenizer) -> collate -> model -> trainer -> head.decode -> metrics / writers.
The CLI only parses flags, builds a config and calls these functions.
"""

from __future__ import annotations

from typing import Any


def finetune(cfg: Any) -> Any:
    """Fine-tune ``cfg.model`` on ``cfg.task`` (a ``jbert.config.JbertConfig``); writes the output
    directory (``jbert.modeldir``) and returns the final validation metrics."""
    from jbert.finetuning import run_finetune

    return run_finetune(cfg)


def evaluate(cfg: Any) -> Any:
    """Score against gold data. ``cfg`` picks the mode (``jbert.evaluation``): ``EvalConfig`` (a
    fine-tuned model on a gold file), ``ScoreConfig`` (another system's prediction file) or
    ``JglueConfig`` (every JGLUE task model on its valid split, beside the published baselines)."""
    from jbert.evaluation import run_evaluation

    return run_evaluation(cfg)


def predict(cfg: Any) -> Any:
    """Run a fine-tuned model directory over input files (a ``jbert.inference.PredictConfig``),
    streaming one output row per input row; returns a ``PredictSummary`` (rows in/out/in error)."""
    from jbert.inference import run_predict

    return run_predict(cfg)


def sweep(cfg: Any) -> Any:
    """Fine-tune a grid of configurations (a ``jbert.sweep.SweepConfig``), select the best by the task's
    primary metric on the validation set, link it as OUTPUT/best; returns the sweep record."""
    from jbert.sweep import run_sweep

    return run_sweep(cfg)


def report(cfg: Any) -> Any:
    """Write one self-contained HTML report for run directories (a ``jbert.report.ReportConfig``);
    returns the path written."""
    from jbert.report import write_report

    return write_report(cfg)
