"""MeCab over many texts at once, in worker threads that really run in parallel with Python.

fugashi holds the GIL while MeCab parses; a `ctypes` call into the same libmecab releases it. But a worker
that returns to Python after every short text waits for the GIL each time (up to the 5 ms switch interval
while the main thread is busy), so each worker call parses a piece of about 4k characters: the texts joined
by a boundary word. The caller, when it needs a chunk's words, parses the pieces no worker has started
itself instead of waiting (on short texts MeCab is the slower side, and the caller's core would idle). The boundary is a private-use character that a one-entry user dictionary turns into a word with
MeCab's BOS/EOS context ids (0) and the lowest cost, surrounded by spaces (which no word or unknown-word
group crosses): every text then costs, and segments, exactly as if parsed alone. Texts the joined format
cannot carry (NUL, the separators, the boundary character) are segmented one by one, and the tests compare
both paths on all of JGLUE.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from jbert.tokenization.inputs import chunk_samples
from jbert.tokenization.segmenters.base import WORD_SEGMENTERS, WordSegmenter
from jbert.tokenization.segmenters.longtext import MAX_CHARS
from jbert.tokenization.segmenters.mecab import (
    _EOS,
    _FORMAT,
    _SEP,
    MECAB_KWARGS,
    dictionary_info,
    make_tagger,
    mecab_option_string,
    segment_joined,
)

_BOUNDARY = "\ue000"
_JOIN = f" {_BOUNDARY} "
_UNSAFE = re.compile(f"[\x00{_SEP}{_EOS}{_BOUNDARY}]")


def default_threads() -> int:
    """MeCab worker threads: $JBERT_MECAB_THREADS, else one per core but one (the main thread is busy too)."""
    env = os.environ.get("JBERT_MECAB_THREADS", "")
    if env.strip().isdigit():
        return int(env)
    return max(1, min(4, (os.cpu_count() or 1) - 1))


@functools.lru_cache(maxsize=8)
def boundary_dictionary(dicdir: str, charset: str) -> str | None:
    """Build (once per process) the user dictionary that makes `_BOUNDARY` a BOS/EOS-like word; None on failure."""
    out = tempfile.mkdtemp(prefix="jbert-mecab-")
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(out, ignore_errors=True))
    csv, dic = os.path.join(out, "boundary.csv"), os.path.join(out, "boundary.dic")
    with open(csv, "w", encoding="utf-8") as f:
        f.write(f"{_BOUNDARY},0,0,-32768,*\n")  # left id, right id 0 = BOS/EOS context; lowest cost
    args = f'mecab-dict-index -d "{dicdir}" -u "{dic}" -f utf-8 -t {charset} "{csv}"'
    code = "import sys, fugashi; fugashi.build_dictionary(sys.argv[1])"  # a child: MeCab prints progress
    done = subprocess.run([sys.executable, "-c", code, args], capture_output=True, check=False)
    return dic if done.returncode == 0 and os.path.isfile(dic) else None


class _CMecab:
    """The MeCab C API through ctypes; the symbols resolve through fugashi's libmecab dependency."""

    def __init__(self, option: str):
        import ctypes

        import fugashi.fugashi as extension

        lib = ctypes.CDLL(extension.__file__)
        lib.mecab_new.restype = ctypes.c_void_p
        lib.mecab_new.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
        lib.mecab_sparse_tostr2.restype = ctypes.c_char_p
        lib.mecab_sparse_tostr2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.mecab_destroy.argtypes = [ctypes.c_void_p]
        args = [b"fugashi", b"-C"] + [a.encode("utf-8") for a in shlex.split(option)]  # fugashi's own argv
        self.lib, self.handle = lib, lib.mecab_new(len(args), (ctypes.c_char_p * len(args))(*args))
        if not self.handle:
            raise OSError(f"MeCab could not start with {option!r}")

    def parse(self, data: bytes) -> bytes | None:
        return self.lib.mecab_sparse_tostr2(self.handle, data, len(data))

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self.lib.mecab_destroy(self.handle)
            self.handle = None


