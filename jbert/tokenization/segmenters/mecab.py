"""MeCab taggers resolved exactly as `transformers`' `MecabTokenizer` resolves them, plus cheap segmentation.

`BertJapaneseTokenizer` builds its tagger from `mecab_kwargs` (`mecab_dic`, `mecab_option`, `normalize_text`).
`make_tagger` builds the same tagger (same dictionary, same option string) so both segment identically, and
adds an output format that lets `segment` read every surface from one C string instead of one Python node
object per word (the node API is the slowest part of the reference tokenizer).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.longtext import MAX_CHARS, segment_long

# mecab_dic name -> (module to import, pip package that provides it)
DICTIONARIES: dict[str, tuple[str, str]] = {
    "unidic_lite": ("unidic_lite", "unidic-lite"),
    "unidic": ("unidic", "unidic"),
    "ipadic": ("ipadic", "ipadic"),
}
MECAB_KWARGS = ("mecab_dic", "mecab_option", "normalize_text")

# Each surface is followed by \x01 and the sentence by \x02: neither is whitespace, so fugashi's rstrip()
# keeps whitespace-only surfaces (MeCab emits e.g. "\x0c" as a word), and \x02 proves the format applied.
_SEP, _EOS = "\x01", "\x02"
_FORMAT = (
    f"--output-format-type= --node-format=%m{_SEP} --unk-format=%m{_SEP} "
    f"--bos-format= --eos-format={_EOS} --eon-format="
)


def _check_kwargs(mecab_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    kwargs = dict(mecab_kwargs or {})
    unknown = sorted(set(kwargs) - set(MECAB_KWARGS))
    if unknown:
        raise TokenizerLoadError(
            f"unknown mecab_kwargs key(s) {', '.join(unknown)}; allowed: {', '.join(MECAB_KWARGS)}"
        )
    return kwargs


def _import_fugashi() -> Any:
    try:
        import fugashi
    except ModuleNotFoundError as err:
        raise TokenizerLoadError("MeCab tokenizers need fugashi, which is not installed (pip install fugashi)") from err
    return fugashi


def dictionary_dir(mecab_dic: str) -> str:
    """The dicdir of a pip-installed MeCab dictionary, or a TokenizerLoadError naming the package to install."""
    if mecab_dic not in DICTIONARIES:
        raise TokenizerLoadError(
            f"unknown mecab_dic {mecab_dic!r}; available: {', '.join(DICTIONARIES)} "
            "(or set mecab_dic to null and pass the dictionary with mecab_option '-d DIR')"
        )
    module_name, package = DICTIONARIES[mecab_dic]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise TokenizerLoadError(
            f"this tokenizer uses the MeCab dictionary {mecab_dic!r}, which is not installed (pip install {package})"
        ) from err
    dic_dir = module.DICDIR
    if not os.path.isdir(dic_dir):
        raise TokenizerLoadError(
            f"the {package} package is installed but its dictionary files are missing at {dic_dir} "
            f"(run: python -m {module_name} download)"
        )
    return dic_dir


def mecab_option_string(mecab_kwargs: dict[str, Any] | None) -> str:
    """The MeCab argument string `MecabTokenizer` would build for these kwargs (without jbert's output format)."""
    kwargs = _check_kwargs(mecab_kwargs)
    option = kwargs.get("mecab_option") or ""
    mecab_dic = kwargs.get("mecab_dic", "unidic_lite")
    if mecab_dic is None:
        return option
    dic_dir = dictionary_dir(mecab_dic)
    mecabrc = os.path.join(dic_dir, "mecabrc")
    return f'-d "{dic_dir}" -r "{mecabrc}" ' + option


def make_tagger(mecab_kwargs: dict[str, Any] | None = None) -> Any:
    """A `fugashi.GenericTagger` for `mecab_kwargs` (as in a tokenizer_config.json), same as MecabTokenizer's.

    Both APIs work on it: `tagger(text)` gives nodes with features; `segment(tagger, text)` gives surfaces fast.
    Raises TokenizerLoadError if fugashi or the dictionary package is missing, or MeCab rejects the options.
    """
    fugashi = _import_fugashi()
    option = mecab_option_string(mecab_kwargs)
    try:
        return fugashi.GenericTagger(f"{option} {_FORMAT}", quiet=True)
    except RuntimeError as err:
        raise TokenizerLoadError(
            f"MeCab could not start with options {option!r} (check mecab_kwargs in tokenizer_config.json)"
        ) from err


def segment(tagger: Any, text: str) -> list[str]:
    """MeCab surfaces of `text`, exactly the `word.surface`s of `tagger(text)` (MecabTokenizer's words).

    `text` should already be normalised (NFKC) the way the tokenizer normalises. Whitespace that MeCab treats
    as a separator is dropped; other whitespace-only surfaces (e.g. "\\x0c") are kept, as MeCab yields them.
    """
    if "\x00" in text:
        # MeCab reads a C string: the reference tokenizer silently loses everything after a NUL.
        text = text[: text.index("\x00")]
    if len(text) > MAX_CHARS:  # one call would overflow MeCab's path cost and crash fugashi
        return segment_long(lambda piece: segment(tagger, piece), text)
    if _SEP not in text and _EOS not in text:
        out = tagger.parse(text)
        if out.endswith(_EOS):
            return out[:-1].split(_SEP)[:-1]
    return [node.surface for node in tagger(text)]


def segment_joined(tagger: Any, text: str) -> str:
    """`segment`'s surfaces joined by single spaces (lossless: MeCab never puts a space inside a word)."""
    if "\x00" in text:
        text = text[: text.index("\x00")]
    if len(text) > MAX_CHARS:
        return " ".join(segment(tagger, text))
    if _SEP not in text and _EOS not in text:
        out = tagger.parse(text)
        if out.endswith(_EOS):
            return out[:-2].replace(_SEP, " ") if len(out) > 1 else ""
    return " ".join(node.surface for node in tagger(text))


def _package_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def dictionary_info(mecab_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a fingerprint records about the analyser: dictionary name, package version, dicdir, fugashi version."""
    kwargs = _check_kwargs(mecab_kwargs)
    mecab_dic = kwargs.get("mecab_dic", "unidic_lite")
    if mecab_dic is None:
        files = make_tagger(kwargs).dictionary_info
        dic_dir = os.path.dirname(files[0]["filename"]) if files else None
        name, version = "custom", None
    else:
        dic_dir = dictionary_dir(mecab_dic)
        name, version = mecab_dic, _package_version(DICTIONARIES[mecab_dic][1])
    data_version = None
    if dic_dir and os.path.isfile(os.path.join(dic_dir, "version")):
        with open(os.path.join(dic_dir, "version"), encoding="utf-8") as f:
            data_version = f.read().strip() or None
    return {
        "name": name,
        "version": version,
        "data_version": data_version,
        "dicdir": dic_dir,
        "mecab_option": kwargs.get("mecab_option") or "",
        "fugashi_version": _package_version("fugashi"),
    }
