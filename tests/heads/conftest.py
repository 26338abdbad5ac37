"""Head fixtures: jbert's fast, offset-aware tokenizer over the session's tiny vocabulary, and a
runner that feeds features through a model the way the trainer's evaluation loop does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def fast_tokenizer(tiny_tokenizer_dir: Path) -> Any:
    from jbert.tokenization import load_tokenizer

    return load_tokenizer(tiny_tokenizer_dir)


def _pad_stack(chunks: list[Any]) -> Any:
    """Concatenate per-batch outputs along rows, right-padding the sequence axis with -100,
    the way the trainer's evaluation loop hands them to ``decode``."""
    import numpy as np

    width = max(c.shape[1] for c in chunks) if chunks[0].ndim > 1 else None
    padded = []
    for c in chunks:
        if width is not None and c.shape[1] < width:
            pad = [(0, 0), (0, width - c.shape[1])] + [(0, 0)] * (c.ndim - 2)
            c = np.pad(c, pad, constant_values=-100)
        padded.append(c)
    return np.concatenate(padded)


@pytest.fixture(scope="session")
def run_model():
    """``run_model(head, model, features, tokenizer, batch_size=4)`` -> outputs as decode gets them:
    logits (or a (start, end) tuple for QA) as numpy, rows in feature order, -100 padded."""
    import torch

    def run(head: Any, model: Any, features: list[dict], tokenizer: Any, batch_size: int = 4) -> Any:
        collate = head.collator(tokenizer)
        model.eval()
        outs: list[list[Any]] = []
        with torch.no_grad():
            for k in range(0, len(features), batch_size):
                batch = collate(features[k : k + batch_size])
                result = model(**batch)
                logits = (result.start_logits, result.end_logits) if hasattr(result, "start_logits") else (result.logits,)
                outs.append([t.numpy() for t in logits])
        stacked = tuple(_pad_stack([o[j] for o in outs]) for j in range(len(outs[0])))
        return stacked if len(stacked) > 1 else stacked[0]

    return run
