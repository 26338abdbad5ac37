"""Task heads, one module per output shape, registered by spec name in HEADS."""

from __future__ import annotations

from jbert.heads.base import EncodeOptions, EncodeStats, Feature, Head
from jbert.registry import Registry

HEADS: Registry[type[Head]] = Registry("head")


def get_head(name: str) -> type[Head]:
    _load_builtin_heads()
    return HEADS.get(name)


def _load_builtin_heads() -> None:
    from jbert.heads import choice, classification, embedding, span, token  # noqa: F401


__all__ = ["HEADS", "EncodeOptions", "EncodeStats", "Feature", "Head", "get_head"]
