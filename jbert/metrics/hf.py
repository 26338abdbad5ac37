"""jbert's JGLUE metrics for code outside jbert: a Hugging Face ``evaluate`` module shipped in the package.

    from jbert.metrics import hf
    metric = hf.load("jsquad")                     # an evaluate.EvaluationModule
    trainer = Trainer(..., compute_metrics=lambda p: metric.compute(predictions=p.predictions,
                                                                    references=p.label_ids))

``evaluate.load(hf.module_path(), "jsts")`` does the same without importing this module. Needs the
``evaluate`` package (``pip install jbert[evaluate]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jbert.errors import ConfigError

MODULE_DIR = Path(__file__).parent / "evaluate_modules" / "jglue"


def module_path() -> str:
    """The local path ``evaluate.load`` takes (a folder holding ``jglue.py``)."""
    return str(MODULE_DIR)


def load(task: str, **kwargs: Any) -> Any:
    """``evaluate.load`` of the JGLUE module for ``task`` (marc_ja, jsts, jnli, jsquad, jcommonsenseqa, jcola)."""
    try:
        import evaluate
    except ImportError as exc:
        raise ConfigError("jbert.metrics.hf needs the 'evaluate' package: pip install 'jbert[evaluate]'") from exc
    try:
        return evaluate.load(module_path(), task, **kwargs)
    except KeyError as exc:  # the module's own check of the config name
        raise ConfigError(str(exc.args[0])) from None
