"""Reranking a first stage's run: the top k documents of each query rescored by a cross-encoder.

A scorer is ``(pairs of (query, document)) -> scores``; ``load_reranker`` makes one from a directory of
``jbert finetune reranker`` or a sentence-transformers cross-encoder. Documents below the top k keep their first-stage order under every
reranked one, so metrics deeper than k (Recall@100 after reranking the top 20) stay comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from jbert.config.inference import RunSettings
from jbert.data import Example
from jbert.errors import ConfigError
from jbert.metrics.retrieval import Run, ranked

Scorer = Callable[[Sequence[tuple[str, str]]], list[float]]
QUERIES_PER_CALL = 64  # queries whose top k go through the model together (bounds the pairs in memory)


def load_reranker(path: str, settings: RunSettings | None = None) -> Scorer:
    """A scorer from a reranker directory (``jbert finetune reranker``'s, or a sentence-transformers
    cross-encoder's): the score per pair ``jbert predict`` writes, which ``CrossEncoder(path).predict`` gives."""
    from jbert.inference import Predictor
    from jbert.inference.loading import load_finetuned

    settings = settings or RunSettings()
    finetuned = load_finetuned(path, device=settings.device)
    if finetuned.spec.head != "reranker":
        raise ConfigError(f"--rerank {path}: a {finetuned.spec.head} model, not a reranker "
                          "(train one with `jbert finetune reranker`)")
    predictor = Predictor(finetuned.head, finetuned.tokenizer, finetuned.model, finetuned.options, settings)

    def score(pairs: Sequence[tuple[str, str]]) -> list[float]:
        examples = [Example(id=str(i), line=i + 1, source="<rerank>", text=q, text_pair=d)
                    for i, (q, d) in enumerate(pairs)]
        predicted, _ = predictor.predict(examples)
        return [float(p.score) for _, p in predicted]

    return score


def rerank_run(run: Run, queries: Mapping[str, str], documents: Mapping[str, str], scorer: Scorer,
               top_k: int) -> dict[str, dict[str, float]]:
    """``run`` with each query's top ``top_k`` rescored by ``scorer``."""
    if top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {top_k}")
    out: dict[str, dict[str, float]] = {}
    ids = list(run)
    for start in range(0, len(ids), QUERIES_PER_CALL):
        chunk = [(q, ranked(run[q])) for q in ids[start : start + QUERIES_PER_CALL]]
        pairs = [(queries[q], documents[d]) for q, ranking in chunk for d in ranking[:top_k]]
        scores = iter(scorer(pairs))
        for query, ranking in chunk:
            head = {d: next(scores) for d in ranking[:top_k]}
            floor = min(head.values(), default=0.0) - 1.0
            out[query] = {**head, **{d: floor - i for i, d in enumerate(ranking[top_k:])}}
    return out
