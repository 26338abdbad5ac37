"""``--report-to``: which experiment trackers the Trainer logs to, through its own integrations.

jbert adds nothing to the Trainer's callbacks (``TensorBoardCallback``, ``WandbCallback``,
``MLflowCallback``); it only checks the names and that the package is installed, so a typo or a
missing package is a one-line error before training rather than a stack trace after encoding.
All three work offline: TensorBoard writes event files under ``OUTPUT/checkpoints/runs/``,
``WANDB_MODE=offline`` keeps W&B local, MLflow writes ``./mlruns`` unless ``MLFLOW_TRACKING_URI``
says otherwise.
"""

from __future__ import annotations

import importlib.util

from jbert.errors import ConfigError

# tracker name -> the module the Trainer's integration imports (what `pip install` must provide)
TRACKERS = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}
NONE = "none"


def report_to(value: str) -> list[str]:
    """``"tensorboard,mlflow"`` -> ``["tensorboard", "mlflow"]`` (``"none"`` -> ``[]``), checked."""
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if names in ([], [NONE]):
        return []
    for name in names:
        if name not in TRACKERS:
            raise ConfigError(f"--report-to: unknown tracker {name!r}; valid: {NONE}, {', '.join(TRACKERS)}")
        if importlib.util.find_spec(TRACKERS[name]) is None:
            raise ConfigError(f"--report-to {name} needs the {TRACKERS[name]!r} package: "
                              f"pip install {TRACKERS[name]} (or jbert[tracking] for TensorBoard)")
    return names
