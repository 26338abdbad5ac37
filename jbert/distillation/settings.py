"""The distillation's task and settings: the teacher's task spec (or TASK's, checked against it), the
teacher's encoding laid under what the caller set, and what a sweep of ``jbert distill`` runs compares
and shares."""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from pathlib import Path

from jbert.config.run import with_recipe
from jbert.config.tasks import TaskSpec, load_spec
from jbert.distillation.config import DistillConfig
from jbert.distillation.teacher import Teacher, read_teacher
from jbert.errors import ConfigError


def check_required(cfg: DistillConfig) -> None:
    missing = [flag for flag, value in (("--teacher", cfg.distill.teacher), ("--train", cfg.data.train),
                                        ("--output", cfg.training.output_dir)) if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}: e.g. `jbert distill --teacher RUN --student-layers 6 "
                          "--train FILE --valid FILE --output DIR`")
    if (cfg.model.name_or_path is None) == (cfg.distill.student_layers is None):
        raise ConfigError("give the student as --student MODEL (a model directory with the teacher's tokenizer) "
                          "or --student-layers N (every k-th layer of the teacher), not both")


SWEEP_CACHE = "teacher-cache"  # under a sweep's OUTPUT: the teacher's outputs, shared by every run


def recorded_settings(cfg: DistillConfig) -> tuple[TaskSpec, DistillConfig]:
    """The task spec and the settings ``run_distill`` records for ``cfg`` (a sweep compares a run
    directory's record with them)."""
    check_required(cfg)
    teacher = read_teacher(cfg.distill.teacher)
    spec = task_spec(cfg, teacher)
    return spec, with_teacher_settings(cfg, teacher, spec)


def sweep_base(cfg: DistillConfig) -> DistillConfig:
    """A sweep's runs share one teacher cache (``OUTPUT/teacher-cache`` unless ``--teacher-cache`` names
    one): the teacher runs once for the grid. Its key holds what decides the outputs, so runs that
    sweep the encoding get their own entries in it."""
    if cfg.distill.teacher_cache or not cfg.training.output_dir:
        return cfg
    cfg = copy.deepcopy(cfg)
    cfg.distill.teacher_cache = str(Path(cfg.training.output_dir) / SWEEP_CACHE)
    return cfg



def task_spec(cfg: DistillConfig, teacher: Teacher) -> TaskSpec:
    """The teacher's task spec, or TASK's when given: it must have the teacher's head (and labels)."""
    spec = teacher.spec if not cfg.task.name else load_spec(cfg.task.name)
    spec = spec.with_columns(**cfg.task.columns)
    spec = replace(spec, reader=cfg.task.reader) if cfg.task.reader else spec
    if spec.head != teacher.spec.head:
        raise ConfigError(f"task {cfg.task.name!r} has a {spec.head} head but the teacher {teacher.path} was fine-tuned "
                          f"for {teacher.spec.name!r} ({teacher.spec.head}); leave TASK out to take the teacher's")
    if spec.labels is not None and teacher.labels is not None and list(spec.labels) != list(teacher.labels):
        raise ConfigError(f"task {cfg.task.name!r} has the labels {list(spec.labels)} but the teacher {teacher.path} "
                          f"has {list(teacher.labels)}; leave TASK out to take the teacher's")
    return spec


def with_teacher_settings(cfg: DistillConfig, teacher: Teacher, spec: TaskSpec) -> DistillConfig:
    """defaults <- the task's recipe <- the teacher's encoding and decoding (its inputs looked like that)
    <- what the caller set. With ``--student-layers`` the student starts from the teacher's directory."""
    layered = with_recipe(copy.deepcopy(cfg), spec.recipe)
    for section in ("encoding", "decoding"):
        given, target, source = getattr(cfg, section).given_keys(), getattr(layered, section), getattr(teacher.config, section)
        for f in fields(source):
            if f.name not in given:
                setattr(target, f.name, getattr(source, f.name))
    layered.task.name = cfg.task.name or teacher.config.task.name or spec.name
    if cfg.distill.student_layers is not None:
        layered.model.name_or_path = str(teacher.path)
    layered.validate()
    return layered
