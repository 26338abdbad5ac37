"""Task heads, one module per output shape, registered by spec name in HEADS.

A head turns examples into features (``encode``, through the tokenizer), names its model class
(``model``) and turns outputs back into predictions (``decode``). May import: ``jbert.models``,
``jbert.metrics``, ``jbert.tokenization``, ``jbert.readers``' records, ``jbert.config`` and the shared leaves;
never the trainer or a stage.
"""

from __future__ import annotations

from jbert.config.encoding import EncodeOptions
from jbert.heads.base import EncodeStats, Feature, Head
from jbert.registry import Registry

HEADS: Registry[type[Head]] = Registry("head")


def get_head(name: str) -> type[Head]:
    _load_builtin_heads()
    return HEADS.get(name)


def _load_builtin_heads() -> None:
    from jbert.heads import choice, classification, embedding, reranker, span, token  # noqa: F401


__all__ = ["HEADS", "EncodeOptions", "EncodeStats", "Feature", "Head", "get_head"]
