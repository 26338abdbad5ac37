"""The distillation flow behind ``jbert.api.distill``:

teacher directory (task, labels, settings) -> data files -> examples -> student (the teacher's layers, or
a model directory with its tokenizer) -> features and the teacher's outputs (computed once, cached) ->
training core (``jbert.training.core``) with the distillation loss -> a fine-tuned model directory
(``jbert.models.directory``) whose ``jbert_config.yaml`` has a ``distill`` section.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jbert.config.encoding import EncodeOptions
from jbert.config.precision import resolve_precision
from jbert.config.tasks import TaskSpec
from jbert.data import Example
from jbert.distillation.config import DistillConfig
from jbert.distillation.data import DistillCollator, DistillDataset
from jbert.distillation.losses import OutputKind, kind_for
from jbert.distillation.model import DistillModel
from jbert.distillation.settings import check_required, task_spec, with_teacher_settings
from jbert.distillation.student import (
    check_same_tokenizer,
    check_same_width,
    copied_layers,
    layer_copy_factory,
    matched_layers,
)
from jbert.distillation.teacher import SoftTargets, Teacher, read_teacher
from jbert.errors import ConfigError, DataFormatError
from jbert.heads import Head, get_head
from jbert.inference.inputs import input_reader
from jbert.models.directory import CONFIG_FILE, METRICS_FILE, PREDICTIONS_FILE, save_finetuned
from jbert.models.inputs import ModelInputs
from jbert.readers import read_examples
from jbert.training.core import Run, finish_run, fit, load_model, start_run
from jbert.training.sampling import is_nested

logger = logging.getLogger(__name__)


@dataclass
class Data:
    train: list[Example]
    valid: list[Example]
    unlabeled: list[tuple[Path, list[Example]]] = field(default_factory=list)


def run_distill(cfg: DistillConfig) -> dict[str, float]:
    """Distil ``cfg.distill.teacher`` into a student; write the output directory; return the final metrics."""
    check_required(cfg)
    teacher = read_teacher(cfg.distill.teacher)
    spec = task_spec(cfg, teacher)
    cfg = with_teacher_settings(cfg, teacher, spec)
    kind = kind_for(spec.head)
    _check_student(cfg, teacher, kind, spec.head)
    head = get_head(spec.head)(spec, teacher.labels)
    head.attach(str(teacher.path))  # the teacher's pooling and prompts (an embedding model's): the student's too
    data = read_data(cfg, spec, head)
    head.choose_loss(cfg.training.loss or kind.default_loss, data.train)
    run, cfg = start_run(cfg, has_eval=bool(data.valid), primary_metric=spec.primary_metric, marker=CONFIG_FILE)
    run.args.label_names = list(kind.label_names)  # the student's targets, whatever the wrapper's signature
    layers = cfg.distill.student_layers
    student = load_model(layer_copy_factory(head, layers) if layers else head.model, cfg.model, cfg.training.seed,
                         run.inputs)
    hidden = matched_layers(teacher.layers, student.config.num_hidden_layers) if cfg.distill.hidden_weight else []
    train = soft_targets(cfg, run, teacher, head, kind, data, hidden)
    options = EncodeOptions.of(cfg.encoding, cfg.decoding, train=True)
    valid_f = head.encode(data.valid, run.tokenizer, options) if data.valid else []
    model = DistillModel(student, kind, alpha=cfg.distill.alpha, temperature=cfg.distill.temperature,
                         hidden_weight=cfg.distill.hidden_weight, teacher_width=teacher.width)
    collator = DistillCollator(head.collator(run.tokenizer, position_ids=run.inputs.position_ids), kind)
    result = fit(model, collator, train, valid_f, training=cfg.training, output_dir=run.out,
                 metrics_fn=metrics_function(head, spec, valid_f, data.valid, options),
                 primary_metric=spec.primary_metric, args=run.args, distinct_keys=distinct_keys(head, data, train))
    cfg = replace(cfg, distill=replace(cfg.distill, record=record(cfg, teacher, student, data, hidden)))

    def save(out: Path) -> None:
        if data.valid:
            write_predictions(out / PREDICTIONS_FILE, data.valid, head.decode(result.outputs, valid_f, data.valid, options))
        report = {"final": result.metrics, "history": result.history, "global_step": result.global_step,
                  "best_checkpoint": result.best_checkpoint, "teacher": teacher_metrics(teacher.path)}
        save_finetuned(out, model=student, tokenizer=run.tokenizer, config=cfg, spec=spec, labels=head.labels,
                       metrics=report, state_dict=student_state(result.state_dict))

    finish_run(run, result, save)
    return result.metrics


def _check_student(cfg: DistillConfig, teacher: Teacher, kind: OutputKind, head: str) -> None:
    """What the student must share with the teacher, checked before anything is written."""
    if cfg.distill.student_layers is None:
        check_same_tokenizer(str(teacher.path), str(cfg.model.name_or_path))
        if kind.same_width:
            check_same_width(str(cfg.model.name_or_path), teacher.width)
    if cfg.distill.hidden_weight and not kind.hidden:
        raise ConfigError(f"distill.hidden_weight: {head} models distil from the teacher's outputs, not its hidden "
                          "states; leave it 0")


# --- data ------------------------------------------------------------------------------------------


def read_data(cfg: DistillConfig, spec: TaskSpec, head: Head) -> Data:
    """Every file read and checked before anything is trained: train and valid need gold labels, the
    ``--unlabeled`` files only the task's inputs."""
    def read(name: str, what: str) -> list[Example]:
        return _read(_existing(name, what), spec, cfg.data.iob, cfg.task.reader, unlabeled=what == "unlabeled")

    train = read(cfg.data.train, "training")
    valid = read(cfg.data.valid, "validation") if cfg.data.valid else []
    head.validate(train, train=True)
    head.validate(valid, train=True)  # gold labels are needed to score each epoch
    unlabeled = [(Path(name), read(name, "unlabeled")) for name in cfg.distill.unlabeled]
    for _, examples in unlabeled:
        head.validate(examples, train=False)
    return Data(train, valid, unlabeled)


