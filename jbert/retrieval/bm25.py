"""BM25 over MeCab words: the lexical baseline of ``jbert eval retrieval --model bm25``.

Text is NFKC-normalised and lower-cased, then cut into words by jbert's MeCab segmenter (unidic-lite
by default: the dictionary of the Tohoku BERT v2/v3 tokenizers), the way those models' tokenizers
segment before WordPiece. Scoring is Lucene's BM25 (k1 = 1.5, b = 0.75).

bm25s rather than rank_bm25: bm25s keeps the index as a sparse matrix and scores a query with numpy
(orders of magnitude faster than rank_bm25's per-document Python loop on a 100k-document corpus), and
it is maintained (rank_bm25's last release was in 2022).

>>> bm25 = BM25Retriever(["東京は日本の首都", "大阪の名物"])  # doctest: +SKIP
>>> bm25.search(["日本の首都は"], k=1)                        # doctest: +SKIP
[[(0, 0.86...)]]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from jbert.errors import ConfigError
from jbert.retrieval.retrievers import RETRIEVERS, Hits
from jbert.tokenization.segmenters.base import WordSegmenter, make_segmenter

DEFAULT_MECAB = {"mecab_dic": "unidic_lite"}
CHUNK = 1024  # texts per segmenter call


class BM25Retriever:
    def __init__(self, documents: Sequence[str], segmenter: WordSegmenter | None = None, k1: float = 1.5,
                 b: float = 0.75):
        bm25s = _bm25s()
        self.segmenter = segmenter or make_segmenter("mecab", DEFAULT_MECAB, threads=0)
        self.size = len(documents)
        self.index = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.index.index(self.words(documents), show_progress=False)

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text's MeCab words (normalised, lower-cased; whitespace dropped)."""
        normalised = [self.segmenter.normalize(t)[0].lower() for t in texts]
        out: list[list[str]] = []
        for start in range(0, len(normalised), CHUNK):
            for joined in self.segmenter.submit(normalised[start : start + CHUNK]).result():
                surfaces = joined.split(" ") if isinstance(joined, str) else joined.surfaces
                out.append([w for w in surfaces if w.strip()])
        return out

    def search(self, queries: Sequence[str], k: int) -> Hits:
        """Per query, up to ``k`` (corpus row, score) best first; documents sharing no word are left out."""
        k = min(k, self.size)
        words = self.words(queries)
        asked = [i for i, w in enumerate(words) if w]  # a query without words (only spaces) finds nothing
        hits: Hits = [[] for _ in queries]
        if not asked or k == 0:
            return hits
        rows, scores = self.index.retrieve([words[i] for i in asked], k=k, show_progress=False, n_threads=0)
        for i, row, score in zip(asked, rows, scores, strict=True):
            hits[i] = [(int(r), float(s)) for r, s in zip(row, score, strict=True) if s > 0]
        return hits


@RETRIEVERS.register("bm25")
def bm25_retriever(documents: Sequence[str], **options: Any) -> BM25Retriever:
    return BM25Retriever(documents, **options)


def _bm25s() -> Any:
    try:
        import bm25s
    except ImportError:
        raise ConfigError("--model bm25 needs bm25s: pip install 'jbert[retrieval]'") from None
    # bm25s pins its logger to DEBUG, which prints under any root level; follow the root (-v) instead
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s
