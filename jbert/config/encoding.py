"""The one definition of the encode and decode settings, with their one validation.

``EncodingConfig`` and ``DecodingConfig`` are the ``encoding`` and ``decoding`` sections of
``jbert.config.run.JbertConfig`` (recipes, ``--set encoding.max_length=256``); ``EncodeOptions``
is what a head is given: both, plus whether gold targets are needed. Every construction and
every ``JbertConfig.validate()`` runs the same checks, so finetune, eval and predict cannot
disagree about what a valid setting is.
"""

from __future__ import annotations

from dataclasses import dataclass

from jbert.config.sections import Section
from jbert.errors import ConfigError

# [CLS] a [SEP] b [SEP]: the least a pair needs to keep one token of each text.
MIN_MAX_LENGTH = 5


@dataclass(kw_only=True)
class EncodingConfig(Section):
    max_length: int = 128  # tokens per model input, special tokens included
    # QA: tokens shared by two consecutive windows of a long context. None: a third of
    # max_length (128 at 384, as HF run_qa). At most half of max_length, so windows advance.
    doc_stride: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.validate()

    @property
    def stride(self) -> int:
        return self.doc_stride if self.doc_stride is not None else max(1, self.max_length // 3)

    def validate(self) -> None:
        if self.max_length < MIN_MAX_LENGTH:
            raise ConfigError(f"encoding.max_length must be at least {MIN_MAX_LENGTH}, got {self.max_length}")
        if self.doc_stride is not None and not 1 <= self.doc_stride <= self.max_length // 2:
            raise ConfigError(
                f"encoding.doc_stride must be between 1 and half of max_length ({self.max_length // 2}), got "
                f"{self.doc_stride}: a larger overlap leaves a QA window no room to advance (set "
                "encoding.doc_stride lower, or leave it unset for a third of max_length)"
            )


@dataclass(kw_only=True)
class DecodingConfig(Section):
    n_best_size: int = 20  # QA: best start and end logits looked at per window, answers kept per question
    max_answer_length: int = 30  # QA: longest answer, in tokens

    def __post_init__(self) -> None:
        super().__post_init__()
        self.validate()

    def validate(self) -> None:
        for key in ("n_best_size", "max_answer_length"):
            if getattr(self, key) < 1:
                raise ConfigError(f"decoding.{key} must be at least 1, got {getattr(self, key)}")


@dataclass(kw_only=True)
class EncodeOptions(EncodingConfig, DecodingConfig):
    """What a head is given: ``EncodeOptions(max_length=64, train=False)``."""

    train: bool = True  # False at prediction time: no labels required

    def __post_init__(self) -> None:
        Section.__post_init__(self)
        EncodingConfig.validate(self)
        DecodingConfig.validate(self)

    @classmethod
    def of(cls, encoding: EncodingConfig, decoding: DecodingConfig, train: bool) -> EncodeOptions:
        return cls(max_length=encoding.max_length, doc_stride=encoding.doc_stride, n_best_size=decoding.n_best_size,
                   max_answer_length=decoding.max_answer_length, train=train)
