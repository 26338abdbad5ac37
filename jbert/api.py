"""The callable core: the one place the pipeline stages are wired together.

reader -> head.encode (tokenizer) -> collate -> model -> trainer -> head.decode -> metrics / writers.
The CLI only parses flags, builds a config and calls these functions.
"""

from __future__ import annotations

from typing import Any


def finetune(cfg: Any) -> Any:
    """Fine-tune a model for a task; returns the final metrics. (owned by the finetune work)"""
    raise NotImplementedError


def evaluate(cfg: Any) -> Any:
    """Evaluate a fine-tuned model directory on a gold file. (owned by the eval work)"""
    raise NotImplementedError


def predict(cfg: Any) -> Any:
    """Run a fine-tuned model directory on input files. (owned by the predict work)"""
    raise NotImplementedError
