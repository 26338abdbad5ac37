"""Reranker (``reranker``): a cross-encoder scores a (query, document) pair; ``score`` = sigmoid(logit), or
the logit itself for a cross-encoder whose files name the Identity activation (``jbert.models.cross_encoder``:
the score ``CrossEncoder(DIR).predict`` gives; fine-tuning keeps the directory's activation).

Rows: ``text`` = query, ``text_pair`` = document, ``label`` = relevance (0 not relevant, 1, 2 ...; true and
false are 1 and 0). The loss follows the rows:

* no ``group`` column value (the spec's ``columns.group``): one feature per pair, binary cross-entropy;
* every row with a group id (a query id): when training, one feature per group (``[docs, seq]``), the
  listwise loss of ``jbert.heads.reranker_model``; each group needs two documents or more and one
  relevant. The batch size then counts groups.

``training.loss`` names the choice: ``bce`` (one feature per pair whatever its group), ``listwise``
(groups required), unset: by the rows as above. Distillation trains ``bce``-shaped pairs by default.

At prediction time every pair is one feature. Metrics (``reranking``) rank the rows of one query key
together: the group id, else the query text.

The saved directory is a plain 1-logit ``AutoModelForSequenceClassification``: sentence-transformers'
``CrossEncoder(DIR)`` loads it and gives the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.data import Example, Prediction
from jbert.errors import ConfigError
from jbert.heads import HEADS
from jbert.heads._util import (
    data_error,
    first_output,
    missing_label,
    model_inputs,
    require_text_pair,
    tokenize,
    truncated_rows,
)
from jbert.heads.base import Feature, Head
from jbert.heads.collate import LABEL_PAD, PaddingCollator
from jbert.models.cross_encoder import read_activation

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")
LOSSES = ("bce", "listwise")  # training.loss: pairs with binary cross-entropy, or query groups ranked


@HEADS.register("reranker")
class RerankerHead(Head):
    name = "reranker"
    activation = "sigmoid"  # or "identity": what the logit goes through (jbert.models.cross_encoder)
    loss: str | None = None  # training.loss (LOSSES); None: listwise where the rows have group ids

    def choose_loss(self, loss: str | None, examples: Sequence[Example]) -> None:
        if loss is not None and loss not in LOSSES:
            raise ConfigError(f"training.loss={loss!r}: a reranker trains with {' or '.join(LOSSES)} "
                              "(unset: listwise where rows have a group id, else bce)")
        if loss == "listwise" and examples and all(self.group(e) is None for e in examples):
            column = self.spec.column("group")
            raise data_error(examples[0], f"training.loss=listwise ranks query groups, but no row has a {column!r}",
                             f"give each row its query's id in {column!r}, or use training.loss=bce")
        self.loss = loss

    def attach(self, model_path: str | None) -> None:
        if model_path and (Path(model_path) / "config.json").is_file():
            self.activation = read_activation(model_path)

    def group(self, example: Example) -> str | None:
        column = self.spec.column("group")
        value = example.fields.get(column) if column else None
        return None if value is None or value == "" else str(value)

    def query_key(self, example: Example) -> str:
        group = self.group(example)
        return f"group:{group}" if group is not None else f"query:{example.text}"

    def target(self, example: Example) -> int:
        label = example.label
        if label is None or label == "":
            raise missing_label(example, self.spec.column("label", "label"))
        if isinstance(label, bool):
            return int(label)
        try:
            value = float(label)
        except (TypeError, ValueError):
            value = -1.0
        if not value.is_integer() or value < 0:
            raise data_error(example, f"label {label!r} is not a relevance 0, 1, 2 ...",
                             "0: not relevant; 1 (or more, graded): relevant")
        return int(value)

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        """Row by row (``jbert data check`` calls it one row at a time); the groups are checked when
        training features are made (``groups``)."""
        for example in examples:
            require_text_pair(example, self.spec.column("text_pair"))
            if train:
                self.target(example)

    def groups(self, examples: Sequence[Example]) -> list[list[int]] | None:
        """Example indices per group in first-seen order; None when no row has a group id. A row without
        a group among rows with one, a group of one document or without a relevant one: an error."""
        ids = [self.group(e) for e in examples]
        if self.loss == "bce" or all(g is None for g in ids):
            return None
        groups: dict[str, list[int]] = {}
        for i, group in enumerate(ids):
            if group is None:
                raise data_error(examples[i], f"no {self.spec.column('group')!r} (group id) while other rows have one",
                                 "give every row its query's id, or none for binary cross-entropy")
            groups.setdefault(group, []).append(i)
        for group, rows in groups.items():
            first = examples[rows[0]]
            if len(rows) < 2:
                raise data_error(first, f"group {group!r} has one document; the listwise loss ranks several",
                                 "add negatives for this query, or drop the group column for binary cross-entropy")
            if not any(self.target(examples[i]) >= 1 for i in rows):
                raise data_error(first, f"group {group!r} has no relevant document (label >= 1)")
        return list(groups.values())

    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        batch = tokenize(tokenizer, [e.text for e in examples], [e.text_pair or "" for e in examples],
                         options.max_length)
        groups = self.groups(examples) if options.train else None
        if groups is None:
            features = [self._pair(batch, i, examples[i], options.train) for i in range(len(examples))]
        else:
            features = [self._group(batch, rows, examples) for rows in groups]
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        self.stats.truncated += sum(truncated_rows(batch, options.max_length))
        return features

    def _pair(self, batch: Any, i: int, example: Example, train: bool) -> Feature:
        feature = {**model_inputs(batch, i), "example_index": i}
        if train:
            feature["labels"] = float(self.target(example))
        return feature

    def _group(self, batch: Any, rows: list[int], examples: Sequence[Example]) -> Feature:
        feature: Feature = {key: [batch[key][r] for r in rows] for key in INPUT_KEYS if key in batch}
        feature["labels"] = [float(self.target(examples[r])) for r in rows]
        feature["example_indices"] = rows
        return feature

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForSequenceClassification

        from jbert.heads.reranker_model import RerankerModel

        model = AutoModelForSequenceClassification.from_pretrained(name_or_path, num_labels=1, **kwargs)
        return RerankerModel(model, self.activation)

    def collator(self, tokenizer: Any, pad_to_multiple_of: int | None = None, position_ids: bool = False,
                 tensors: str = "pt") -> Any:
        return GroupCollator(tokenizer, pad_to_multiple_of=pad_to_multiple_of, position_ids=position_ids,
                             tensors=tensors)

    def decode(self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example],
               options: EncodeOptions) -> list[Prediction]:
        logits = first_output(outputs).reshape(len(features), -1)
        scores: list[float | None] = [None] * len(examples)
        for feature, row in zip(features, logits, strict=True):
            for j, i in enumerate(feature.get("example_indices", [feature.get("example_index")])):
                logit = float(row[j])
                scores[i] = logit if self.activation == "identity" else float(1.0 / (1.0 + np.exp(-logit)))
        if any(s is None for s in scores):
            raise ValueError("decode got no features for some examples")
        return [Prediction(id=e.id, line=e.line, score=s) for e, s in zip(examples, scores, strict=True)]

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.score for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [(self.query_key(e), self.target(e)) for e in examples]


class GroupCollator(PaddingCollator):
    """Pairs as any sequence head; groups padded to the batch's largest with token-less documents
    (``[batch, docs, seq]``) and float labels ``[batch, docs]`` padded with -100."""

    def __call__(self, features: Sequence[Feature]) -> dict[str, Any]:
        if "example_indices" not in features[0]:
            return super().__call__(features)
        width = max(len(f["input_ids"]) for f in features)
        padded = [{k: list(v) + [[]] * (width - len(v)) for k, v in f.items() if k in INPUT_KEYS} for f in features]
        batch = super().__call__(padded)
        if "labels" in features[0]:
            labels = np.full((len(features), width), LABEL_PAD, dtype=np.float32)
            for i, feature in enumerate(features):
                labels[i, : len(feature["labels"])] = feature["labels"]
            batch["labels"] = labels if self.tensors == "np" else _tensor(labels)
        return batch


def _tensor(array: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(array)


__all__ = ["GroupCollator", "RerankerHead"]
