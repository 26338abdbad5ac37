"""Multiple choice (``choice``): a question and N choices -> the index of the right choice
(JCommonsenseQA: five). Each (question, choice) pair is encoded like a sentence pair, so a
feature's ``input_ids`` is ``[num_choices, seq]``; the collator pads it to
``[batch, num_choices, longest]``. The label is the choice index (``2``, ``"2"``), or the text
of the right choice. Every example in a run needs the same number of choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jbert.config.encoding import EncodeOptions
from jbert.data import Example, Prediction
from jbert.heads import HEADS
from jbert.heads._util import (
    check_rows,
    data_error,
    first_output,
    missing_label,
    softmax,
    tokenize,
    truncated_rows,
)
from jbert.heads.base import Feature, Head

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")


@HEADS.register("choice")
class ChoiceHead(Head):
    """Question + N choices -> choice index (``AutoModelForMultipleChoice``)."""

    name = "choice"

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        if not examples:
            return
        count = len(examples[0].choices)
        for example in examples:
            if len(example.choices) < 2:
                raise data_error(
                    example, f"{len(example.choices)} choice(s); a multiple-choice question needs at least two",
                    "map the choices column(s) with the task spec's columns.choices",
                )
            if len(example.choices) != count:
                raise data_error(
                    example, f"{len(example.choices)} choices, but line {examples[0].line} has {count}",
                    "every question needs the same number of choices",
                )
            if train:
                self.target(example)

    def target(self, example: Example) -> int:
        """The right choice's index, from an index or the choice's text."""
        label, column = example.label, self.spec.column("label", "label")
        if label is None or label == "":
            raise missing_label(example, column)
        if isinstance(label, str) and label in example.choices and not label.strip().isdigit():
            return example.choices.index(label)
        try:
            index = int(label) if not isinstance(label, bool) and float(label) == int(float(label)) else -1
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(example.choices):
            raise data_error(
                example, f"label {label!r} is not a choice index 0-{len(example.choices) - 1} nor a choice's text",
                "the label is the index of the right choice",
            )
        return index

    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        questions = [e.text for e in examples for _ in e.choices]
        choices = [c for e in examples for c in e.choices]
        batch = tokenize(tokenizer, questions, choices, options.max_length)
        cut = truncated_rows(batch, options.max_length)
        features, row = [], 0
        for i, example in enumerate(examples):
            rows = range(row, row + len(example.choices))
            feature: Feature = {key: [batch[key][r] for r in rows] for key in INPUT_KEYS if key in batch}
            feature["example_index"] = i
            if options.train:
                feature["labels"] = self.target(example)
            self.stats.truncated += any(cut[r] for r in rows)
            features.append(feature)
            row += len(example.choices)
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        return features

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForMultipleChoice

        return AutoModelForMultipleChoice.from_pretrained(name_or_path, **kwargs)

    def decode(
        self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example], options: EncodeOptions
    ) -> list[Prediction]:
        logits = first_output(outputs)  # [n, num_choices]
        check_rows(logits, features)
        probs = softmax(logits)
        predictions: dict[int, Prediction] = {}
        for row, feature in enumerate(features):
            i = feature["example_index"]
            best = int(probs[row].argmax())
            predictions[i] = Prediction(
                id=examples[i].id,
                line=examples[i].line,
                label=best,
                score=float(probs[row, best]),
                probabilities={str(k): float(p) for k, p in enumerate(probs[row])},
            )
        return [predictions[i] for i in range(len(examples))]

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.label for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [self.target(e) for e in examples]
