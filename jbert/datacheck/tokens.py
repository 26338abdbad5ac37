"""``jbert data check --model DIR``: what the model's tokenizer makes of the data.

Full token lengths (no truncation; special tokens included, as the model sees them) give the
percentiles to set ``max_length`` by. Truncation, QA windows and spans off token boundaries are
taken from the head's own encode, so the figures are what fine-tuning will meet, not an estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.run import JbertConfig
from jbert.data import Example
from jbert.datacheck.head_checks import head_check
from jbert.datacheck.report import DataReport
from jbert.heads import EncodeStats, Head
from jbert.tokenization import load_tokenizer

PERCENTILES = (50, 90, 95, 99, 100)


def token_statistics(
    report: DataReport, head: Head, cfg: JbertConfig, splits: dict[str, list[Example]]
) -> dict[str, Any]:
    tokenizer = load_tokenizer(cfg.model.name_or_path)
    options = EncodeOptions.of(cfg.encoding, cfg.decoding, train=True)
    stats: dict[str, Any] = {"tokenizer": str(cfg.model.name_or_path), "max_length": options.max_length, "splits": {}}
    for split, examples in splits.items():
        if not examples:
            continue
        lengths = head_check(head.name).token_lengths(head, examples, tokenizer)
        lengths = token_lengths(head.name, examples, tokenizer) if lengths is None else lengths
        head.stats = EncodeStats()
        features = head.encode(examples, tokenizer, options)
        split_stats: dict[str, Any] = {
            "examples": len(examples),
            "percentiles": {str(p): int(np.percentile(lengths, p, method="lower")) for p in PERCENTILES},
            "truncated": head.stats.truncated if head.name == "span" else int((lengths > options.max_length).sum()),
        }
        if head.name == "span":
            windows = np.bincount([f["example_index"] for f in features], minlength=len(examples))
            split_stats.update(windows=len(features), split_into_windows=int((windows > 1).sum()))
        for i in np.flatnonzero(lengths > options.max_length) if head.name != "span" else ():
            report.add("truncated", examples[i].source, examples[i].line, f"{lengths[i]} tokens")
        for source, line in head.stats.misaligned_at:
            report.add("misaligned", source, line, "a span edge falls inside a token (trained as whole tokens)")
        stats["splits"][split] = split_stats
    return stats


def token_lengths(head: str, examples: Sequence[Example], tokenizer: Any) -> np.ndarray:
    """Untruncated length of each example's model input; multiple choice: its longest choice."""
    if head == "choice":
        pairs = [(e.text, choice) for e in examples for choice in e.choices]
        flat = _lengths(tokenizer, [q for q, _ in pairs], [c for _, c in pairs])
        bounds = np.cumsum([0] + [len(e.choices) for e in examples])
        return np.array([flat[a:b].max(initial=0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    paired = any(e.text_pair is not None for e in examples)
    return _lengths(tokenizer, [e.text for e in examples], [e.text_pair or "" for e in examples] if paired else None)


def _lengths(tokenizer: Any, texts: list[str], pairs: list[str] | None) -> np.ndarray:
    batch = tokenizer(texts, pairs, truncation=False)
    return np.array([len(ids) for ids in batch["input_ids"]], dtype=np.int64)
