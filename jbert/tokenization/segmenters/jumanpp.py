"""Juman++ word segmentation through rhoknp, exactly as transformers' `JumanppTokenizer` runs it.

transformers strips the (normalised) text and reads the morphemes of ``rhoknp.Jumanpp().apply_to_sentence``;
jbert calls the same library the same way, so escaping (``\\␣`` for spaces) and the one-sentence-per-line
protocol behave identically. The Juman++ binary cannot be pip-installed: without ``jumanpp`` on PATH loading
stops with a one-line error that says how to install it. ``jumanpp_kwargs``: ``normalize_text``,
``trim_whitespace`` (as transformers). `jbert.tokenization.segmenters.presegment` gets its Juman++ words from this
segmenter too (for SentencePiece models pre-trained on Juman++-segmented text).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.base import WORD_SEGMENTERS, Words, WordSegmenter

JUMANPP_KWARGS = ("normalize_text", "trim_whitespace")
INSTALL = ("install Juman++ 2.x (https://github.com/ku-nlp/jumanpp: build with cmake, then put `jumanpp` on PATH) "
           "and pip install rhoknp")


@WORD_SEGMENTERS.register("jumanpp")
class JumanppSegmenter(WordSegmenter):
    """Juman++ morphemes of normalised text (one persistent `jumanpp` process, started on first use)."""

    kwargs_name = "jumanpp_kwargs"
    options = JUMANPP_KWARGS
    executable = "jumanpp"

    def __init__(self, kwargs: dict[str, Any] | None = None, threads: int | None = None):
        super().__init__(kwargs, 0)  # rhoknp serialises requests to its one process
        self._juman: Any = None

    @property
    def juman(self) -> Any:
        if self._juman is None:
            self._juman = self._start()
        return self._juman

    def _start(self) -> Any:
        try:
            import rhoknp
        except ImportError as err:
            raise TokenizerLoadError(f"word_tokenizer_type 'jumanpp' needs rhoknp, which is not installed ({INSTALL})"
                                     ) from err
        if shutil.which(self.executable) is None:
            raise TokenizerLoadError(f"word_tokenizer_type 'jumanpp' needs the Juman++ program, and no `jumanpp` is "
                                     f"on PATH ({INSTALL})")
        juman = rhoknp.Jumanpp(executable=self.executable)
        try:
            # rhoknp only logs a failed start, and its is_available() is True until the dead process is
            # reaped: a sentence of our own is the reliable check
            if juman.is_available():
                juman.apply_to_sentence("")
                return juman
        except (RuntimeError, TimeoutError, OSError, ValueError):
            pass
        raise TokenizerLoadError(f"`{shutil.which(self.executable)}` did not start as Juman++ ({INSTALL})")

    def check(self) -> None:
        _ = self.juman

    def segment(self, text: str) -> str | Words:
        stripped = text.strip()  # JumanppTokenizer strips before Juman++ (which reads one line per sentence)
        try:
            surfaces = [m.text for m in self.juman.apply_to_sentence(stripped).morphemes]
        except (RuntimeError, TimeoutError, OSError) as err:  # rhoknp's errors when the process dies or hangs
            shown = stripped if len(stripped) <= 40 else stripped[:40] + "..."
            reason = " ".join(str(err).split()) or type(err).__name__  # the error stays one line
            raise TokenizerLoadError(f"Juman++ failed on {shown!r}: {reason} ({INSTALL})") from err
        if self.kwargs.get("trim_whitespace", False):
            surfaces = [s.strip() for s in surfaces if s.strip()]
        return Words(surfaces)

    def info(self) -> dict[str, Any]:
        version = None
        path = shutil.which(self.executable)
        if path:
            done = subprocess.run([path, "--version"], capture_output=True, text=True, check=False, timeout=10,
                                  stdin=subprocess.DEVNULL)
            version = done.stdout.strip() or None
        return {"word_tokenizer": "jumanpp", "dictionary": "jumandic (Juman++)", "dictionary_version": version}
