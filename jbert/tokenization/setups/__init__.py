"""Tokenizer setups: how a tokenizer is trained and saved. One module per setup, registered in SETUPS.

A setup trains from corpus files and writes a directory that plain
``transformers.AutoTokenizer.from_pretrained(DIR)`` loads. Add one with::

    @SETUPS.register("my-setup")
    class MySetup(TokenizerSetup):
        options = ("lowercase",)

        def train(self, corpus_paths, vocab_size, output_dir, **options) -> TrainResult: ...
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tqdm.auto import tqdm

from jbert.registry import Registry

# The Tohoku (cl-tohoku/bert-base-japanese*) order: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
SPECIAL_TOKEN_KWARGS: dict[str, str] = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}
MODEL_MAX_LENGTH = 512
# transformers 5 defaults to input_ids + attention_mask only; BERT pair tasks need token_type_ids.
MODEL_INPUT_NAMES = ["input_ids", "token_type_ids", "attention_mask"]


@dataclass
class TrainResult:
    """What a setup trained: where it went, how big the vocabulary came out, and setup-specific notes."""

    output_dir: Path
    setup: str
    vocab_size: int
    details: dict[str, Any] = field(default_factory=dict)


class TokenizerSetup(ABC):
    """One way to train and save a tokenizer. ``options`` names the keyword options ``train`` accepts."""

    name: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def train(
        self, corpus_paths: Sequence[str | os.PathLike[str]], vocab_size: int, output_dir: Path, **options: Any
    ) -> TrainResult:
        """Train on the corpus files and save into ``output_dir`` (which exists)."""


SETUPS: Registry[type[TokenizerSetup]] = Registry("tokenizer type")


def progress_bar(total: int | None, desc: str, unit: str, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr; shown only on a terminal (``disable=None``) and when ``enabled``."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=unit == "B",
        disable=None if enabled else True,
        leave=False,
        dynamic_ncols=True,
    )


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Indented UTF-8 JSON, keys in insertion order, with a final newline (stable bytes for stable input)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_tokenizer_config(output_dir: Path, tokenizer_class: str, lowercase: bool, **extra: Any) -> None:
    """``tokenizer_config.json`` with what every jbert-trained tokenizer states: class, casing, length,
    the BERT special tokens, and ``model_input_names`` (transformers 5 drops token_type_ids without it)."""
    config = {
        "tokenizer_class": tokenizer_class,
        "do_lower_case": lowercase,
        **extra,
        "model_max_length": MODEL_MAX_LENGTH,
        "model_input_names": MODEL_INPUT_NAMES,
        **SPECIAL_TOKEN_KWARGS,
    }
    write_json(output_dir / "tokenizer_config.json", config)


from jbert.tokenization.setups import mecab_wordpiece, sentencepiece_unigram  # noqa: E402,F401  (registration)
