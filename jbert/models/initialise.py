"""Randomly initialised BERT models in standard sizes, for pre-training from scratch or for tests.

    >>> init_model("my-tokenizer/", "tiny", "tiny-bert/")   # doctest: +SKIP

The output directory loads with ``AutoModel`` / ``AutoModelForMaskedLM`` and with ``jbert finetune
--model``: it holds the weights, ``config.json`` and the tokenizer's files.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.writers.outputs import check_output_dir

# (layers, hidden, attention heads, intermediate) as in Turc et al. 2019 "Well-Read Students" (+ BERT-base)
SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (2, 32, 2, 64),
    "mini": (4, 256, 4, 1024),
    "small": (4, 512, 8, 2048),
    "base": (12, 768, 12, 3072),
}


@contextlib.contextmanager
def quiet_weight_saving() -> Iterator[None]:
    """Hide transformers' per-save "Writing model shards" / "Loading weights" bars (the Trainer's own
    training bar is plain tqdm and stays)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def bert_config(size: str, vocab_size: int, pad_token_id: int = 0, max_position_embeddings: int = 512) -> Any:
    """A ``BertConfig`` of a named size."""
    from transformers import BertConfig

    if size not in SIZES:
        raise ConfigError(f"unknown model size {size!r}; available: {', '.join(SIZES)}")
    layers, hidden, heads, intermediate = SIZES[size]
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_position_embeddings=max_position_embeddings,
        pad_token_id=pad_token_id,
    )


def init_model(
    tokenizer_dir: str | Path,
    size: str,
    output: str | Path,
    *,
    masked_lm: bool = True,
    seed: int = 0,
    max_position_embeddings: int = 512,
) -> Path:
    """Build a random BERT (``BertForMaskedLM``, or ``BertModel`` without the MLM head) whose vocabulary
    is the tokenizer's, and save it with the tokenizer files to ``output``. Returns ``output``."""
    import torch
    from transformers import BertForMaskedLM, BertModel

    from jbert.tokenization import load_tokenizer

    tokenizer_dir, output = Path(tokenizer_dir), check_output_dir(output)  # never over a trained model's weights
    if not tokenizer_dir.is_dir():
        raise ConfigError(f"tokenizer directory not found: {tokenizer_dir}")
    tokenizer = load_tokenizer(tokenizer_dir)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    config = bert_config(size, len(tokenizer), pad_id, max_position_embeddings)
    torch.manual_seed(seed)
    model = (BertForMaskedLM if masked_lm else BertModel)(config)
    output.mkdir(parents=True, exist_ok=True)
    with quiet_weight_saving():
        model.save_pretrained(output)
    _save_tokenizer(tokenizer, tokenizer_dir, output)
    return output


def _save_tokenizer(tokenizer: Any, tokenizer_dir: Path, output: Path) -> None:
    if hasattr(tokenizer, "save_pretrained"):
        tokenizer.save_pretrained(output)
        return
    for f in tokenizer_dir.iterdir():  # a tokenizer object that cannot save itself: copy its files
        if f.is_file():
            shutil.copy(f, output / f.name)
