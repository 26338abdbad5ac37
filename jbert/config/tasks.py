"""Task specs: a task is data, not code.

A spec (``tasks/jsts.yaml``) names the reader, the column -> role mapping, the label set,
the head, the metrics and the primary metric. Two tasks that differ only in labels differ
only in their YAML. ``load_spec`` accepts a bundled name (``jsts``, ``classification``) or
the path of a user's YAML.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from jbert.config.resources import resource_dir
from jbert.errors import ConfigError

# Roles a column can be mapped to (see jbert.data.Example). "choices" maps to a list of columns; "group" is
# the query id that puts reranker rows together (read from Example.fields).
ROLES = ("id", "text", "text_pair", "label", "choices", "entities", "tokens", "tags", "group")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    head: str  # key in jbert.heads.HEADS
    reader: str  # key in jbert.readers.READERS
    metrics: tuple[str, ...]  # keys in jbert.metrics.METRICS
    primary_metric: str  # the metric key (e.g. "pearson") used to pick the best checkpoint
    columns: dict[str, Any] = field(default_factory=dict)  # role -> column name (choices: list)
    labels: tuple[str, ...] | None = None  # fixed label set; None = taken from the training file
    description: str = ""
    recipe: str | None = None  # bundled recipe name under configs/, e.g. "jglue/jsts"
    jglue: dict[str, str] | None = None  # split -> path relative to a JGLUE datasets dir
    # False: a file whose extension names a format (.csv, .tsv, .txt, .conll, .jsonl) is read in that
    # format, ``reader`` serves the rest (JGLUE's .json); True: ``reader`` reads every file. Bundled
    # specs leave it False; a user's spec file that names its reader, and --reader, set it.
    reader_fixed: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # the head's own settings (the head checks them)

    def column(self, role: str, default: Any = None) -> Any:
        return self.columns.get(role, default)

    def with_columns(self, **overrides: Any) -> TaskSpec:
        """Flags such as ``--text-column`` override the spec's mapping; None means keep."""
        cols = dict(self.columns)
        cols.update({k: v for k, v in overrides.items() if v is not None})
        return replace(self, columns=cols)

    def with_options(self, **overrides: Any) -> TaskSpec:
        """``--set task.options.KEY=VALUE`` over the spec's head options."""
        return replace(self, options={**self.options, **overrides}) if overrides else self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["metrics"] = list(self.metrics)
        d["labels"] = list(self.labels) if self.labels is not None else None
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<spec>") -> TaskSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown task spec key(s) {unknown}; valid: {sorted(known)}")
        missing = [k for k in ("name", "head", "reader", "metrics", "primary_metric") if k not in data]
        if missing:
            raise ConfigError(f"{source}: task spec is missing {missing}")
        bad_roles = sorted(set(data.get("columns") or {}) - set(ROLES))
        if bad_roles:
            raise ConfigError(f"{source}: unknown column role(s) {bad_roles}; valid: {list(ROLES)}")
        labels = data.get("labels")
        return cls(
            **{
                **data,
                "metrics": tuple(data["metrics"]),
                "labels": tuple(str(x) for x in labels) if labels is not None else None,
                "columns": dict(data.get("columns") or {}),
                "options": dict(data.get("options") or {}),
            }
        )


def bundled_specs() -> list[str]:
    return sorted(p.stem for p in resource_dir("tasks").glob("*.yaml"))


def load_spec(name_or_path: str | Path) -> TaskSpec:
    """A bundled task name (``jsts``; ``-`` and ``_`` are interchangeable) or a YAML path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") or not path.exists():
        key = str(name_or_path).replace("-", "_")
        path = resource_dir("tasks") / f"{key}.yaml"
        if not path.exists():
            raise ConfigError(
                f"unknown task {str(name_or_path)!r}; available: {', '.join(bundled_specs())}, "
                "or the path of a task spec YAML"
            )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read task spec: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a task spec must be a YAML mapping")
    if path.resolve().parent != resource_dir("tasks").resolve():
        data.setdefault("reader_fixed", "reader" in data)  # the user wrote the reader their files are in
    return TaskSpec.from_dict(data, source=str(path))


def jglue_file(spec: TaskSpec, jglue_dir: str | Path | None, split: str) -> Path:
    """The spec's JGLUE ``split`` file under ``jglue_dir``: a datasets folder (``DIR/jsts-v1.3/...``)
    or a whole JGLUE checkout (``DIR/datasets/jsts-v1.3/...``)."""
    if not jglue_dir:
        raise ConfigError(f"no JGLUE folder for {spec.name}: pass --jglue-dir DIR")
    root = Path(jglue_dir)
    if not root.is_dir():
        raise ConfigError(f"--jglue-dir: folder not found: {root}")
    if not spec.jglue or split not in spec.jglue:
        raise ConfigError(f"task {spec.name!r} has no JGLUE {split} file; pass --{split} FILE")
    candidates = [root / spec.jglue[split], root / "datasets" / spec.jglue[split]]
    for path in candidates:
        if path.is_file():
            return path
    hint = "; some JGLUE copies ship no train split for this task: pass --train FILE" if split == "train" else ""
    raise ConfigError(
        f"JGLUE {split} file for {spec.name!r} not found: looked for {candidates[0]} and {candidates[1]}{hint}"
    )
