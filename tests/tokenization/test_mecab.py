"""MeCab taggers: resolved like transformers' MecabTokenizer, fast segmentation identical to the node API."""

from __future__ import annotations

import pickle
import sys
import threading
import time
import unicodedata

import pytest
from _tok_texts import HARD_STRINGS, jglue_texts

from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.mecab import dictionary_info, make_tagger, mecab_option_string, segment
from jbert.tokenization.segmenters.mecab_threads import Segmenter

TEXTS = [unicodedata.normalize("NFKC", t) for t in jglue_texts()[0] + HARD_STRINGS] + [
    "\x0c先頭と末尾の改ページ\x0c", "NUL\x00以降は読まれない", "区切り\x01文字\x02も", "\u3000全角空白"]


def test_same_options_as_transformers_mecab_tokenizer() -> None:
    import unidic_lite
    from transformers.models.bert_japanese.tokenization_bert_japanese import MecabTokenizer

    option = mecab_option_string({"mecab_dic": "unidic_lite", "mecab_option": "-x"})
    assert option == f'-d "{unidic_lite.DICDIR}" -r "{unidic_lite.DICDIR}/mecabrc" -x'
    reference = MecabTokenizer(normalize_text=False)
    tagger = make_tagger(None)
    for text in TEXTS[:200]:
        assert segment(tagger, text) == reference.tokenize(text)


def test_segment_equals_the_node_api() -> None:
    tagger = make_tagger({"mecab_dic": "unidic_lite"})
    for text in TEXTS:
        assert segment(tagger, text) == [n.surface for n in tagger(text)], repr(text)


@pytest.mark.parametrize("threads", [0, 2])
def test_segmenter_in_threads_gives_the_same_words(threads: int) -> None:
    seg = Segmenter(None, threads=threads)
    tagger = make_tagger(None)
    futures = [seg.submit(TEXTS[i : i + 50]) for i in range(0, len(TEXTS), 50)]
    assert [w for f in futures for w in f.result()] == [" ".join(segment(tagger, t)) for t in TEXTS]
    repeated = TEXTS[:5] * 3 + [t for t in TEXTS if len(t) > 200][:3] * 2
    assert seg.submit(repeated).result() == [" ".join(segment(tagger, t)) for t in repeated]
    clone = pickle.loads(pickle.dumps(seg))
    assert clone.threads == threads and clone._pool is None and clone._tagger is None


class _SlowWorker(Segmenter):
    """Its worker threads take 50 ms a piece: the caller finds every later piece still queued."""

    def _parse(self, data: bytes) -> bytes | None:
        if threading.current_thread().name.startswith("jbert-mecab"):
            time.sleep(0.05)
        return super()._parse(data)


def test_the_caller_parses_the_pieces_no_worker_has_started() -> None:
    seg = _SlowWorker(None, threads=1)
    seg.piece_chars = 64
    tagger = make_tagger(None)
    pending = seg.submit(TEXTS[:40])
    words = pending.result()
    assert len(pending.jobs) > 5
    assert not pending.jobs[0][0].cancelled()  # the worker's first piece is left to it ...
    assert all(future.cancelled() for future, _ in pending.jobs[1:])  # ... the queued ones the caller took
    assert words == [" ".join(segment(tagger, t)) for t in TEXTS[:40]]
    gate = threading.Event()
    blocker = seg._thread_pool().submit(gate.wait)  # the worker busy elsewhere: the caller takes even the first
    pending = seg.submit(TEXTS[:40])
    assert pending.result() == words and all(future.cancelled() for future, _ in pending.jobs)
    gate.set()
    blocker.result()
    fast = Segmenter(None, threads=1)
    fast.piece_chars = 200  # and a mix: the worker takes some pieces, the caller the rest
    futures = [fast.submit(TEXTS[i : i + 50]) for i in range(0, len(TEXTS), 50)]
    assert [w for f in futures for w in f.result()] == [" ".join(segment(tagger, t)) for t in TEXTS]


def test_errors_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipadic", None)  # missing, whether or not this machine has it
    with pytest.raises(TokenizerLoadError, match=r"pip install ipadic"):
        make_tagger({"mecab_dic": "ipadic"})
    with pytest.raises(TokenizerLoadError, match=r"unknown mecab_kwargs key\(s\) dic"):
        make_tagger({"dic": "unidic_lite"})
    with pytest.raises(TokenizerLoadError, match=r"MeCab could not start"):
        make_tagger({"mecab_dic": None, "mecab_option": "-d /nonexistent"})
    monkeypatch.setitem(sys.modules, "fugashi", None)
    with pytest.raises(TokenizerLoadError, match=r"pip install fugashi"):
        make_tagger(None)


def test_dictionary_info() -> None:
    import importlib.metadata

    info = dictionary_info({"mecab_dic": "unidic_lite"})
    assert info["name"] == "unidic_lite"
    assert info["version"] == importlib.metadata.version("unidic-lite")
    assert info["fugashi_version"] == importlib.metadata.version("fugashi")
    assert info["dicdir"].endswith("dicdir")
