"""Texts -> vectors with an embedding model (a directory ``jbert finetune embedding`` wrote, any
sentence-transformers directory, or an export of either): the one function other stages call.

>>> vectors = encode_texts("my-embedder/", ["今日は晴れ", "雨が降る"], as_="query")   # [2, dim] float32
>>> model = load_embedder("my-embedder/")            # load once, encode many times
>>> docs = encode_texts(model, passages, as_="document", batch_size=64)

``as_`` picks the model's prefix for the texts (its ``query``/``document`` prompt); a model with
prefixes needs it, so that no text is silently encoded without the prefix it was trained with.
The vectors equal ``SentenceTransformer(DIR).encode(texts, prompt_name=as_)``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jbert.data import Example
from jbert.errors import ConfigError
from jbert.heads.embedding import ROLES, EmbeddingHead

AS_CHOICES = (*ROLES, "none")


def load_embedder(model: str | Path, device: str | None = None) -> Any:
    """A loaded embedding model (``jbert.inference.loading.Finetuned``); ConfigError for a model of another head.
    A plain pre-trained encoder (no task files) embeds with mean pooling, as ``SentenceTransformer(DIR)``
    does: how a pre-trained model is scored before any fine-tuning."""
    from jbert.inference.loading import load_finetuned

    loaded = load_finetuned(model, device=device, plain_as="embedding")
    if not isinstance(loaded.head, EmbeddingHead):
        raise ConfigError(f"{model} is a {loaded.spec.head} model, not an embedding model "
                          "(fine-tune one with `jbert finetune embedding`, or give a sentence-transformers directory)")
    return loaded


def prefix_role(head: EmbeddingHead, as_: str | None, where: str = "as_") -> str | None:
    """The prompt a lone text gets: ``query``, ``document`` or None (``none``). A model with prefixes
    must be told which, one without any may be left alone."""
    if as_ is not None and as_ not in AS_CHOICES:
        raise ConfigError(f"{where} must be one of {', '.join(AS_CHOICES)}, got {as_!r}")
    if as_ is None and head.settings.prompts:
        prompts = ", ".join(f"{k}: {v!r}" for k, v in head.settings.prompts.items())
        raise ConfigError(f"this model prefixes its texts ({prompts}); say which the texts are with {where} "
                          "query or document (none: no prefix)")
    return None if as_ in (None, "none") else as_


def encode_texts(model: Any, texts: Sequence[str], as_: str | None = None, batch_size: int = 32,
                 device: str | None = None, precision: str = "fp32", normalize: bool | None = None) -> np.ndarray:
    """``[len(texts), dim]`` float32 vectors, in the order of ``texts``. ``model``: a directory or what
    ``load_embedder`` returned. ``normalize``: L2-normalise (None: as the model does)."""
    from jbert.config.inference import RunSettings
    from jbert.inference.core import Predictor

    loaded = load_embedder(model, device) if isinstance(model, (str, Path)) else model
    head = loaded.head
    head.embed_as = prefix_role(head, as_)
    settings = RunSettings(batch_size=batch_size, device=device, precision=precision)
    predictor = Predictor(head, loaded.tokenizer, loaded.model, loaded.options, settings)
    examples = [Example(id=str(i), line=i + 1, text=text) for i, text in enumerate(texts)]
    pairs, _ = predictor.predict(examples)
    vectors = np.stack([p.vector for _, p in pairs]) if pairs else np.zeros((0, dimension(loaded)), np.float32)
    return l2_normalize(vectors) if normalize else vectors.astype(np.float32, copy=False)


def dimension(loaded: Any) -> int:
    """The vectors' length: the transformer's hidden size (from config.json for an ONNX export)."""
    size = getattr(getattr(loaded.model, "config", None), "hidden_size", None)
    if size is None:
        size = json.loads((Path(loaded.path) / "config.json").read_text(encoding="utf-8"))["hidden_size"]
    return int(size)


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (sentence-transformers' Normalize: a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