class _Pending:
    """Surfaces of a chunk being parsed in pieces by the workers; `result()` collects them (in the caller's thread).

    The caller parses itself every piece no worker has started yet (taken from the back: workers take from the
    front) instead of waiting idle: with short texts MeCab costs more than everything else the caller does, and
    this puts both cores on it.
    """

    def __init__(self, owner: Segmenter, texts: list[str], groups: list[list[int]], jobs: list[tuple[Future, bytes]]):
        self.owner, self.texts, self.groups, self.jobs = owner, texts, groups, jobs

    def done(self) -> bool:
        return all(future.done() for future, _ in self.jobs)

    def result(self) -> list[str]:
        outs: list[bytes | None] = [None] * len(self.jobs)
        first, deadline = self.jobs[0][0] if self.jobs else None, time.monotonic() + 0.01
        # A worker that has not started the chunk's first piece is usually waiting for the GIL (up to the 5 ms
        # switch interval), not busy: let it in (sleeping releases the GIL) rather than take its pieces, which
        # would leave it idle. Past the deadline (a worker busy with another thread's call) take them all.
        while first is not None and not first.running() and not first.done() and time.monotonic() < deadline:
            time.sleep(0.0001)
        for k in reversed(range(len(self.jobs))):
            future, data = self.jobs[k]
            if future.cancel():  # not started: cheaper to parse it here than to wait for it
                outs[k] = self.owner._parse(data)
        words: list[str | None] = [None] * len(self.texts)
        for k, (group, (future, _)) in enumerate(zip(self.groups, self.jobs, strict=True)):
            out = outs[k] if future.cancelled() else future.result()
            decoded = out.decode("utf-8") if out is not None else ""
            # "w1\x01w2\x01" per text, texts separated by the boundary word "\ue000\x01", then the EOS mark
            pieces = decoded[:-1].split(_BOUNDARY + _SEP) if decoded.endswith(_EOS) else []
            if len(pieces) == len(group):
                for i, piece in zip(group, pieces, strict=True):
                    words[i] = piece[:-1].replace(_SEP, " ")
        return [w if w is not None else self.owner.segment(t) for w, t in zip(words, self.texts, strict=True)]


@WORD_SEGMENTERS.register("mecab")
class Segmenter(WordSegmenter):
    """MeCab for many texts. `submit(texts)` returns a future-like object of each text's words joined by spaces.

    With `threads` > 0 each submitted chunk is parsed by a worker thread while the caller goes on; with 0, or
    when ctypes or the boundary dictionary is unavailable, it segments right away with fugashi.
    """

    kwargs_name = "mecab_kwargs"
    options = MECAB_KWARGS
    piece_chars = 4_096  # characters per MeCab job: the caller can take over the jobs no worker has started

    def __init__(self, mecab_kwargs: dict[str, Any] | None = None, threads: int | None = None):
        super().__init__(mecab_kwargs, default_threads() if threads is None else threads)
        self.mecab_kwargs = self.kwargs
        self._tagger: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    def info(self) -> dict[str, Any]:
        info = dictionary_info(self.mecab_kwargs)
        return {"word_tokenizer": "mecab", "dictionary": info["name"], "dictionary_version": info["version"],
                "dictionary_data_version": info.get("data_version"), "fugashi_version": info.get("fugashi_version")}

    @property
    def tagger(self) -> Any:
        if self._tagger is None:
            self._tagger = make_tagger(self.mecab_kwargs)
        return self._tagger

    def segment(self, text: str) -> str:
        """MeCab's words of `text`, joined by single spaces."""
        return segment_joined(self.tagger, text)

    def submit(self, texts: list[str]) -> Any:
        """Start segmenting `texts`; `.result()` gives each text's words joined by spaces."""
        pool = self._thread_pool() if self.threads > 0 and len(texts) > 1 else None
        if pool is None:
            done: Future[list[str]] = Future()
            done.set_result([segment_joined(self.tagger, t) for t in texts])
            return done
        # a joined piece must stay within MeCab's safe length; longer texts are parsed alone, in windows
        joinable = MAX_CHARS - self.piece_chars
        safe = [i for i, t in enumerate(texts) if len(t) <= joinable and not _UNSAFE.search(t)]
        # pieces of about piece_chars characters, cut the way a call is cut into pipeline chunks
        groups = [[safe[j] for j in piece] for piece in chunk_samples([texts[i] for i in safe], None, False,
                                                                      self.piece_chars)]
        jobs = []
        for group in groups:
            data = _JOIN.join(texts[i] for i in group).encode("utf-8")
            jobs.append((pool.submit(self._parse, data), data))
        return _Pending(self, texts, groups, jobs)

    def check(self) -> None:
        """Raise TokenizerLoadError now (missing fugashi or dictionary, bad options) rather than at first use."""
        _ = self.tagger

    def _parse(self, data: bytes) -> bytes | None:
        """MeCab over joined texts in whichever thread calls (each thread has its own MeCab: one is not shared)."""
        mecab = getattr(self._local, "mecab", None)
        if mecab is None:
            mecab = self._local.mecab = _CMecab(self._option)
        return mecab.parse(data)

    def _thread_pool(self) -> ThreadPoolExecutor | None:
        if self._pool is not None and self._pid == os.getpid():
            return self._pool
        option = mecab_option_string(self.mecab_kwargs)  # a forked child cannot use its parent's threads
        info = self.tagger.dictionary_info
        dic = None if "-u" in shlex.split(option) or "--userdic" in option or not info else \
            boundary_dictionary(os.path.dirname(info[0]["filename"]), info[0]["charset"])
        if dic is None:
            self.threads = 0
            return None
        option = f'{option} -u "{dic}" {_FORMAT}'
        self._local = threading.local()
        try:
            self._local.mecab = _CMecab(option)  # the calling thread's, for the pieces it parses itself
        except (OSError, AttributeError):
            self.threads = 0
            return None
        self._option = option
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="jbert-mecab")
        self._pid = os.getpid()
        return self._pool


MecabSegmenter = Segmenter
