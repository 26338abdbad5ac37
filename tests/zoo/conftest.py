"""Fixtures: hub-like model directories, built once per session and only for the families a run uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from zoo_families import FAMILIES


@pytest.fixture(scope="session")
def hub_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``hub_dir("deberta-v2")`` -> a directory laid out like that family's hub repository."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            out = tmp_path_factory.mktemp(f"hub-{name}")
            FAMILIES[name].build(out)
            built[name] = out
        return built[name]

    return get
