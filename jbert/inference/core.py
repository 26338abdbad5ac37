"""The prediction core: one chunk of Examples -> Predictions with any head.

encode (head + tokenizer) -> length-sorted batches -> model under ``torch.inference_mode()`` ->
outputs put back in feature order -> ``head.decode``. Sorting by length keeps padding (and so
wasted compute) small; decode never sees the sorted order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.inference import RunSettings
from jbert.config.precision import autocast_dtype, resolve_precision
from jbert.data import Example, Prediction, RowError
from jbert.errors import ConfigError, DataFormatError
from jbert.heads.base import Feature, Head
from jbert.models.inputs import clamp_max_length, model_inputs

logger = logging.getLogger(__name__)
T = TypeVar("T")
PAD_VALUE = -100  # what decode expects in the padded tail of per-token outputs (as HF's Trainer)
_NOT_OUTPUTS = ("loss", "hidden_states", "attentions")


def runs_on_numpy(model: Any) -> bool:
    """A model that takes and returns numpy arrays (an ONNX Runtime export: ``tensor_type = "np"``); it
    runs on the CPU and needs no torch."""
    return getattr(model, "tensor_type", "pt") == "np"


def resolve_device(device: str | None) -> str:
    """``None``/``auto``: the CUDA GPU when there is one, else CPU. A GPU that is not there is an error."""
    if device == "cpu":
        return device  # no torch import: an ONNX model predicts without it
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError:
        raise ConfigError(f"--device {device!r} is not a device; use cpu, cuda, cuda:1 or auto") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no CUDA GPU is visible to torch; use --device cpu")
    return device


class Predictor:
    """Runs a head's model on chunks of examples.

    >>> predictor = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, RunSettings(batch_size=64))
    >>> pairs, errors = predictor.predict(examples)
    """

    def __init__(self, head: Head, tokenizer: Any, model: Any, options: EncodeOptions,
                 settings: RunSettings | None = None):
        settings = settings or RunSettings()
        settings.check()
        device, precision = settings.device, settings.precision
        # the inputs and the longest sequence this architecture reads (an export records them): the one
        # place an inference run meets the model, so the one place --max-length is clamped to it
        takes = getattr(model, "model_inputs", None) or model_inputs(model.config)
        self.input_names = takes.names
        max_length = clamp_max_length(settings.max_length or options.max_length, takes, "--max-length")
        options = replace(options, train=False, max_length=max_length)
        self.head, self.tokenizer, self.options, self.batch_size = head, tokenizer, options, settings.batch_size
        # A model that runs on numpy arrays (ONNX Runtime) gets them: no torch in that process.
        self.numpy = runs_on_numpy(model)
        self.device = "cpu" if self.numpy else resolve_device(device)
        self.dtype = None if self.numpy else autocast_dtype(resolve_precision(precision, self.device.split(":")[0]))
        self.model = model.to(self.device).eval()
        self.collate = head.collator(tokenizer, position_ids=takes.position_ids, tensors="np" if self.numpy else "pt")
        self.truncated = 0  # examples cut by max_length, over every chunk so far

    def predict(
        self, examples: Sequence[Example], skip_errors: bool = False
    ) -> tuple[list[tuple[Example, Prediction]], list[RowError]]:
        """(example, prediction) pairs in input order. With ``skip_errors``, an example the head
        rejects (a DataFormatError at its line) is dropped and reported instead of stopping the chunk."""
        examples, errors = list(examples), []
        while True:
            try:
                return list(zip(examples, self._predict(examples), strict=True)), errors
            except DataFormatError as exc:
                bad = _offending(examples, exc) if skip_errors else None
                if bad is None:
                    raise
                errors.append(RowError.from_error(exc, examples[bad].id))
                del examples[bad]

    def stream(
        self, items: Iterable[Example | RowError], chunk_size: int, skip_errors: bool = False
    ) -> Iterator[tuple[list[tuple[Example, Prediction]], list[RowError]]]:
        """Chunk by chunk: the pairs predicted and the rows in error (reader or head), in input order.
        Memory stays flat: only one chunk's examples, features and outputs are alive at a time."""
        for chunk in chunked(items, chunk_size):
            examples = [x for x in chunk if isinstance(x, Example)]
            pairs, errors = self.predict(examples, skip_errors)
            errors += [x for x in chunk if isinstance(x, RowError)]
            yield pairs, sorted(errors, key=lambda e: e.line or 0)

    def _predict(self, examples: list[Example]) -> list[Prediction]:
        if not examples:
            return []
        before = self.head.stats.truncated
        features = self.head.encode(examples, self.tokenizer, self.options)
        self.truncated += max(self.head.stats.truncated - before, 0)
        outputs = self.forward(features)
        return self.head.decode(outputs, features, examples, self.options)

    def forward(self, features: Sequence[Feature]) -> np.ndarray | tuple[np.ndarray, ...]:
        """Model outputs for every feature, in feature order. Per-token outputs past a feature's own
        length hold padding: -100, or the pad positions' logits of its batch (as in HF's Trainer)."""
        order = sorted(range(len(features)), key=lambda i: _length(features[i]))
        batches: list[tuple[list[int], tuple[np.ndarray, ...]]] = []
        with self._inference():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self.collate([features[i] for i in rows])
                # Gold targets stay out: the model would only spend time on a loss nobody reads.
                inputs = {k: v if self.numpy else v.to(self.device) for k, v in batch.items() if k in self.input_names}
                batches.append((rows, _outputs(self.model(**inputs))))
        merged = _merge(batches, len(features))
        return merged[0] if len(merged) == 1 else merged

    def _inference(self) -> contextlib.AbstractContextManager[Any]:
        """torch's inference mode and autocast for a torch model; nothing for a numpy one."""
        if self.numpy:
            return contextlib.nullcontext()
        import torch

        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        stack.enter_context(torch.autocast(self.device.split(":")[0], dtype=self.dtype or torch.float32,
                                           enabled=self.dtype is not None))
        return stack


