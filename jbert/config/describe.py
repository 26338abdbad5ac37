"""A whole config as commented YAML: every key, its value, and the comment its section gives it.

The comments are read from the sections' source (the ``# ...`` after each field), so the defaults
and what they mean are written once, in the typed sections; ``jbert config show`` prints this.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import fields
from typing import Any

import yaml

_FIELD = re.compile(r"^\s+(\w+):[^#=]*=[^#]*(?:#\s*(.+))?$")
_COMMENT = re.compile(r"^\s+#\s*(.+)$")


def field_comments(section_type: type) -> dict[str, str]:
    """``{field: comment}`` from the class bodies of ``section_type`` and its bases."""
    comments: dict[str, str] = {}
    for cls in reversed(section_type.__mro__):
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        above: list[str] = []  # a comment on the lines just above a field describes it too
        for line in source.splitlines():
            match, comment = _FIELD.match(line), _COMMENT.match(line)
            if comment:
                above.append(comment.group(1).strip())
                continue
            if match and (match.group(2) or above):
                comments[match.group(1)] = (match.group(2) or " ".join(above)).strip()
            above = []
    return comments


def commented_yaml(cfg: Any) -> str:
    """``cfg`` (a ``SectionedConfig``) as YAML, a trailing comment on each key that has one."""
    lines: list[str] = []
    for section in fields(cfg):
        value = getattr(cfg, section.name)
        lines.append(f"{section.name}:")
        comments = field_comments(type(value))
        for f in fields(value):
            dumped = yaml.safe_dump(getattr(value, f.name), allow_unicode=True, default_flow_style=True,
                                    width=10_000).removesuffix("\n").removesuffix("\n...")  # a scalar ends a document
            comment = comments.get(f.name)
            lines.append(f"  {f.name}: {dumped}" + (f"  # {comment}" if comment else ""))
    return "\n".join(lines) + "\n"