def _existing(name: str | None, what: str) -> Path:
    path = Path(str(name))
    if not path.is_file():
        raise ConfigError(f"{what} file not found: {path}")
    return path


def _read(path: Path, spec: TaskSpec, iob: str, reader: str | None, unlabeled: bool) -> list[Example]:
    """The file's examples, read by ``reader`` (``task.reader``), else as its extension says (as ``jbert
    predict`` reads), else by the task's reader (JGLUE's ``*.json``)."""
    examples = read_examples(path, spec, input_reader(path, spec, reader, unlabeled=unlabeled), iob=iob)
    if not examples:
        raise DataFormatError(path, None, "no examples in the file", "check the path and the --reader/columns")
    return examples


def soft_targets(cfg: DistillConfig, run: Run, teacher: Teacher, head: Head, kind: OutputKind, data: Data,
                 hidden: list[int]) -> DistillDataset:
    """The training rows: the train file's features (labelled) and each ``--unlabeled`` file's, with the
    teacher's outputs for them, read from the cache or computed there once."""
    folder = Path(cfg.distill.teacher_cache) if cfg.distill.teacher_cache else run.cache_dir / "teacher"
    with both_inputs(run.tokenizer, run.inputs, teacher.inputs):
        collate = _collator(head, run.tokenizer, teacher.inputs)
        soft = SoftTargets(teacher, head, kind, run.tokenizer, collate, folder, run.args, cfg.distill.top_k, hidden,
                           precision=resolve_precision(cfg.training.precision, run.args.device.type),
                           batch_size=cfg.training.eval_batch_size or cfg.training.batch_size,
                           loss=cfg.training.loss or kind.default_loss)
        parts = [(*soft.split(data.train, Path(cfg.data.train), _options(cfg, True), "train"), True)]
        for i, (path, examples) in enumerate(data.unlabeled):
            parts.append((*soft.split(examples, path, _options(cfg, False), f"unlabeled{i}"), False))
            _check_same_shape(parts[0][0], parts[-1][0], path, cfg.training.loss)
    soft.release()
    return DistillDataset(parts, kind.label_names)


