"""Sudachi word segmentation, built exactly as transformers' `SudachiTokenizer` builds it.

``sudachi_kwargs`` (from tokenizer_config.json): ``sudachi_split_mode`` A/B/C (default A),
``sudachi_dict_type`` core/full/small (default core; pip packages sudachidict_core / _full / _small),
``sudachi_config_path``, ``sudachi_resource_dir``, ``sudachi_projection``, ``normalize_text``,
``trim_whitespace``. Sudachi gives every morpheme's character span, so words carry their spans even when a
projection (``normalized`` ...) makes the surface differ from the text.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.base import WORD_SEGMENTERS, Words, WordSegmenter

SUDACHI_KWARGS = ("normalize_text", "trim_whitespace", "sudachi_split_mode", "sudachi_config_path",
                  "sudachi_resource_dir", "sudachi_dict_type", "sudachi_projection")
_INSTALL = "pip install 'jbert[sudachi]' (sudachipy and sudachidict_core)"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def build_sudachi(needed_by: str, mode_setting: str, mode: str, dict_type: str, config_path: str | None,
                  resource_dir: str | None, projection: str | None = None) -> Any:
    """A sudachipy tokenizer as transformers' (and sudachitra's) ``Dictionary(...).create(mode)`` builds it,
    or a one-line TokenizerLoadError: sudachipy missing (``needed_by`` needs it), a split mode other than
    A/B/C (named as ``mode_setting``), a dictionary package missing."""
    try:
        from sudachipy import dictionary, tokenizer
    except ImportError as err:
        raise TokenizerLoadError(f"{needed_by} needs sudachipy, which is not installed ({_INSTALL})") from err
    if mode not in ("A", "B", "C"):
        raise TokenizerLoadError(f"{mode_setting} {mode!r} is invalid; use A, B or C")
    try:
        sudachi_dictionary = dictionary.Dictionary(config_path=config_path, resource_dir=resource_dir, dict=dict_type)
    except Exception as err:  # sudachipy raises plain Exceptions for a missing dictionary package
        raise TokenizerLoadError(
            f"Sudachi could not load the {dict_type!r} dictionary ({str(err).splitlines()[0] if str(err) else err}; "
            f"pip install sudachidict_{dict_type})") from err
    with warnings.catch_warnings():  # create() is what transformers calls; newer sudachipy deprecates it
        warnings.simplefilter("ignore", DeprecationWarning)
        return sudachi_dictionary.create(getattr(tokenizer.Tokenizer.SplitMode, mode), projection=projection)


class SudachiBacked(WordSegmenter):
    """A segmenter over one sudachipy tokenizer, built on first use (``_build``) and in this thread only."""

    def __init__(self, kwargs: dict[str, Any] | None = None, threads: int | None = None):
        super().__init__(kwargs, 0)  # a Sudachi tokenizer is not shared between threads
        self._sudachi: Any = None

    @property
    def sudachi(self) -> Any:
        if self._sudachi is None:
            self._sudachi = self._build()
        return self._sudachi

    def _build(self) -> Any:
        raise NotImplementedError

    def check(self) -> None:
        _ = self.sudachi


@WORD_SEGMENTERS.register("sudachi")
class SudachiSegmenter(SudachiBacked):
    """Sudachi surfaces (and spans) of normalised text; `trim_whitespace` as transformers applies it."""

    kwargs_name = "sudachi_kwargs"
    options = SUDACHI_KWARGS
    defaults = {"sudachi_split_mode": "A", "sudachi_dict_type": "core", "trim_whitespace": False}

    def _build(self) -> Any:
        return build_sudachi("word_tokenizer_type 'sudachi'", "sudachi_kwargs: sudachi_split_mode",
                             self.option("sudachi_split_mode"), self.option("sudachi_dict_type"),
                             self.option("sudachi_config_path"), self.option("sudachi_resource_dir"),
                             self.option("sudachi_projection"))

    def segment(self, text: str) -> str | Words:
        morphemes = self.sudachi.tokenize(text)
        surfaces = [m.surface() for m in morphemes]
        projected = self.option("sudachi_projection") not in (None, "surface")
        if not projected and not self.option("trim_whitespace"):
            joined = " ".join(surfaces)
            if joined.count(" ") == len(surfaces) - 1:  # no surface holds a space: the cheap form
                return joined
        spans = [(m.begin(), m.end()) for m in morphemes]
        if self.option("trim_whitespace"):  # SudachiTokenizer: drop whitespace-only tokens, strip the rest
            kept = [(s, span) for s, span in zip(surfaces, spans, strict=True) if s.strip()]
            surfaces = [s.strip() for s, _ in kept]
            spans = [span if projected else (span[0] + len(s) - len(s.lstrip()), span[1] - len(s) + len(s.rstrip()))
                     for s, span in kept]
        return Words(surfaces, spans)

    def info(self) -> dict[str, Any]:
        dict_type = self.option("sudachi_dict_type")
        return {"word_tokenizer": "sudachi", "dictionary": f"sudachidict_{dict_type}",
                "dictionary_version": _version(f"sudachidict_{dict_type}"),
                "split_mode": self.option("sudachi_split_mode"), "sudachipy_version": _version("sudachipy")}
