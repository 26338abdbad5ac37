"""First stages: what ``jbert eval retrieval --model`` names, behind one small interface.

A ``Retriever`` is built over the corpus texts and answers ``search(queries, k)`` with, per query, up
to ``k`` ``(corpus row, score)`` pairs, best first. ``RETRIEVERS`` holds the factories: ``bm25`` (lexical,
``jbert.retrieval.bm25``) and ``dense`` (any encoder ``encode(texts, as_) -> [n, dim]`` with an index from
``jbert.retrieval.search``).

An encoder comes from a model directory through ``ENCODER_LOADERS``: each loader returns an ``Encoder``
for a directory it recognises, else None. ``sentence-transformers`` is built in (a folder with
``modules.json``); a bi-encoder trained by jbert adds its own loader the same way.

>>> retriever = RETRIEVERS.get("dense")(documents, encode=lambda texts, as_: table[texts])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from jbert.errors import ConfigError
from jbert.registry import Registry
from jbert.retrieval.search import INDEXES

Hits = list[list[tuple[int, float]]]  # per query: (corpus row, score), best first
Encoder = Callable[[list[str], str], np.ndarray]  # (texts, "query" | "document") -> [n, dim]


class Retriever(Protocol):
    def search(self, queries: Sequence[str], k: int) -> Hits: ...


RETRIEVERS: Registry[Callable[..., Retriever]] = Registry("retriever")
ENCODER_LOADERS: Registry[Callable[..., Encoder | None]] = Registry("encoder loader")


class DenseRetriever:
    """Embeds the corpus once (``as_="document"``), then each query batch (``as_="query"``)."""

    def __init__(self, documents: Sequence[str], encode: Encoder, index: str = "exact",
                 similarity: str = "cosine"):
        self.encode = encode
        vectors = np.asarray(encode(list(documents), "document"))
        if len(vectors) != len(documents):
            raise ValueError(f"the encoder gave {len(vectors)} vectors for {len(documents)} documents")
        self.index = INDEXES.get(index)(vectors, similarity)

    def search(self, queries: Sequence[str], k: int) -> Hits:
        scores, rows = self.index.search(np.asarray(self.encode(list(queries), "query")), k)
        # FAISS marks "fewer than k found" with row -1
        return [[(int(r), float(s)) for r, s in zip(rr, ss, strict=True) if r >= 0] for rr, ss in zip(rows, scores, strict=True)]


@RETRIEVERS.register("dense")
def dense_retriever(documents: Sequence[str], **options: Any) -> DenseRetriever:
    return DenseRetriever(documents, **options)


def load_encoder(path: str | Path, **options: Any) -> Encoder:
    """The first loader of ``ENCODER_LOADERS`` that recognises ``path`` (``options``: device, batch_size)."""
    if not Path(path).is_dir():
        raise ConfigError(f"--model {path}: not a model directory, nor 'bm25'")
    for name in ENCODER_LOADERS:
        encoder = ENCODER_LOADERS.get(name)(str(path), **options)
        if encoder is not None:
            return encoder
    raise ConfigError(f"--model {path}: not an embedding model (known kinds: {', '.join(ENCODER_LOADERS)}); "
                      "use a sentence-transformers folder, a jbert bi-encoder or bm25")


@ENCODER_LOADERS.register("jbert")
def jbert_encoder(path: str, device: str | None = None, batch_size: int = 32) -> Encoder | None:
    """An embedding model jbert runs itself (``jbert.inference.embedding``: its fast tokenizer, the same
    vectors as sentence-transformers): a ``jbert finetune embedding`` output or a sentence-transformers
    folder of the layout jbert reads; None for anything else, which the next loader may take."""
    from jbert.inference.embedding import encode_texts, load_embedder

    try:
        loaded = load_embedder(path, device)
    except ConfigError:
        return None

    def encode(texts: list[str], as_: str) -> np.ndarray:
        role = as_ if as_ in loaded.head.settings.prompts else "none"  # a prompt only where the model has one
        return encode_texts(loaded, texts, as_=role, batch_size=batch_size, device=device)

    return encode


@ENCODER_LOADERS.register("sentence-transformers")
def sentence_transformers_encoder(path: str, device: str | None = None, batch_size: int = 32) -> Encoder | None:
    """A sentence-transformers folder (``modules.json``); its ``query`` / ``document`` prompts are used
    when it has them."""
    if not (Path(path) / "modules.json").is_file():
        return None
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError(f"{path} is a sentence-transformers model: pip install sentence-transformers") from None
    from jbert.models.initialise import quiet_weight_saving

    with quiet_weight_saving():
        model = SentenceTransformer(path, device=device)

    def encode(texts: list[str], as_: str) -> np.ndarray:
        prompt = as_ if as_ in model.prompts else None
        return model.encode(texts, batch_size=batch_size, prompt_name=prompt, convert_to_numpy=True,
                            show_progress_bar=False)

    return encode