def distinct_keys(head: Head, data: Data, dataset: DistillDataset) -> list[Any] | None:
    """Per training row, the texts no other row of its batch may share (an embedding head's in-batch
    negatives, as ``jbert finetune`` batches them): the train file's rows' own; unlabeled rows take no
    part in that loss, so they share freely."""
    train_features = dataset.parts[0][0]
    keys = head.distinct_keys(data.train, train_features)
    if keys is None:
        return None
    return list(keys) + [frozenset()] * (len(dataset) - len(train_features))


def _options(cfg: DistillConfig, labelled: bool) -> EncodeOptions:
    return EncodeOptions.of(cfg.encoding, cfg.decoding, train=labelled)


@contextmanager
def both_inputs(tokenizer: Any, student: ModelInputs, teacher: ModelInputs) -> Iterator[None]:
    """While the teacher's targets are made, the tokenizer returns what either model takes (a student
    without token types still gives the teacher its segment ids); the student's alone afterwards."""
    saved = list(tokenizer.model_input_names)
    names = [n for n in ("input_ids", "token_type_ids", "attention_mask") if n in student.names or n in teacher.names]
    tokenizer.model_input_names = names
    try:
        yield
    finally:
        tokenizer.model_input_names = saved


def _check_same_shape(train: list[Any], unlabeled: list[Any], path: Path, loss: str | None) -> None:
    """Both files' rows must batch together: a row of several sequences (choices, texts) beside a single one
    cannot (a reranker's query groups, ``training.loss=listwise``, beside unlabeled single pairs)."""
    if train and unlabeled and is_nested(train[0]) != is_nested(unlabeled[0]):
        raise ConfigError(f"--unlabeled {path}: its rows are single sequences but the training rows are groups "
                          f"(training.loss={loss}); rows without labels cannot be ranked in groups: leave "
                          "training.loss unset to learn the teacher's score of each pair")


def _collator(head: Head, tokenizer: Any, inputs: ModelInputs) -> Any:
    """The head's collator for a model that takes ``inputs`` (the collator keeps the tokenizer's names)."""
    saved = list(tokenizer.model_input_names)
    tokenizer.model_input_names = [n for n in inputs.names if n != "position_ids"]
    try:
        return head.collator(tokenizer, position_ids=inputs.position_ids)
    finally:
        tokenizer.model_input_names = saved


# --- metrics and outputs ----------------------------------------------------------------------------


def metrics_function(head: Head, spec: TaskSpec, features: list[Any], examples: list[Example],
                     options: EncodeOptions) -> Any:
    """outputs -> the spec's metrics on the validation examples (the trainer knows no task)."""
    from jbert.metrics import compute

    references = head.reference_values(examples) if examples else []

    def metrics_fn(outputs: Any) -> dict[str, float]:
        return compute(spec.metrics, head.prediction_values(head.decode(outputs, features, examples, options)),
                       references)

    return metrics_fn


def write_predictions(path: Path, examples: Sequence[Example], predictions: Sequence[Any]) -> None:
    from jbert.writers import open_rows, prediction_row

    with open_rows(path) as writer:
        writer.write(prediction_row(ex, p) for ex, p in zip(examples, predictions, strict=True))


def record(cfg: DistillConfig, teacher: Teacher, student: Any, data: Data, hidden: list[int]) -> dict[str, Any]:
    """What the student came from, for its ``jbert_config.yaml``."""
    layers = cfg.distill.student_layers
    return {
        "teacher": teacher.fingerprint,
        "teacher_task": teacher.spec.name,
        "student": {"from": "teacher layers" if layers else str(cfg.model.name_or_path),
                    "layers": student.config.num_hidden_layers,
                    "copied_layers": copied_layers(teacher.layers, layers) if layers else None},
        "matched_layers": hidden or None,
        "rows": {"train": len(data.train), "valid": len(data.valid),
                 "unlabeled": {str(path): len(examples) for path, examples in data.unlabeled}},
    }


def teacher_metrics(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / METRICS_FILE).read_text(encoding="utf-8")).get("final")
    except (OSError, ValueError, AttributeError):
        return None


def student_state(state_dict: dict[str, Any] | None) -> dict[str, Any] | None:
    """The student's weights out of a gathered wrapper state (FSDP, ZeRO-3): ``student.`` keys, unprefixed."""
    if state_dict is None:
        return None
    return {k.removeprefix("student."): v for k, v in state_dict.items() if k.startswith("student.")}
