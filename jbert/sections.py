"""``Section``: the base of every config section (jbert.config, jbert.heads.options).

Kept apart from jbert.config so the heads' encode/decode settings can be sections too without an
import cycle (config imports the heads' options).
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from typing import Any


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
