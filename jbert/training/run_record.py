"""What a training run was started with, kept in its directory (``jbert_run.yaml``), so that resuming
it (``--resume``, or a ``--sweep`` run again into the same --output) with other settings is refused
instead of silently mixing two configurations in one model, or failing deep in the checkpoint load.

The record is the whole config (recipe laid under, as the run used it) as flat dotted keys, with
local paths made absolute: ``data/train.jsonl`` and ``/home/me/data/train.jsonl`` are the same file.
Written at the start of a run, before the first checkpoint; a finished run made before the record
existed is compared with its own saved config (``jbert_config.yaml``/``jbert_pretrain.yaml``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from jbert.errors import ConfigError

logger = logging.getLogger(__name__)

RUN_FILE = "jbert_run.yaml"

# Keys a resume may change. Each changes only what is reported or kept on disk, never a weight, a
# batch, a step or a metric, so the resumed run is the run the checkpoint belongs to:
CHANGEABLE = frozenset({
    "training.resume",  # the flag that asks for the resume itself (off in the run that started it)
    "training.output_dir",  # where the run lives: a moved or renamed directory holds the same checkpoints
    "training.report_to",  # which trackers are sent the losses, not the losses
    "training.logging_steps",  # how often losses are logged; the Trainer's steps and gradients do not change
    "training.progress_bar",  # the terminal bar only
    "training.save_total_limit",  # how many older checkpoints stay on disk; the best one is always kept
    "corpus.cache_dir",  # pre-training: where the corpus's Arrow cache lives; the documents read are the same
})
# Resolved at the start of a run and saved resolved in the final config (the longest input clamped to
# the model, the position setting read from it): a legacy comparison against that file skips them.
_RESOLVED = frozenset({"encoding.max_length", "model.position_ids"})


def run_settings(config: Any) -> dict[str, Any]:
    """The config (a ``SectionedConfig``) as the record holds it: flat dotted keys, local paths absolute."""
    return {key: _absolute(value) for key, value in _flat(config.to_dict()).items()}


def write_record(out: Path, config: Any) -> None:
    from jbert.writers import atomic_output

    with atomic_output(out / RUN_FILE) as stream:
        stream.write(yaml.safe_dump(run_settings(config), allow_unicode=True, sort_keys=True))


def saved_settings(out: Path, marker: str, sections: set[str]) -> tuple[dict[str, Any], frozenset[str]] | None:
    """(the settings ``out`` was started with, keys not to compare); None when nothing records them.
    ``marker``: the final config a finished run writes, read when there is no record (``sections``:
    the config's own top-level keys, the rest of that file is not config)."""
    if (out / RUN_FILE).is_file():
        return _read_yaml(out / RUN_FILE), frozenset()
    if (out / marker).is_file():
        document = _read_yaml(out / marker)
        settings = {k: _absolute(v) for k, v in _flat({s: document.get(s) or {} for s in sections}).items()}
        return settings, _RESOLVED
    return None


def differences(saved: Mapping[str, Any], current: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> list[str]:
    """``key (was X, now Y)`` for every key whose value differs, except those a resume may change."""
    keys = sorted((saved.keys() | current.keys()) - CHANGEABLE - skip)
    return [f"{key} (was {_show(saved.get(key))}, now {_show(current.get(key))})"
            for key in keys if saved.get(key) != current.get(key)]


def check_resume(out: Path, config: Any, marker: str) -> None:
    """Refuse to resume ``out`` with settings other than those it was started with."""
    sections = set(config.to_dict())
    saved = saved_settings(out, marker, sections)
    if saved is None:
        if (out / "checkpoints").is_dir():
            logger.warning("--resume: %s records no settings (made by an earlier jbert); cannot check that "
                           "they match this run's", out)
        return
    diffs = differences(saved[0], run_settings(config), saved[1])
    if diffs:
        raise ConfigError(f"--resume: {out} was started with other settings: {'; '.join(diffs)}; resume "
                          "with the same settings, or choose another --output for a new run")


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):  # an empty one (no task.columns) adds no key
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _absolute(value: Any) -> Any:
    """A string naming an existing local file or folder, made absolute (lists element-wise)."""
    if isinstance(value, (list, tuple)):
        return [_absolute(v) for v in value]
    if isinstance(value, str) and value and Path(value).exists():
        return str(Path(value).resolve())
    return value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a mapping of settings; remove it to start the run again")
    return data


def _show(value: Any) -> str:
    text = "unset" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."
