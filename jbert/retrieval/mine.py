"""Training rows from a retrieval set: each query and relevant document, with the first stage's
highest-ranked non-relevant documents as hard negatives.

This is sentence-transformers' ``mine_hard_negatives`` over jbert's first stages (BM25 over MeCab words,
or any embedding model ``jbert eval retrieval`` takes), writing the rows the two trainers read:

- ``embedding``: ``{"id", "anchor", "positive", "negative"}`` (``negative_1`` ... ``negative_K`` for K > 1),
  one row per (query, relevant document), for ``jbert finetune embedding`` (in-batch + hard negatives);
- ``reranker``: one group per (query, relevant document): the document with its relevance and the K
  negatives with label 0, under one ``query_id``, for ``jbert finetune reranker``'s listwise loss.

Every query with a relevant document gets its rows: where the first stage finds fewer than K
non-relevant documents (BM25 returns only documents sharing a word with the query), the rest are drawn
at random from the corpus (``seed``) and counted in the result. ``skip_top`` passes over the first
stage's top non-relevant documents, which are often unjudged answers (false negatives).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jbert.errors import ConfigError
from jbert.readers.retrieval import RetrievalSet, read_retrieval_dir, read_retrieval_set
from jbert.retrieval.stages import first_stage
from jbert.writers import atomic_output, check_output_path


@dataclass(kw_only=True)
class MineConfig:
    model: str  # "bm25" or an embedding model directory
    output: str  # JSON Lines
    purpose: str = "embedding"  # FORMATS: embedding | reranker
    data: str | None = None  # a BEIR folder ...
    split: str = "train"
    queries: str | None = None  # ... or the three files
    corpus: str | None = None
    qrels: str | None = None
    negatives: int = 3
    skip_top: int = 0
    seed: int = 0
    batch_size: int = 32
    device: str | None = None


@dataclass
class Mined:
    rows: int
    queries: int
    random_negatives: int  # negatives drawn at random: the first stage found too few
    output: str
    purpose: str


@dataclass(frozen=True)
class Group:
    """One query with one relevant document and its negatives (corpus ids)."""

    query_id: str
    query: str
    positive: str
    relevance: int
    negatives: tuple[str, ...]


def _embedding_rows(group: Group, text: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    names = ["negative"] if len(group.negatives) == 1 else [f"negative_{i + 1}" for i in range(len(group.negatives))]
    yield {"id": f"{group.query_id}:{group.positive}", "anchor": group.query, "positive": text(group.positive),
           **{name: text(doc) for name, doc in zip(names, group.negatives, strict=True)}}


def _reranker_rows(group: Group, text: Callable[[str], str]) -> Iterator[dict[str, Any]]:
    key = f"{group.query_id}:{group.positive}"
    docs = [(group.positive, group.relevance), *((doc, 0) for doc in group.negatives)]
    for i, (doc, label) in enumerate(docs):
        yield {"id": f"{key}:{i}", "query_id": key, "query": group.query, "document": text(doc), "label": label}


# purpose -> the rows of one group, in the columns of tasks/<purpose>.yaml
FORMATS: dict[str, Callable[[Group, Callable[[str], str]], Iterator[dict[str, Any]]]] = {
    "embedding": _embedding_rows, "reranker": _reranker_rows,
}


def mine_negatives(cfg: MineConfig) -> Mined:
    """Read the set, retrieve for every scored query, write the rows (atomically) to ``cfg.output``."""
    if cfg.purpose not in FORMATS:
        raise ConfigError(f"--for must be one of {', '.join(FORMATS)}, got {cfg.purpose!r}")
    if cfg.negatives < 1 or cfg.skip_top < 0:
        raise ConfigError("--negatives must be at least 1 and --skip-top at least 0")
    check_output_path(cfg.output)
    data = read_retrieval_dir(cfg.data, cfg.split) if cfg.data else read_retrieval_set(cfg.queries, cfg.corpus, cfg.qrels)
    groups, drawn = mine_groups(cfg, data)
    write = FORMATS[cfg.purpose]
    rows = 0
    with atomic_output(cfg.output) as stream:
        for group in groups:
            for row in write(group, lambda doc: data.corpus[doc].full_text()):
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                rows += 1
    return Mined(rows, len(data.qrels), drawn, str(cfg.output), cfg.purpose)


def mine_groups(cfg: MineConfig, data: RetrievalSet) -> tuple[list[Group], int]:
    """Every (query, relevant document) with its negatives, and how many negatives were drawn at random."""
    doc_ids = list(data.corpus)
    most_relevant = max(sum(r >= 1 for r in judged.values()) for judged in data.qrels.values())
    if len(doc_ids) - most_relevant < cfg.negatives:
        raise ConfigError(f"the corpus has {len(doc_ids)} documents: too few for {cfg.negatives} negatives "
                          "per query besides its relevant ones (lower --negatives)")
    retriever = first_stage(cfg.model, [data.corpus[d].full_text() for d in doc_ids], device=cfg.device,
                            batch_size=cfg.batch_size)
    query_ids = list(data.qrels)
    hits = retriever.search([data.queries[q].text for q in query_ids], most_relevant + cfg.skip_top + cfg.negatives)
    rng = random.Random(cfg.seed)
    groups, drawn = [], 0
    for qid, found in zip(query_ids, hits, strict=True):
        relevant = {doc: rel for doc, rel in data.qrels[qid].items() if rel >= 1}
        ranked = [doc_ids[row] for row, _ in found if doc_ids[row] not in relevant]
        negatives = ranked[cfg.skip_top: cfg.skip_top + cfg.negatives]
        missing = cfg.negatives - len(negatives)
        if missing:
            negatives += _random_negatives(rng, doc_ids, set(relevant) | set(negatives), missing)
            drawn += missing
        for doc, rel in sorted(relevant.items(), key=lambda item: (-item[1], item[0])):
            groups.append(Group(qid, data.queries[qid].text, doc, rel, tuple(negatives)))
    return groups, drawn


def _random_negatives(rng: random.Random, doc_ids: list[str], taken: set[str], n: int) -> list[str]:
    """``n`` corpus ids outside ``taken``, drawn without replacement (rejection sampling: ``taken`` is small)."""
    chosen: list[str] = []
    while len(chosen) < n:
        doc = doc_ids[rng.randrange(len(doc_ids))]
        if doc not in taken:
            taken.add(doc)
            chosen.append(doc)
    return chosen

