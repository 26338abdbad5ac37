"""Word segmenters behind one interface, chosen by ``word_tokenizer_type`` (mecab | sudachi | jumanpp).

`BertJapaneseTokenizer` picks its word tokenizer from ``word_tokenizer_type`` and hands it ``mecab_kwargs``,
``sudachi_kwargs`` or ``jumanpp_kwargs``. jbert does the same through `WORD_SEGMENTERS`: each entry is a
`WordSegmenter` class that segments already-normalised text the way the matching transformers class does
(same analyser, same dictionary, same options) and returns, per text, either

- a string: the words joined by single spaces (MeCab's fast path: no word contains a space), or
- a `Words`: the surfaces as the analyser gives them (they may contain or be whitespace, e.g. Sudachi's
  " ") and, when known, each word's ``(start, end)`` in the normalised text.

`jbert.tokenization.fast.pretokenize` turns either into WordPiece/character words and maps them back to the
original text. Normalisation (NFKC, ``normalize_text``) and lower-casing stay in the pretokenizer: all three
transformers classes apply them the same way.

>>> seg = make_segmenter("mecab", {"mecab_dic": "unidic_lite"}, threads=0)  # doctest: +SKIP
>>> seg.submit(["東京に行く"]).result()                                       # doctest: +SKIP
['東京 に 行く']
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar

from jbert.errors import TokenizerLoadError
from jbert.registry import Registry
from jbert.tokenization.normalize import normalize_with_alignment


@dataclass(slots=True)
class Words:
    """One text's words as the analyser gave them, with their spans in the normalised text when known."""

    surfaces: list[str]
    spans: list[tuple[int, int]] | None = None


class WordSegmenter:
    """Base class: subclasses set the class attributes and implement `segment` (and `info`).

    `submit(texts)` returns a future-like object whose `.result()` is one `segment(text)` per text; a
    subclass may override it to work in threads (MeCab does).
    """

    kwargs_name: ClassVar[str]  # the BertJapaneseTokenizer argument holding the options, e.g. "sudachi_kwargs"
    options: ClassVar[tuple[str, ...]]  # the keys transformers' word tokenizer accepts
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, kwargs: dict[str, Any] | None = None, threads: int | None = None):
        self.kwargs = self.check_kwargs(kwargs)
        self.threads = 0 if threads is None else threads

    @classmethod
    def check_kwargs(cls, kwargs: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = dict(kwargs or {})
        unknown = sorted(set(kwargs) - set(cls.options))
        if unknown:
            raise TokenizerLoadError(
                f"unknown {cls.kwargs_name} key(s) {', '.join(unknown)}; allowed: {', '.join(cls.options)}"
            )
        return kwargs

    @classmethod
    def config_kwargs(cls, config: dict[str, Any]) -> dict[str, Any] | None:
        """This segmenter's options in a tokenizer_config.json (its ``kwargs_name`` entry)."""
        return config.get(cls.kwargs_name)

    def option(self, key: str) -> Any:
        return self.kwargs.get(key, self.defaults.get(key))

    @property
    def normalize_text(self) -> bool:
        """Whether the text is NFKC-normalised before segmentation (``normalize_text``, default true)."""
        return bool(self.kwargs.get("normalize_text", True))

    def normalize(self, text: str) -> tuple[str, Any]:
        """The text the segmenter reads and, per character, its span in ``text`` (None: the same text).
        BertJapaneseTokenizer's: NFKC when ``normalize_text``."""
        return normalize_with_alignment(text) if self.normalize_text else (text, None)

    def __getstate__(self) -> dict[str, Any]:  # analysers and threads do not travel to other processes
        return {"kwargs": self.kwargs, "threads": self.threads}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["kwargs"], state["threads"])  # type: ignore[misc]

    def segment(self, text: str) -> str | Words:
        raise NotImplementedError

    def submit(self, texts: list[str]) -> Any:
        done: Future[list[str | Words]] = Future()
        done.set_result([self.segment(t) for t in texts])
        return done

    def check(self) -> None:
        """Raise TokenizerLoadError now (analyser or dictionary missing, bad options) rather than at first use."""
        self.segment("")

    def info(self) -> dict[str, Any]:
        """What a fingerprint records about the analyser (dictionary, versions ...)."""
        raise NotImplementedError


WORD_SEGMENTERS: Registry[type[WordSegmenter]] = Registry("word_tokenizer_type")


def segmenter_class(word_tokenizer_type: str) -> type[WordSegmenter]:
    return WORD_SEGMENTERS.get(word_tokenizer_type)


def is_word_segmenter(word_tokenizer_type: str) -> bool:
    return word_tokenizer_type in WORD_SEGMENTERS


def make_segmenter(word_tokenizer_type: str, kwargs: dict[str, Any] | None, threads: int | None = None
                   ) -> WordSegmenter:
    """The segmenter for a tokenizer_config's ``word_tokenizer_type`` and its ``*_kwargs``."""
    return segmenter_class(word_tokenizer_type)(kwargs, threads)


def segmenter_kwargs(config: dict[str, Any]) -> dict[str, Any] | None:
    """The ``mecab_kwargs`` / ``sudachi_kwargs`` / ``jumanpp_kwargs`` of a tokenizer config, as it names them."""
    cls = segmenter_class(config.get("word_tokenizer_type", "basic"))
    return cls.config_kwargs(config)


class WholeTextSegmenter(WordSegmenter):
    """``do_word_tokenize: false``: the text is one word, not normalised (BertJapaneseTokenizer's tokens=[text])."""

    kwargs_name = "do_word_tokenize"
    options = ()

    @property
    def normalize_text(self) -> bool:
        return False

    def segment(self, text: str) -> str | Words:
        return Words([text])

    def check(self) -> None:
        """Nothing to load."""

    def info(self) -> dict[str, Any]:
        return {"word_tokenizer": "none", "dictionary": None, "dictionary_version": None}


SUBWORD_TYPES = ("wordpiece", "character", "sentencepiece")


def unsupported(config: dict[str, Any]) -> str | None:
    """Why jbert cannot reproduce a BertJapaneseTokenizer config exactly, or None when it can."""
    word = config.get("word_tokenizer_type", "basic")
    subword = config.get("subword_tokenizer_type", "wordpiece")
    if config.get("do_word_tokenize", True) and word not in WORD_SEGMENTERS:
        return (f"word_tokenizer_type {word!r} is not supported by jbert's fast tokenizer; use one of "
                f"{', '.join(WORD_SEGMENTERS.names())}")
    if subword not in SUBWORD_TYPES:
        return f"subword_tokenizer_type {subword!r} is not supported; use one of {', '.join(SUBWORD_TYPES)}"
    if subword == "sentencepiece" and not config.get("do_subword_tokenize", True):
        return "do_subword_tokenize false with subword_tokenizer_type 'sentencepiece' is not supported"
    return None


def subword_mode(subword_tokenizer_type: str, do_subword_tokenize: bool = True) -> str:
    """The pretokenizer's mode: the subword type, or "whole" when words are looked up whole."""
    return subword_tokenizer_type if do_subword_tokenize else "whole"
