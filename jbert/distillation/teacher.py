"""The teacher: its directory read without its weights (task, labels, settings), and its soft targets over
a split's features, computed once and cached (``jbert.distillation.cache``).

The teacher runs over exactly the features the student trains on (same tokenizer, same encoding), so its
per-token outputs line up with the student's token for token. Its weights are loaded only when a split
is not cached yet: a resumed run, a second epoch or a second student never run it again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.precision import autocast_dtype
from jbert.config.run import JbertConfig
from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.distillation import cache
from jbert.distillation.losses import HIDDEN, OutputKind
from jbert.errors import ConfigError
from jbert.heads import Feature, Head
from jbert.inference.runtimes import read_record
from jbert.models.directory import read_finetuned_config
from jbert.models.initialise import quiet_weight_saving
from jbert.models.inputs import ModelInputs, read_model_inputs, set_positions
from jbert.training.feature_cache import load_features, save_features
from jbert.training.sampling import feature_length

logger = logging.getLogger(__name__)


@dataclass
class Teacher:
    path: Path
    config: JbertConfig
    spec: TaskSpec
    labels: list[str] | None
    inputs: ModelInputs  # what the teacher's architecture takes
    layers: int  # transformer layers
    width: int  # hidden size

    @cached_property
    def fingerprint(self) -> dict[str, Any]:
        """A hash of its weights and files (``cache.teacher_fingerprint``), made when first needed: a sweep
        reads every run's teacher settings without hashing the weights each time."""
        return cache.teacher_fingerprint(self.path)


def read_teacher(path: str | None) -> Teacher:
    """The teacher directory's task, labels and settings; a directory that ``jbert finetune`` did not
    write (no ``jbert_config.yaml``) or an export (no trainable weights) is a one-line error."""
    if not path:
        raise ConfigError("missing --teacher: the fine-tuned model directory to distil from")
    try:
        config, spec, labels, _ = read_finetuned_config(path)
    except ConfigError as exc:
        raise ConfigError(f"--teacher: {exc}") from exc
    if read_record(path) is not None:
        raise ConfigError(f"--teacher {path} is an export (jbert export); distil from the fine-tuned directory "
                          "it was exported from")
    from transformers import AutoConfig

    directory = Path(path)
    inputs = read_model_inputs(str(directory), config.model.position_ids)
    shape = AutoConfig.from_pretrained(directory)
    return Teacher(directory, config, spec, labels, inputs, shape.num_hidden_layers, shape.hidden_size)


@dataclass
class SoftTargets:
    """What computing (or reading) one split's teacher outputs needs."""

    teacher: Teacher
    head: Head
    kind: OutputKind
    tokenizer: Any  # returns the inputs of both models while encoding
    collate: Any  # the teacher's collator
    folder: Path
    args: Any  # TrainingArguments: device, precision, ranks
    top_k: int | None
    hidden_layers: list[int]  # teacher hidden_states indices to keep (empty: none)
    precision: str = "fp32"  # resolved (jbert.config.precision): the training run's
    batch_size: int = 32
    loss: str | None = None  # training.loss: an embedding head encodes its training rows for its loss
    _model: Any = None

    def split(self, examples: Sequence[Example], source: Path, options: EncodeOptions,
              name: str) -> tuple[list[Feature], cache.CachedTargets]:
        """(features, teacher outputs) of one file: from the cache, else encoded, run and cached. Under
        ``accelerate launch`` a node's main process computes, the other ranks then read the files."""
        key = {"teacher": self.teacher.fingerprint, "data": cache.data_key(source), "spec": self.head.spec.to_dict(),
               "labels": self.head.labels, "options": asdict(options), "kind": self.kind.name,
               "inputs": list(self.tokenizer.model_input_names), "top_k": self.top_k, "hidden": self.hidden_layers,
               "loss": self.loss}
        features_file, targets_file = cache.split_files(self.folder, name, key)
        with self.args.main_process_first(local=True, desc=f"teacher outputs for {name}"):
            if features_file.is_file() and targets_file.is_file():
                logger.info("%s: teacher outputs read from %s (rank %d)", name, targets_file, self.args.process_index)
                return load_features(features_file), cache.CachedTargets(targets_file)
            features = self.head.encode(examples, self.tokenizer, options)
            batches = teacher_outputs(self._teacher_model(), self.collate, features, self.kind,
                                      self.teacher.inputs.names, top_k=self.top_k, hidden_layers=self.hidden_layers,
                                      device=self.args.device, precision=self.precision, batch_size=self.batch_size)
            writer = str(self.args.process_index)
            with cache.TargetsWriter(targets_file, writer) as out:
                for ids, rows in batches:
                    out.write(ids, rows)
            save_features(features_file, features, writer_id=writer)
            logger.info("%s: teacher outputs computed for %d features (rank %d)", name, len(features),
                        self.args.process_index)
            return features, cache.CachedTargets(targets_file)

    def _teacher_model(self) -> Any:
        if self._model is None:
            with quiet_weight_saving():
                model = self.head.model(str(self.teacher.path))
            set_positions(model.config, self.teacher.inputs.positions)
            self._model = model.to(self.args.device).eval()
        return self._model

    def release(self) -> None:
        self._model = None  # the teacher's weights are not needed while the student trains


def teacher_outputs(model: Any, collate: Any, features: Sequence[Feature], kind: OutputKind, names: Sequence[str], *,
                    top_k: int | None, hidden_layers: Sequence[int], device: Any, precision: str = "fp32",
                    batch_size: int = 32) -> Iterator[tuple[list[int], list[dict[str, np.ndarray]]]]:
    """(feature indices, the arrays ``kind`` keeps of the teacher's outputs for them) batch by batch;
    batches run length-sorted, so padding stays small. ``names``: the inputs the teacher takes;
    ``precision``: a resolved one (fp32, bf16, fp16)."""
    order = sorted(range(len(features)), key=lambda i: feature_length(features[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start: start + batch_size]
        batch = collate([features[i] for i in chunk])
        inputs = {k: v.to(device) for k, v in batch.items() if k in names}
        with _inference(device, precision):
            output = _forward(model, inputs, hidden=bool(hidden_layers))
        hidden = _stacked_hidden(output, hidden_layers, inputs["input_ids"]) if hidden_layers else None
        rows = []
        for j, i in enumerate(chunk):
            length = feature_length(features[i])
            row = kind.targets({n: output[n][j].float().cpu().numpy() for n in kind.outputs}, length, top_k)
            if hidden is not None:
                row[HIDDEN] = hidden[j][..., :length, :, :].astype(np.float16)
            rows.append(row)
        yield chunk, rows


def _forward(model: Any, inputs: dict[str, Any], hidden: bool) -> Any:
    """One teacher forward pass (the one place the teacher runs: tests count its calls here)."""
    return model(**inputs, output_hidden_states=True) if hidden else model(**inputs)


def _stacked_hidden(output: Any, layers: Sequence[int], input_ids: Any) -> np.ndarray:
    """``[B, (choices,) S, layers, H]`` from the model's ``hidden_states`` (``[B * choices, S, H]`` each)."""
    import torch

    stacked = torch.stack([output.hidden_states[layer] for layer in layers], dim=-2).float().cpu().numpy()
    return stacked.reshape(*input_ids.shape, *stacked.shape[-2:])


@contextlib.contextmanager
def _inference(device: Any, precision: str) -> Iterator[None]:
    import torch

    kind = torch.device(device).type
    dtype = autocast_dtype(precision)
    with torch.inference_mode(), torch.autocast(kind, dtype=dtype or torch.float32, enabled=dtype is not None):
        yield
