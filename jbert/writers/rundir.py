"""An unfinished training run's directory, told apart from a model directory, so every command handed
one (finetune/pretrain --model, predict, eval, report, fill-mask) says the same thing: the run stopped
before it wrote its model, and how to finish it.

A run writes ``checkpoints/`` and ``train_log.jsonl`` while it trains, and its marker last
(``jbert_config.yaml`` for finetune, ``jbert_pretrain.yaml`` for pretrain): a directory with the
former and neither marker is an unfinished run.
"""

from __future__ import annotations

import json
from pathlib import Path

from jbert.errors import ConfigError

FINETUNE_MARKER = "jbert_config.yaml"
PRETRAIN_MARKER = "jbert_pretrain.yaml"
RUN_TRACES = ("checkpoints", "train_log.jsonl")


def is_unfinished_run(path: str | Path) -> bool:
    path = Path(path)
    if not path.is_dir() or any((path / m).is_file() for m in (FINETUNE_MARKER, PRETRAIN_MARKER)):
        return False
    return any((path / trace).exists() for trace in RUN_TRACES)


def run_kind(path: str | Path) -> str | None:
    """``pretrain`` when the run's checkpoints hold a masked-LM model, ``finetune`` when they hold
    another, None when there is no checkpoint to tell."""
    for config in sorted(Path(path).glob("checkpoints/checkpoint-*/config.json")):
        try:
            architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
        except (OSError, ValueError):
            continue
        return "pretrain" if any(a.endswith("ForMaskedLM") for a in architectures) else "finetune"
    return None


def unfinished_run_error(path: str | Path) -> ConfigError | None:
    """The one message for an unfinished run's directory; None for anything else."""
    if not is_unfinished_run(path):
        return None
    kind = run_kind(path)
    command = f"jbert {kind} ... --output {path} --resume" if kind else "rerun its jbert finetune/pretrain command with --resume"
    marker = PRETRAIN_MARKER if kind == "pretrain" else FINETUNE_MARKER if kind else f"{FINETUNE_MARKER}/{PRETRAIN_MARKER}"
    return ConfigError(f"{path} is an unfinished run: it stopped before writing its model (no {marker}); "
                       f"finish it with `{command}`, or give a finished model directory")


def check_not_unfinished(path: str | Path) -> None:
    error = unfinished_run_error(path)
    if error is not None:
        raise error
