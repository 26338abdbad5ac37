"""Result files a report reads beside run directories: the JSON a ``jbert eval ... --output`` wrote.

Each kind registers in ``FILE_KINDS`` how to recognise its JSON and how to draw its part of the page
(``jglue``: the JGLUE table, merged with the JGLUE runs; ``retrieval``: metrics, ranks and failed
queries). A file no kind recognises is one clear error naming the commands whose output it could be.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jbert.errors import ConfigError
from jbert.registry import Registry

if TYPE_CHECKING:
    from jbert.report.runs import RunData


@dataclass(frozen=True)
class ResultFile:
    path: Path
    kind: str  # its name in FILE_KINDS
    data: dict[str, Any]


@dataclass(frozen=True)
class FileKind:
    made_by: str  # the command whose --output it is, for the error message
    recognise: Callable[[dict[str, Any]], bool]
    render: Callable[[list[ResultFile], list[RunData]], str]  # this kind's files (maybe none), every run


FILE_KINDS: Registry[FileKind] = Registry("result file kind")


def read_result_file(path: Path) -> ResultFile:
    """The file as the first kind that recognises it; a ConfigError when none does."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        for name in FILE_KINDS:
            if FILE_KINDS.get(name).recognise(data):
                return ResultFile(path, name, data)
    made_by = " or ".join(FILE_KINDS.get(name).made_by for name in FILE_KINDS)
    raise ConfigError(f"{path}: not a run directory nor a {made_by} JSON file")


def files_html(files: list[ResultFile], runs: list[RunData]) -> list[str]:
    """Each kind's part of the page, in the registry's order (a kind with nothing to show gives "")."""
    return [FILE_KINDS.get(name).render([f for f in files if f.kind == name], runs) for name in FILE_KINDS]
