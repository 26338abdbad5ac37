"""chiTra's tokenizer (WorksApplications' ``sudachitra`` package, ``BertSudachipyTokenizer``), reproduced exactly.

What sudachitra 0.1.x does per text piece (special tokens split out first, as every slow tokenizer):

1. its ``InputStringNormalizer``: ``tokenizers`` normalisers Strip (``do_strip``), Lowercase
   (``do_lower_case``), NFKC (``do_nfkc``), in that order - lower-casing comes *before* NFKC;
2. Sudachi (``sudachipy_kwargs``: ``split_mode`` A/B/C, default A; ``dict_type`` core/small/full, default
   core; ``config_path``, ``resource_dir``) on the normalised text;
3. each morpheme as its **word form** (``word_form_type``): ``surface``, ``dictionary``, ``normalized``,
   ``dictionary_and_surface`` / ``normalized_and_surface`` (the surface for verbs, adjectives and
   auxiliaries, whose part of speech starts 動詞 / 形容詞 / 助動詞), ``normalized_nouns`` (the normalised
   form where the morpheme has no conjugation form, ``pos[5] == "*"``), and the ``*_half_ascii``
   variants (full-width ASCII ！…～ to ASCII);
4. WordPiece on each word form (after a whitespace split, at most 100 characters a word), BERT's
   ``[CLS] A [SEP] B [SEP]``.

jbert registers steps 1-3 as the word segmenter ``sudachipy`` (chiTra's own ``word_tokenizer_type``);
`BertJapaneseTokenizerFast` does the rest, with offsets into the original text (each word maps to its
morpheme's span). Options jbert cannot reproduce exactly are refused in one line naming the option:
``word_form_type: normalized_conjugation`` (sudachitra's own inflection tables) and
``subword_tokenizer_type`` other than ``wordpiece``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jbert.errors import TokenizerLoadError
from jbert.tokenization.normalize import normalize_with_alignment
from jbert.tokenization.segmenters.base import WORD_SEGMENTERS, Words
from jbert.tokenization.segmenters.sudachi import SudachiBacked, _version, build_sudachi

CLASSES = ("BertSudachipyTokenizer", "ElectraSudachipyTokenizer")
SUDACHIPY_KWARGS = ("split_mode", "config_path", "resource_dir", "dict_type")
NORMALIZER_OPTIONS = ("do_strip", "do_lower_case", "do_nfkc")
_CONJUGATIVE = frozenset({"動詞", "形容詞", "助動詞"})
_HALF_ASCII = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)})


def _surface(m: Any) -> str:
    return m.surface()


def _conjugative(m: Any) -> bool:
    return m.part_of_speech()[0] in _CONJUGATIVE


# sudachitra.word_formatter, form by form (a POS matcher there is a test on part_of_speech() here)
WORD_FORMS = {
    "surface": _surface,
    "dictionary": lambda m: m.dictionary_form(),
    "normalized": lambda m: m.normalized_form(),
    "dictionary_and_surface": lambda m: m.surface() if _conjugative(m) else m.dictionary_form(),
    "normalized_and_surface": lambda m: m.surface() if _conjugative(m) else m.normalized_form(),
    "normalized_nouns": lambda m: m.normalized_form() if m.part_of_speech()[5] == "*" else m.surface(),
    "surface_half_ascii": lambda m: m.surface().translate(_HALF_ASCII),
    "dictionary_half_ascii": lambda m: m.dictionary_form().translate(_HALF_ASCII),
    "dictionary_and_surface_half_ascii": lambda m: (m.surface() if _conjugative(m) else m.dictionary_form()
                                                    ).translate(_HALF_ASCII),
}


@WORD_SEGMENTERS.register("sudachipy")
class SudachitraSegmenter(SudachiBacked):
    """sudachitra's normaliser, Sudachi and word forms; `normalize` maps the normalised text back."""

    kwargs_name = "sudachipy_kwargs"
    options = SUDACHIPY_KWARGS + NORMALIZER_OPTIONS + ("word_form_type",)
    defaults = {"split_mode": "A", "dict_type": "core", "word_form_type": "surface", "do_strip": False,
                "do_lower_case": False, "do_nfkc": False}

    def __init__(self, kwargs: dict[str, Any] | None = None, threads: int | None = None):
        super().__init__(kwargs, threads)
        form = self.option("word_form_type")
        if form not in WORD_FORMS:
            raise TokenizerLoadError(f"word_form_type {form!r} is not reproduced exactly by jbert; use one of "
                                     f"{', '.join(WORD_FORMS)}, or sudachitra's own tokenizer outside jbert")
        self.form = WORD_FORMS[form]
        self._normalizer: Any = None

    @classmethod
    def config_kwargs(cls, config: dict[str, Any]) -> dict[str, Any] | None:
        return segmenter_options(config)  # chiTra's normaliser flags and word form sit beside sudachipy_kwargs

    @property
    def normalize_text(self) -> bool:
        return False  # `normalize` does sudachitra's normalisation instead of BertJapaneseTokenizer's NFKC

    def normalize(self, text: str) -> tuple[str, np.ndarray | None]:
        """sudachitra's normalised text (its own ``tokenizers`` normalisers: exact) and, per character, its
        span in ``text`` (whole-text spans in the rare case the steps cannot be aligned one by one)."""
        flags = {k: self.option(k) for k in NORMALIZER_OPTIONS}
        if self._normalizer is None:
            self._normalizer = _normalizers(flags) or False
        # transformers 4's PreTrainedTokenizer.tokenize lower-cases (character by character) before _tokenize
        source = "".join(c.lower() for c in text) if flags["do_lower_case"] else text
        out = self._normalizer.normalize_str(source) if self._normalizer else source
        if out == text:
            return text, None
        if len(source) != len(text):
            return out, _whole(text, out)
        return out, _align(source, out, flags)

    def _build(self) -> Any:
        return build_sudachi("chiTra's tokenizer", "sudachipy_kwargs: split_mode", str(self.option("split_mode")).upper(),
                             self.option("dict_type"), self.option("config_path"), self.option("resource_dir"))

    def segment(self, text: str) -> str | Words:
        morphemes = self.sudachi.tokenize(text)
        return Words([self.form(m) for m in morphemes], [(m.begin(), m.end()) for m in morphemes])

    def info(self) -> dict[str, Any]:
        dict_type = self.option("dict_type")
        return {"word_tokenizer": "sudachitra", "dictionary": f"sudachidict_{dict_type}",
                "dictionary_version": _version(f"sudachidict_{dict_type}"), "split_mode": self.option("split_mode"),
                "word_form_type": self.option("word_form_type"), "sudachipy_version": _version("sudachipy")}