def _length(feature: Feature) -> int:
    ids = feature["input_ids"]
    # Multiple choice: [num_choices][seq]; its padded width is the longest choice.
    return max((len(x) for x in ids), default=0) if ids and isinstance(ids[0], (list, tuple)) else len(ids)


def _outputs(output: Any) -> tuple[np.ndarray, ...]:
    """Every tensor a ModelOutput carries except the loss and the hidden states (HF Trainer's rule)."""
    items = output.items() if hasattr(output, "items") else enumerate(output)
    return tuple(
        np.asarray(v, dtype=np.float32) if isinstance(v, np.ndarray) else v.detach().float().cpu().numpy()
        for k, v in items if k not in _NOT_OUTPUTS and (hasattr(v, "detach") or isinstance(v, np.ndarray))
    )


def _merge(batches: list[tuple[list[int], tuple[np.ndarray, ...]]], total: int) -> tuple[np.ndarray, ...]:
    """Scatter per-batch outputs back to feature order; shorter sequence axes are padded with -100."""
    if not batches:
        return (np.zeros((0,), dtype=np.float32),)
    merged = []
    for j in range(len(batches[0][1])):
        parts = [(rows, outs[j]) for rows, outs in batches]
        tail = np.max([p.shape[1:] for _, p in parts], axis=0) if parts[0][1].ndim > 1 else ()
        out = np.full((total, *tail), PAD_VALUE, dtype=np.float32)
        for rows, part in parts:
            out[(rows, *(slice(0, n) for n in part.shape[1:]))] = part
        merged.append(out)
    return tuple(merged)


def _offending(examples: Sequence[Example], exc: DataFormatError) -> int | None:
    """Index of the example a DataFormatError points at (same file and line), if any."""
    for i, example in enumerate(examples):
        if example.line == exc.line and (example.source or "<input>") == exc.path:
            return i
    return None


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to ``size`` consecutive items of an iterable (the last may be shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
