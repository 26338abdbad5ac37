"""NER (``token``): entities are character spans of the text; the model tags sub-tokens in IOB2.

Alignment goes through the tokenizer's ``offset_mapping`` (character spans of the ORIGINAL
text). Every sub-token is labelled, not only the first of each word: the first sub-token that
overlaps an entity gets ``B-TYPE``, the following ones ``I-TYPE``, all others ``O``; special
tokens get -100. Labelling all sub-tokens needs no word ids (SentencePiece models have none,
and MeCab words need not match entity boundaries), and decoding is then just "a B-X followed
by I-X tokens is one entity", mapped back through the same offsets.

An entity whose start or end falls inside a token is widened to whole tokens (so the model
still learns it) and counted in ``stats.misaligned``, with a warning naming an example.

Labels are the entity TYPES (``["LOC", "ORG", "PER"]``); the head derives the IOB2 tags
``["O", "B-LOC", "I-LOC", ...]``. A full IOB2 tag list (a saved model's ``id2label``) is
accepted too and kept in its order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import TaskSpec
from jbert.data import Entity, Example, Prediction
from jbert.heads import HEADS
from jbert.heads._util import (
    check_rows,
    data_error,
    first_output,
    model_inputs,
    require_labels,
    softmax,
    tokenize,
    truncated_rows,
)
from jbert.heads.base import Feature, Head

logger = logging.getLogger(__name__)
IGNORE = -100


def _is_tag_list(labels: Sequence[str]) -> bool:
    return "O" in labels and all(label == "O" or label[:2] in ("B-", "I-") for label in labels)


@HEADS.register("token")
class TokenHead(Head):
    """Character-span NER over sub-token IOB2 tags."""

    name = "token"

    def __init__(self, spec: TaskSpec, labels: Sequence[str] | None = None):
        # Without explicit labels (a saved model's id2label), the spec's fixed types apply.
        super().__init__(spec, labels if labels is not None else spec.labels)

    # --- labels -----------------------------------------------------------------------------
    @property
    def tags(self) -> list[str]:
        """The model's label list: ``O`` then ``B-``/``I-`` per type (or the given tag list)."""
        labels = require_labels(self.labels, self.name)
        if _is_tag_list(labels):
            return labels
        return ["O"] + [f"{prefix}-{t}" for t in labels for prefix in ("B", "I")]

    @property
    def types(self) -> list[str]:
        return sorted({tag[2:] for tag in self.tags if tag != "O"})

    def infer_labels(self, examples: Sequence[Example]) -> list[str] | None:
        types = sorted({e.label for ex in examples for e in ex.entities})
        if examples and not types:
            raise data_error(examples[0], "the training file has no entities", "check the tag / entities column")
        return types or None

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        if not train:
            return
        known = set(self.types)
        columns = (self.spec.column("entities", "entities"), self.spec.column("tags", "tags"))
        for example in examples:
            if not any(c in example.fields for c in columns):
                raise data_error(
                    example, f"no entity annotations (no column {columns[0]!r} or {columns[1]!r})",
                    "NER training rows need entities [{start, end, label}] or IOB2 tags", "missing_label",
                )
            for entity in example.entities:
                if entity.label not in known:
                    raise data_error(
                        example, f"unknown entity type {entity.label!r}; known: {', '.join(sorted(known))}",
                        "fix the row or add the type to the task spec's labels", "unknown_label",
                    )

    # --- encode -----------------------------------------------------------------------------
    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        batch = tokenize(tokenizer, [e.text for e in examples], None, options.max_length, return_offsets_mapping=True)
        tag_ids = {tag: i for i, tag in enumerate(self.tags)} if options.train else {}
        features, misaligned = [], []
        for i, example in enumerate(examples):
            offsets = _content_offsets(batch["offset_mapping"][i], batch.sequence_ids(i))
            feature = {**model_inputs(batch, i), "example_index": i, "offset_mapping": offsets}
            if options.train:
                feature["labels"], bad = _token_labels(example.entities, offsets, tag_ids)
                misaligned += [(example, e) for e in bad]
            features.append(feature)
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        self.stats.truncated += sum(truncated_rows(batch, options.max_length))
        self._report_misaligned(misaligned, sum(len(e.entities) for e in examples))
        return features

    def _report_misaligned(self, misaligned: list[tuple[Example, Entity]], total: int) -> None:
        if not misaligned:
            return
        self.stats.misaligned += len(misaligned)
        self.stats.misaligned_at += [(e.source, e.line) for e, _ in misaligned]
        example, entity = misaligned[0]
        logger.warning(
            "%d of %d entities do not start and end on token boundaries; they are trained as the whole "
            "tokens they overlap (e.g. %s:%d %r at %d-%d in %r)",
            len(misaligned), total, example.source, example.line, entity.text, entity.start, entity.end,
            example.text[max(0, entity.start - 10) : entity.end + 10],
        )

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForTokenClassification

        tags = self.tags
        return AutoModelForTokenClassification.from_pretrained(
            name_or_path,
            num_labels=len(tags),
            id2label=dict(enumerate(tags)),
            label2id={tag: i for i, tag in enumerate(tags)},
            **kwargs,
        )

    # --- decode -----------------------------------------------------------------------------
    def decode(
        self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example], options: EncodeOptions
    ) -> list[Prediction]:
        logits = first_output(outputs)  # [n, seq, num_tags], rows right-padded with -100
        check_rows(logits, features)
        tags = self.tags
        found: dict[int, list[Entity]] = {}
        for row, feature in enumerate(features):
            offsets = feature["offset_mapping"]
            probs = softmax(logits[row, : len(offsets), : len(tags)])
            example = examples[feature["example_index"]]
            found.setdefault(feature["example_index"], []).extend(_entities(probs, offsets, tags, example.text))
        return [
            Prediction(id=e.id, line=e.line, entities=tuple(sorted(found.get(i, []), key=lambda x: x.start)))
            for i, e in enumerate(examples)
        ]

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [tuple((e.start, e.end, e.label) for e in p.entities or ()) for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [tuple((e.start, e.end, e.label) for e in ex.entities) for ex in examples]


def _content_offsets(offsets: Sequence[tuple[int, int]], sequence_ids: Sequence[int | None]) -> list[Any]:
    """Character span per token; None for special tokens ([CLS], [SEP], padding)."""
    return [tuple(span) if sid is not None else None for span, sid in zip(offsets, sequence_ids, strict=True)]


def _token_labels(
    entities: Sequence[Entity], offsets: Sequence[Any], tag_ids: dict[str, int]
) -> tuple[list[int], list[Entity]]:
    """IOB2 tag ids per token (-100 on special tokens) and the entities that cut through a token."""
    content = np.array([span is not None for span in offsets], dtype=bool)
    starts = np.array([span[0] if span else -1 for span in offsets])
    ends = np.array([span[1] if span else -1 for span in offsets])
    labels = np.where(content, tag_ids["O"], IGNORE)
    real = content & (ends > starts)
    last_char = ends[real].max(initial=0)  # beyond it, text was cut by max_length
    misaligned = []
    for entity in entities:
        inside = np.flatnonzero(real & (starts < entity.end) & (ends > entity.start))
        if inside.size == 0:
            continue  # cut off by max_length: counted in stats.truncated
        labels[inside[0]] = tag_ids[f"B-{entity.label}"]
        labels[inside[1:]] = tag_ids[f"I-{entity.label}"]
        if starts[inside[0]] != entity.start or (ends[inside[-1]] != entity.end and entity.end <= last_char):
            misaligned.append(entity)
    return labels.tolist(), misaligned


def _entities(probs: np.ndarray, offsets: Sequence[Any], tags: Sequence[str], text: str) -> list[Entity]:
    """Entities from per-token tag probabilities: B-X I-X* runs (an I-X after O or another type
    starts a new entity, as seqeval's default mode reads it). Score = mean token probability."""
    best = probs.argmax(axis=-1)
    entities: list[Entity] = []
    current: list[Any] | None = None  # [type, start, end, [(token index, prob)]]
    for i in np.flatnonzero(best != list(tags).index("O")):
        span = offsets[i]
        if span is None or span[1] <= span[0]:
            continue
        prefix, kind = tags[best[i]][:1], tags[best[i]][2:]
        contiguous = current is not None and _previous_content(offsets, i) == current[3][-1][0]
        if prefix == "I" and contiguous and current[0] == kind:
            current[2] = span[1]
            current[3].append((i, probs[i, best[i]]))
            continue
        if current is not None:
            entities.append(_entity(current, text))
        current = [kind, span[0], span[1], [(i, probs[i, best[i]])]]
    if current is not None:
        entities.append(_entity(current, text))
    return entities


def _previous_content(offsets: Sequence[Any], i: int) -> int:
    j = i - 1
    while j >= 0 and (offsets[j] is None or offsets[j][1] <= offsets[j][0]):
        j -= 1
    return j


def _entity(current: list[Any], text: str) -> Entity:
    kind, start, end, scored = current
    return Entity(start=start, end=end, label=kind, text=text[start:end], score=float(np.mean([p for _, p in scored])))
