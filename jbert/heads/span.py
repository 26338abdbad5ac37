"""Extractive QA (``span``): the answer is a character span of the context.

Encoding follows HF ``run_qa.py``: question first, context second, ``truncation="only_second"``,
a long context split into windows of ``max_length`` tokens that overlap by ``doc_stride``
tokens (``return_overflowing_tokens``; at most half of a window's context room, so that a
long question cannot make windows crawl one token at a time: such examples are counted in
``stats.stride_reduced`` and warned about); a window that does not contain the first gold answer is
trained to point at [CLS]. Answers are located through character offsets, so they map back to
the ORIGINAL context; a gold answer whose start or end falls inside a token is counted in
``stats.misaligned`` (how SentencePiece tokenizers that glue punctuation to words show up).

Decoding follows HF ``utils_qa.postprocess_qa_predictions``: per window the ``n_best_size``
best start and end logits, spans inside the context only, ``end >= start``, at most
``max_answer_length`` tokens; candidates from all windows of an example are ranked by
``start_logit + end_logit`` and their softmax is the reported score. Two differences: the
top-k is taken over context tokens only (question tokens cannot crowd out real candidates), and
the same character span found in two overlapping windows is listed once (best score kept).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.data import Example, Prediction
from jbert.heads import HEADS
from jbert.heads._util import check_rows, data_error, model_inputs, require_text_pair, softmax
from jbert.heads.base import Feature, Head

logger = logging.getLogger(__name__)


@HEADS.register("span")
class SpanHead(Head):
    """Question + context -> answer span; several windows (features) per long context."""

    name = "span"

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        for example in examples:
            require_text_pair(example, self.spec.column("text_pair", "context"))
            if train and not example.answers:
                raise data_error(
                    example, f"question {example.id!r} has no answers", "training/evaluation needs gold answers", "missing_label"
                )

    # --- encode -----------------------------------------------------------------------------
    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        questions, budgets = self._questions(examples, tokenizer, options)
        # The overlap must be smaller than the room a window has for the context, which depends
        # on the question. Capping it at half that room keeps windows advancing by at least half
        # a window; examples are grouped by the overlap they can use (usually all doc_stride).
        groups: dict[int, list[int]] = defaultdict(list)
        for i, budget in enumerate(budgets):
            groups[max(0, min(options.stride, budget // 2))].append(i)
        self._report_reduced_stride(len(examples) - len(groups.get(options.stride, [])), options)
        per_example: dict[int, list[Feature]] = defaultdict(list)
        misaligned: set[int] = set()
        for stride, indices in groups.items():
            batch = tokenizer(
                [questions[i] for i in indices],
                [examples[i].text_pair for i in indices],
                truncation="only_second",
                max_length=options.max_length,
                stride=stride,
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
            )
            for j, sample in enumerate(batch["overflow_to_sample_mapping"]):
                index = indices[sample]
                feature = self._window(batch, j, index, examples[index], options.train, tokenizer, misaligned)
                per_example[index].append(feature)
        features = [f for i in range(len(examples)) for f in per_example[i]]
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        self._report_misaligned(sorted(misaligned), examples)
        return features

    def _report_reduced_stride(self, count: int, options: EncodeOptions) -> None:
        if count:
            self.stats.stride_reduced += count
            logger.warning(
                "%d question(s) leave a window less than twice doc_stride (%d) of context at max_length %d: their "
                "windows overlap by half their context room instead", count, options.stride, options.max_length,
            )

    def _report_misaligned(self, indices: list[int], examples: Sequence[Example]) -> None:
        if not indices:
            return
        self.stats.misaligned += len(indices)
        self.stats.misaligned_at += [(examples[i].source, examples[i].line) for i in indices]
        example = examples[indices[0]]
        logger.warning(
            "%d of %d gold answers do not start and end on token boundaries; they are trained as the whole "
            "tokens they overlap (e.g. %s:%d question %r, answer %r)",
            len(indices), len(examples), example.source, example.line, example.id, example.answers[0].text,
        )

    def _questions(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> tuple[list[str], list[int]]:
        """Questions (left-stripped, as run_qa does) cut to ``max_length // 2`` tokens so that a
        context always fits, and the room each leaves for the context in a window."""
        limit = options.max_length // 2
        questions = [e.text.lstrip() for e in examples]
        batch = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
        lengths = [len(offsets) for offsets in batch["offset_mapping"]]
        for i, offsets in enumerate(batch["offset_mapping"]):
            if len(offsets) > limit:
                questions[i] = questions[i][: offsets[limit - 1][1]]
                lengths[i] = len(tokenizer(questions[i], add_special_tokens=False)["input_ids"])
                self.stats.truncated += 1
        specials = tokenizer.num_special_tokens_to_add(pair=True)
        return questions, [options.max_length - n - specials for n in lengths]

    def _window(
        self, batch: Any, j: int, index: int, example: Example, train: bool, tokenizer: Any, misaligned: set[int]
    ) -> Feature:
        sequence_ids = batch.sequence_ids(j)
        offsets = [tuple(span) if sid == 1 else None for span, sid in zip(batch["offset_mapping"][j], sequence_ids, strict=True)]
        feature = {**model_inputs(batch, j), "example_index": index, "offset_mapping": offsets}
        if train:
            cls = feature["input_ids"].index(tokenizer.cls_token_id) if tokenizer.cls_token_id in feature["input_ids"] else 0
            start, end, exact = _answer_tokens(example.answers[0], offsets)
            feature["start_positions"] = start if start is not None else cls
            feature["end_positions"] = end if end is not None else cls
            if start is not None and not exact:
                misaligned.add(index)
        return feature

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModelForQuestionAnswering

        return AutoModelForQuestionAnswering.from_pretrained(name_or_path, **kwargs)

    # --- decode -----------------------------------------------------------------------------
    def decode(
        self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example], options: EncodeOptions
    ) -> list[Prediction]:
        start_logits, end_logits = _split_outputs(outputs)
        check_rows(start_logits, features)
        rows: dict[int, list[int]] = defaultdict(list)
        for row, feature in enumerate(features):
            rows[feature["example_index"]].append(row)
        predictions = []
        for i, example in enumerate(examples):
            candidates: dict[tuple[int, int], float] = {}
            for row in rows.get(i, []):
                offsets = features[row]["offset_mapping"]
                n = len(offsets)
                for span, score in _candidates(start_logits[row, :n], end_logits[row, :n], offsets, options):
                    candidates[span] = max(score, candidates.get(span, -np.inf))
            predictions.append(_prediction(example, candidates, options.n_best_size))
        return predictions

    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.answer or "" for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        return [[a.text for a in e.answers] for e in examples]


def _answer_tokens(answer: Any, offsets: Sequence[Any]) -> tuple[int | None, int | None, bool]:
    """Token indices of the answer's first and last token in this window (None, None when the
    window does not hold the whole answer) and whether both ends fall on token boundaries."""
    context = [k for k, span in enumerate(offsets) if span is not None and span[1] > span[0]]
    if not context:
        return None, None, True
    start_char, end_char = answer.start, answer.start + len(answer.text)
    if offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return None, None, True
    starts = np.array([offsets[k][0] for k in context])
    ends = np.array([offsets[k][1] for k in context])
    first = int(np.searchsorted(starts, start_char, side="right")) - 1  # last token starting at/before it
    last = int(np.searchsorted(ends, end_char, side="left"))  # first token ending at/after it
    exact = starts[first] == start_char and ends[last] == end_char
    return context[first], context[last], bool(exact)


def _split_outputs(outputs: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(outputs, (tuple, list)) and len(outputs) >= 2:
        start, end = outputs[0], outputs[1]
    else:
        both = np.asarray(outputs)  # [n, seq, 2]
        start, end = both[..., 0], both[..., 1]
    to_np = lambda x: np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float32)  # noqa: E731
    return to_np(start), to_np(end)


def _candidates(start: np.ndarray, end: np.ndarray, offsets: Sequence[Any], options: EncodeOptions):
    """The window's best valid spans: ``[((char_start, char_end), start_logit + end_logit)]``,
    at most ``n_best_size`` of them (more could never reach the example's n-best list)."""
    spans = np.array([span if span is not None and span[1] > span[0] else (-1, -1) for span in offsets])
    in_context = spans[:, 0] >= 0
    k = min(options.n_best_size, int(in_context.sum()))
    if k == 0:
        return []
    start = np.where(in_context, start, -np.inf)
    end = np.where(in_context, end, -np.inf)
    s_idx = np.argsort(start, kind="stable")[::-1][:k]
    e_idx = np.argsort(end, kind="stable")[::-1][:k]
    S, E = np.meshgrid(s_idx, e_idx, indexing="ij")
    scores = np.where((E >= S) & (E - S + 1 <= options.max_answer_length), start[S] + end[E], -np.inf).ravel()
    best = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
    S, E = S.ravel(), E.ravel()
    return [((int(spans[S[i], 0]), int(spans[E[i], 1])), float(scores[i])) for i in best]


def _prediction(example: Example, candidates: dict[tuple[int, int], float], n_best_size: int) -> Prediction:
    context = example.text_pair or ""
    if not candidates:
        return Prediction(id=example.id, line=example.line, answer="", score=0.0, n_best=())
    ranked = sorted(candidates.items(), key=lambda item: -item[1])[:n_best_size]
    probs = softmax(np.array([score for _, score in ranked]))
    n_best = tuple(
        {"text": context[s:e], "start": s, "end": e, "score": float(p), "logit": score}
        for ((s, e), score), p in zip(ranked, probs, strict=True)
    )
    best = n_best[0]
    return Prediction(
        id=example.id, line=example.line, answer=best["text"], start=best["start"], end=best["end"],
        score=best["score"], n_best=n_best,
    )
