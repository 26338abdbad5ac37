"""The head contract: one class per output shape (classification, pair, token, span, choice).

A head turns Examples into model features with a tokenizer, builds the matching
``AutoModelFor...``, and turns model outputs back into Predictions. It knows nothing about
JGLUE task names: those are specs (tasks/*.yaml).

Features are a list of dicts. Model inputs are ``input_ids``, ``attention_mask``,
``token_type_ids`` (when the tokenizer gives them) and ``labels`` (training/eval only);
every other key (``example_index``, ``offset_mapping`` ...) is metadata for ``decode`` and
is dropped by the collator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import TaskSpec
from jbert.data import Example, Prediction
from jbert.errors import ConfigError
from jbert.heads.collate import MODEL_INPUTS, Feature, PaddingCollator  # noqa: F401 (Feature, MODEL_INPUTS: re-exported)


@dataclass
class EncodeStats:
    """What encoding had to change, so it can be reported instead of silently happening."""

    examples: int = 0
    features: int = 0
    truncated: int = 0  # examples cut by max_length (QA: split into windows instead)
    misaligned: int = 0  # NER entities / QA answers whose boundaries are not token boundaries
    misaligned_at: list[tuple[str, int]] = field(default_factory=list)  # (source, line) of each of those
    stride_reduced: int = 0  # QA examples whose question left room for less than doc_stride of overlap


class Head(ABC):
    """Subclasses register in ``jbert.heads.HEADS`` under their spec name."""

    name: ClassVar[str]

    def __init__(self, spec: TaskSpec, labels: Sequence[str] | None = None):
        self.spec = spec
        self.labels = list(labels) if labels is not None else None
        self.stats = EncodeStats()

    # --- labels -----------------------------------------------------------------------------
    def infer_labels(self, examples: Sequence[Example]) -> list[str] | None:
        """Label set when the spec has none: from the training examples (sorted). None = no labels."""
        return None

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:  # noqa: B027 (optional hook)
        """Raise DataFormatError(path, line, ...) for a label outside the set, etc."""

    def choose_loss(self, loss: str | None, examples: Sequence[Example]) -> None:
        """The training loss: ``training.loss``, or (None) the head's own choice for these training rows.
        A head with one loss refuses any other."""
        if loss is not None:
            raise ConfigError(f"the {self.name} head trains with one loss; training.loss={loss!r} is for "
                              "embedding models (leave it unset)")

    def attach(self, model_path: str | None) -> None:  # noqa: B027 (optional hook)
        """Settings the model directory holds besides the weights (a sentence-transformers directory's
        pooling and prompts), read before encoding; called with the directory the head will run."""

    # --- pipeline ---------------------------------------------------------------------------
    @abstractmethod
    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        """Tokenize; each feature carries ``example_index`` into ``examples``."""

    @abstractmethod
    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        """``AutoModelFor...from_pretrained(name_or_path, num_labels=..., id2label=..., **kwargs)``."""

    def collator(self, tokenizer: Any, pad_to_multiple_of: int | None = None, position_ids: bool = False,
                 tensors: str = "pt") -> Any:
        """Dynamic padding of the model inputs only (metadata keys dropped); ``position_ids``: add
        ``0 .. len-1`` per row (``jbert.models.inputs``: a model pre-trained with positions from 0);
        torch tensors, or numpy arrays with ``tensors="np"``."""
        return PaddingCollator(tokenizer, pad_to_multiple_of=pad_to_multiple_of, position_ids=position_ids,
                               tensors=tensors)

    @abstractmethod
    def decode(
        self,
        outputs: np.ndarray | tuple[np.ndarray, ...],
        features: Sequence[Feature],
        examples: Sequence[Example],
        options: EncodeOptions,
    ) -> list[Prediction]:
        """Model outputs for ``features`` (same order; rows may be right-padded with -100) -> one
        Prediction per example, in example order."""

    # --- metrics ----------------------------------------------------------------------------
    @abstractmethod
    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        """What the spec's metrics compare: label strings, floats, answer texts, entity tuples."""

    @abstractmethod
    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        """The gold side, same shapes (QA: a list of gold answer texts per example)."""

    def agreement_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        """What ``jbert export`` compares between the original and the export (``jbert.export.agreement``)."""
        return self.prediction_values(predictions)

    # --- training -----------------------------------------------------------------------------
    def distinct_keys(self, examples: Sequence[Example], features: Sequence[Feature]) -> list[Any] | None:
        """Per training feature, the values no other feature of its batch may share (in-batch negatives
        must not be a row's own positive: sentence-transformers' NoDuplicatesBatchSampler); None: any
        batch will do."""
        return None
