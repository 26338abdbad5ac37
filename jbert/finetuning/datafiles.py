"""Which task and which files a run reads: the spec with the config's overrides, the train/valid
paths (``--train``/``--valid`` or a JGLUE folder), and the head with its label set. Shared by
``jbert finetune`` and ``jbert data check``, so both read exactly the same data the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from jbert.config.run import DataConfig, JbertConfig
from jbert.config.tasks import TaskSpec, jglue_file, load_spec
from jbert.data import Example
from jbert.errors import ConfigError
from jbert.heads import Head, get_head
from jbert.readers.files import require_file


def resolve_spec(cfg: JbertConfig) -> TaskSpec:
    """The task spec with the config's column and reader overrides applied."""
    spec = load_spec(cfg.task.name).with_columns(**cfg.task.columns).with_options(**cfg.task.options)
    return replace(spec, reader=cfg.task.reader, reader_fixed=True) if cfg.task.reader else spec


def resolve_data_files(data: DataConfig, spec: TaskSpec) -> tuple[Path, Path | None]:
    """--train/--valid win; otherwise the spec's JGLUE paths under --jglue-dir."""
    train = Path(data.train) if data.train else jglue_file(spec, data.jglue_dir, "train") if data.jglue_dir else None
    valid = Path(data.valid) if data.valid else jglue_file(spec, data.jglue_dir, "valid") if data.jglue_dir else None
    if train is None:
        raise ConfigError("no training data: pass --train FILE (and --valid FILE), or --jglue-dir DIR for a JGLUE task")
    for flag, path in (("--train", train), ("--valid", valid)):
        if path is not None:
            require_file(path, flag)
    return train, valid


def make_head(spec: TaskSpec, train_examples: Sequence[Example]) -> Head:
    """The spec's head with its labels: the spec's fixed set, else inferred from the training file."""
    head_cls = get_head(spec.head)
    labels = list(spec.labels) if spec.labels is not None else head_cls(spec).infer_labels(train_examples)
    return head_cls(spec, labels)