def _normalizers(flags: dict[str, Any]) -> Any:
    """sudachitra's InputStringNormalizer: the same ``tokenizers`` normalisers in the same order (None: none)."""
    from tokenizers import normalizers

    steps = [step() for flag, step in (("do_strip", normalizers.Strip), ("do_lower_case", normalizers.Lowercase),
                                       ("do_nfkc", normalizers.NFKC)) if flags.get(flag)]
    return normalizers.Sequence(steps) if steps else None


def _align(text: str, out: str, flags: dict[str, Any]) -> np.ndarray:
    """Spans in ``text`` of the characters of ``out`` (strip -> lower-case -> NFKC, step by step)."""
    from tokenizers import normalizers

    work, left = text, 0
    if flags.get("do_strip"):
        work = normalizers.Strip().normalize_str(text)
        left = text.find(work) if work else 0
    if flags.get("do_lower_case"):
        lowered = normalizers.Lowercase().normalize_str(work)
        if len(lowered) != len(work):  # "İ" -> "i̇": no character-to-character map
            return _whole(text, out)
        work = lowered
    spans = None
    if flags.get("do_nfkc"):
        work, spans = normalize_with_alignment(work)
    if work != out:  # Python's and Rust's Unicode tables disagree on some character
        return _whole(text, out)
    if spans is None:
        spans = np.stack([np.arange(len(out)), np.arange(1, len(out) + 1)], axis=1).astype(np.int64)
    return spans + left


def _whole(text: str, out: str) -> np.ndarray:
    """Every character of ``out`` spans all of ``text``: offsets coarse, ids still exact."""
    return np.tile(np.array([[0, len(text)]], dtype=np.int64), (len(out), 1))


def unsupported(config: dict[str, Any]) -> str | None:
    """Why jbert cannot reproduce a sudachitra tokenizer_config exactly (one line), or None."""
    if config.get("word_tokenizer_type", "sudachipy") != "sudachipy" or not config.get("do_word_tokenize", True):
        return "sudachitra needs word_tokenizer_type 'sudachipy' with do_word_tokenize true"
    if config.get("subword_tokenizer_type", "wordpiece") != "wordpiece" or not config.get("do_subword_tokenize", True):
        return (f"subword_tokenizer_type {config.get('subword_tokenizer_type')!r} (do_subword_tokenize "
                f"{config.get('do_subword_tokenize', True)}) is not reproduced exactly by jbert; only 'wordpiece' is")
    form = config.get("word_form_type", "surface")
    if form not in WORD_FORMS:
        return (f"word_form_type {form!r} is not reproduced exactly by jbert (sudachitra's own inflection tables); "
                f"use sudachitra's tokenizer outside jbert")
    unknown = sorted(set(config.get("sudachipy_kwargs") or {}) - set(SUDACHIPY_KWARGS))
    if unknown:
        return f"unknown sudachipy_kwargs key(s) {', '.join(unknown)}; allowed: {', '.join(SUDACHIPY_KWARGS)}"
    return None


def segmenter_options(config: dict[str, Any]) -> dict[str, Any]:
    """The ``sudachipy`` segmenter's options from a sudachitra tokenizer_config (its top-level flags folded in)."""
    options = dict(config.get("sudachipy_kwargs") or {})
    options.update({k: config[k] for k in (*NORMALIZER_OPTIONS, "word_form_type") if k in config})
    return options
