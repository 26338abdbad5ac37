"""Sequence heads: one text or a text pair -> a class (``classification``, ``pair-classification``)
or a number (``pair-regression``, e.g. JSTS similarity: one output, MSE loss).

One feature per example. Class labels are compared as strings (a JSON ``1`` is the label
``"1"``), regression labels as floats (a CSV ``"3.8"`` is 3.8).

>>> head = get_head("pair-classification")(spec, labels=["entailment", "contradiction", "neutral"])
>>> features = head.encode(examples, tokenizer, EncodeOptions(max_length=128))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import TaskSpec
from jbert.data import Example, Prediction
from jbert.heads import HEADS
from jbert.heads._util import (
    check_rows,
    data_error,
    first_output,
    missing_label,
    model_inputs,
    require_labels,
    require_text_pair,
    softmax,
    tokenize,
    truncated_rows,
)
from jbert.heads.base import Feature, Head


class _SequenceHead(Head):
    """Tokenizes ``text`` (and ``text_pair`` when ``paired``); subclasses set the label side."""

    paired: bool = False

    @property
    def label_column(self) -> str:
        return self.spec.column("label", "label")

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        for example in examples:
            if self.paired:
                require_text_pair(example, self.spec.column("text_pair"))
            if train:
                self.target(example)

    def target(self, example: Example) -> Any:
        """The model's training target for this example (raises DataFormatError when bad)."""
        raise NotImplementedError

    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        pairs = [e.text_pair or "" for e in examples] if self.paired else None
        batch = tokenize(tokenizer, [e.text for e in examples], pairs, options.max_length)
        features = []
        for i, example in enumerate(examples):
            feature = {**model_inputs(batch, i), "example_index": i}
            if options.train:
                feature["labels"] = self.target(example)
            features.append(feature)
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        self.stats.truncated += sum(truncated_rows(batch, options.max_length))
        return features


class _ClassHead(_SequenceHead):
    def __init__(self, spec: TaskSpec, labels: Sequence[str] | None = None):
        # Without explicit labels (a saved model's id2label), the spec's fixed label set applies.
        super().__init__(spec, labels if labels is not None else spec.labels)

    def infer_labels(self, examples: Sequence[Example]) -> list[str] | None:
        labels = sorted({str(e.label) for e in examples if e.label is not None and e.label != ""})
        if len(labels) == 1:
            first = examples[0]
            raise data_error(first, f"every training label is {labels[0]!r}", "a classifier needs at least two labels")
        return labels or None

    def target(self, example: Example) -> int:
        if example.label is None or example.label == "":
            raise missing_label(example, self.label_column)
        label2id = self._label2id()
        key = str(example.label)
        if key not in label2id:
            raise data_error(
                example, f"unknown label {key!r}; known labels: {', '.join(label2id)}",
                "fix the row or add the label to the task spec's labels", "unknown_label",
            )
        return label2id[key]

    def _label2id(self) -> dict[str, int]:
        # Cached per label list: self.labels may be assigned after construction.
        labels = tuple(require_labels(self.labels, self.name))
        if getattr(self, "_label2id_for", None) != labels:
            self._label2id_for, self._label2id_map = labels, {label: i for i, label in enumerate(labels)}
        return self._label2id_map

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForSequenceClassification

        labels = require_labels(self.labels, self.name)
        return AutoModelForSequenceClassification.from_pretrained(
            name_or_path,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            problem_type="single_label_classification",
            **kwargs,
        )

    def decode(
        self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example], options: EncodeOptions
    ) -> list[Prediction]:
        labels = require_labels(self.labels, self.name)
        logits = first_output(outputs)
        check_rows(logits, features)
        probs = softmax(logits[:, : len(labels)])
        best = probs.argmax(axis=-1)
        predictions: list[Prediction | None] = [None] * len(examples)
        for row, feature in enumerate(features):
            i = feature["example_index"]
            predictions[i] = Prediction(
                id=examples[i].id,
                line=examples[i].line,
                label=labels[best[row]],
                score=float(probs[row, best[row]]),
                probabilities={label: float(p) for label, p in zip(labels, probs[row], strict=True)},
            )
        return _complete(predictions)

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.label for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [str(e.label) if e.label is not None else None for e in examples]


@HEADS.register("classification")
class ClassificationHead(_ClassHead):
    """One text -> one of ``labels`` (MARC-ja, JCoLA)."""

    name = "classification"


@HEADS.register("pair-classification")
class PairClassificationHead(_ClassHead):
    """(text, text_pair) -> one of ``labels`` (JNLI)."""

    name = "pair-classification"
    paired = True


def regression_value(label: Any) -> float | None:
    """The finite number a regression label holds (``"3.8"`` -> 3.8); None for anything else, ``inf``,
    ``-Infinity``, ``nan`` and booleans included (a loss on them is inf or nan)."""
    try:
        value = float(label) if not isinstance(label, bool) else math.nan
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@HEADS.register("pair-regression")
class PairRegressionHead(_SequenceHead):
    """(text, text_pair) -> a number (JSTS): one output, ``problem_type="regression"`` (MSE)."""

    name = "pair-regression"
    paired = True

    def target(self, example: Example) -> float:
        if example.label is None or example.label == "":
            raise missing_label(example, self.label_column)
        value = regression_value(example.label)
        if value is None:
            raise data_error(example, f"label {example.label!r} is not a number", "a regression label is a number such as 3.8")
        return value

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification.from_pretrained(
            name_or_path, num_labels=1, problem_type="regression", **kwargs
        )

    def decode(
        self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example], options: EncodeOptions
    ) -> list[Prediction]:
        scores = first_output(outputs).reshape(len(features), -1)[:, 0]
        predictions: list[Prediction | None] = [None] * len(examples)
        for row, feature in enumerate(features):
            i = feature["example_index"]
            score = float(scores[row])
            predictions[i] = Prediction(id=examples[i].id, line=examples[i].line, label=score, score=score)
        return _complete(predictions)

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.score for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [self.target(e) for e in examples]


def _complete(predictions: list[Prediction | None]) -> list[Prediction]:
    missing = [i for i, p in enumerate(predictions) if p is None]
    if missing:
        raise ValueError(f"decode got no features for example(s) {missing[:5]}")
    return predictions  # type: ignore[return-value]


__all__ = ["ClassificationHead", "PairClassificationHead", "PairRegressionHead"]
