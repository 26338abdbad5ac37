"""BM25 over MeCab words: exact matches first, width- and case-folded text matches, queries without
words find nothing."""

from __future__ import annotations

import pytest

pytest.importorskip("bm25s")

from jbert.retrieval.bm25 import BM25Retriever  # noqa: E402

DOCS = [
    "大阪は西日本の中心都市である。",
    "東京都は日本の首都であり、人口が最も多い。",
    "京都には多くの寺院がある。",
    "富士山は日本で最も高い山である。",
    "ＪＢＥＲＴは日本語のモデルです。",
]


@pytest.fixture(scope="module")
def bm25() -> BM25Retriever:
    return BM25Retriever(DOCS)


def test_exact_match_document_first(bm25: BM25Retriever) -> None:
    hits = bm25.search(DOCS, k=3)
    assert [h[0][0] for h in hits] == list(range(len(DOCS)))
    assert all(h[0][1] > h[1][1] for h in hits if len(h) > 1)


def test_words_are_mecab_words_normalised(bm25: BM25Retriever) -> None:
    assert bm25.words(["東京都は日本の首都"]) == [["東京", "都", "は", "日本", "の", "首都"]]
    assert bm25.search(["jbert"], k=5)[0][0][0] == 4  # NFKC + lower case: ＪＢＥＲＴ == jbert
    assert bm25.search(["富士山の高さ"], k=1)[0][0][0] == 3


def test_no_words_no_hits(bm25: BM25Retriever) -> None:
    assert bm25.search(["   ", "ドイツ"], k=2) == [[], []]
