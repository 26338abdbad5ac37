"""Where the bundled task specs and recipes live: top-level ``tasks/`` and ``configs/`` in a
checkout (editable install), ``jbert/_resources/`` inside a wheel (see pyproject force-include)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent  # the jbert package


def resource_dir(kind: str) -> Path:
    """``kind`` is "tasks" or "configs"."""
    for candidate in (_PKG / "_resources" / kind, _PKG.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"jbert resource folder {kind!r} not found beside {_PKG}")
