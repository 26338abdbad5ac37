"""What every config shares: ``Section`` (one dataclass section), ``SectionedConfig`` (a whole config
made of sections: jbert.config.run.JbertConfig, jbert.pretraining.PretrainConfig) and setting a dotted
key into one, with the key checked and the value coerced to the field's type.

Kept apart from jbert.config.run so the heads' encode/decode settings can be sections too without an
import cycle (config imports the heads' options).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar

import yaml

from jbert.errors import ConfigError


class Section:
    """A config section that remembers which keys were given, so a recipe can be laid UNDER them
    (``with_recipe``): a key counts as given when it was assigned after construction (by a recipe,
    a flag, ``--set`` or plain Python) or when its value differs from the default."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_assigned", set())

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        assigned = self.__dict__.get("_assigned")
        if assigned is not None:
            assigned.add(name)

    def given_keys(self) -> set[str]:
        changed = {f.name for f in fields(self) if getattr(self, f.name) != _default(f)}
        return changed | self.__dict__.get("_assigned", set())


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


class SectionedConfig:
    """The base of a whole config: a dataclass whose fields are ``Section`` dataclasses. Saved as YAML
    in field order; loaded back (or from a recipe) key by key through ``set_dotted``."""

    # Keys that moved to another section ("old.key" -> "new.key"): configs saved earlier still load.
    moved_keys: ClassVar[dict[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<config>") -> Any:
        cfg = cls()
        merge(cfg, data, source)
        return cfg

    @classmethod
    def from_yaml(cls, path: str | Path) -> Any:
        return cls.from_dict(read_yaml(path), source=str(path))

    def validate(self) -> None:
        """Checks that need the whole config (single values are checked as they are set)."""


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        reason = str(exc).replace("\n", " ")
        raise ConfigError(f"{path}: not valid YAML: {reason}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a YAML mapping of sections (task, model, data, ...)")
    return data


def parse_override(item: str) -> tuple[str, Any]:
    """``training.learning_rate=3e-5`` -> (key, value parsed as a YAML scalar)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value (e.g. training.seed=1), got {item!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def merge(cfg: Any, data: dict[str, Any], source: str) -> None:
    """Apply a nested mapping (a recipe or a saved config) section by section."""
    sections = {f.name for f in fields(cfg)}
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"{source}: unknown section {section!r}; valid: {', '.join(sorted(sections))}")
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: section {section!r} must be a mapping")
        for key, value in values.items():
            set_dotted(cfg, f"{section}.{key}", value, source=source)


def set_dotted(cfg: Any, key: str, value: Any, source: str = "--set") -> None:
    """Set ``section.field`` (or ``task.columns.ROLE``), checking the key and coercing the type."""
    key = getattr(cfg, "moved_keys", {}).get(key, key)
    parts = key.split(".")
    section_names = [f.name for f in fields(cfg)]
    if parts[0] not in section_names:
        raise ConfigError(f"{source}: unknown config section {parts[0]!r} in {key!r}; valid: {', '.join(section_names)}")
    section = getattr(cfg, parts[0])
    valid = {f.name: f for f in fields(section)}
    if len(parts) < 2 or parts[1] not in valid:
        raise ConfigError(
            f"{source}: unknown key {key!r}; valid keys of {parts[0]!r}: {', '.join(sorted(valid))}"
        )
    name, rest = parts[1], parts[2:]
    hint = typing.get_type_hints(type(section))[name]
    if rest:
        if _base(hint) is not dict or len(rest) != 1:
            raise ConfigError(f"{source}: {parts[0]}.{name} has no sub-key {'.'.join(rest)!r}")
        getattr(section, name)[rest[0]] = value
        return
    setattr(section, name, _coerce(value, hint, key, source))


# --- type coercion (YAML reads 5e-5 as a string; flags arrive as strings) ---------------------


def _base(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return _base(args[0])
    return typing.get_origin(hint) or hint


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    if value is None:
        if _optional(hint):
            return None
        raise ConfigError(f"{source}: {key} cannot be empty")
    base = _base(hint)
    try:
        if base is bool:
            return _to_bool(value)
        if base is int and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if base is float and not isinstance(value, bool):
            return float(value)
        if base is str and not isinstance(value, (dict, list)):
            return str(value)
        if base is dict and isinstance(value, dict):
            return dict(value)
        if base is list:  # a list of strings (file paths); one string is a list of one
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    except (TypeError, ValueError):
        pass
    expected = {bool: "true or false", int: "an integer", float: "a number", str: "a string", dict: "a mapping",
                list: "a list"}
    raise ConfigError(f"{source}: {key} must be {expected.get(base, base)}, got {value!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
        return value.lower() in ("true", "yes", "1", "on")
    raise ValueError(value)
