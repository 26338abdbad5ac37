"""`load_tokenizer`: the one way jbert gets a tokenizer - always a fast one, with offsets.

- A `BertJapaneseTokenizer` directory (MeCab, Sudachi or Juman++ words; WordPiece, character or
  SentencePiece subwords; Tohoku-style, LINE-style or jbert-trained) -> `BertJapaneseTokenizerFast`:
  the same ids as BertJapaneseTokenizer, plus offsets into the original text and word ids.
- rinna's japanese-roberta (a RoBERTa with a T5Tokenizer) -> the fast tokenizer its model card
  describes (`jbert.tokenization.rinna`).
- chiTra's `sudachitra` classes (BertSudachipyTokenizer) -> the same `BertJapaneseTokenizerFast` with
  chiTra's normaliser, Sudachi word forms and WordPiece (`jbert.tokenization.segmenters.chitra`), identical ids.
- Anything else (SentencePiece/BPE/WordPiece models with a tokenizer.json or a convertible slow tokenizer)
  -> the model's own fast tokenizer from `AutoTokenizer.from_pretrained(..., use_fast=True)`.
- Otherwise a TokenizerLoadError that says why and how to fix it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.dictchoice import dictionary_override
from jbert.tokenization.fast.tokenizer import BertJapaneseTokenizerFast
from jbert.tokenization.jumanpp_models import apply_presegmentation
from jbert.tokenization.rinna import T5_CLASSES, is_rinna_roberta, load_rinna
from jbert.tokenization.segmenters.base import make_segmenter, segmenter_kwargs, unsupported
from jbert.tokenization.spm_normalize import make_exact
from jbert.writers.rundir import check_not_unfinished

JAPANESE_CLASSES = ("BertJapaneseTokenizer", "BertJapaneseTokenizerFast")
# chiTra (WorksApplications) and megagonlabs' UD-Japanese ELECTRA: classes of the `sudachitra` package
SUDACHITRA_CLASSES = ("BertSudachipyTokenizer", "ElectraSudachipyTokenizer")
# __init__ arguments of BertJapaneseTokenizer that `from_slow` passes explicitly (or, for files, not at all).
_SLOW_ONLY = ("vocab_file", "spm_file", "do_word_tokenize", "do_subword_tokenize", "mecab_kwargs", "sudachi_kwargs",
              "jumanpp_kwargs")
# BertJapaneseTokenizer settings that choose how text is tokenized (from_pretrained keyword overrides included).
_SETTINGS = ("word_tokenizer_type", "subword_tokenizer_type", "mecab_kwargs", "sudachi_kwargs", "jumanpp_kwargs",
             "do_word_tokenize", "do_subword_tokenize")

# Settings the slow and fast tokenizers share, copied one way when loading and the other when saving.
_SHARED = ("do_lower_case", "do_word_tokenize", "do_subword_tokenize", "word_tokenizer_type", "subword_tokenizer_type",
           "mecab_kwargs", "sudachi_kwargs", "jumanpp_kwargs", "never_split")
_SPECIAL_TOKENS = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def _read_config(name_or_path: str) -> dict[str, Any]:
    """tokenizer_config.json (plus config.json's tokenizer_class when the former does not name one)."""
    try:
        config = _read_local_config(name_or_path) if os.path.isdir(name_or_path) else _read_hub_config(name_or_path)
    except (OSError, ValueError) as err:
        raise TokenizerLoadError(f"cannot read a tokenizer from {name_or_path!r}: {err}") from err
    model_config = Path(name_or_path) / "config.json"
    if "tokenizer_class" not in config and model_config.is_file():
        config["tokenizer_class"] = json.loads(model_config.read_text(encoding="utf-8")).get("tokenizer_class")
    return config


def _read_local_config(directory: str) -> dict[str, Any]:
    """A directory's tokenizer_config.json as ``get_tokenizer_config`` reads it ({} when there is none),
    without importing transformers' auto classes: they import torch, which an ONNX predict does not need."""
    file = Path(directory) / "tokenizer_config.json"
    return dict(json.loads(file.read_text(encoding="utf-8"))) if file.is_file() else {}


def _read_hub_config(name: str) -> dict[str, Any]:
    from transformers.models.auto.tokenization_auto import get_tokenizer_config

    return dict(get_tokenizer_config(name))


def load_tokenizer(name_or_path: str | os.PathLike, **kwargs: Any) -> Any:
    """A fast tokenizer for a model name or directory (keyword arguments go to `from_pretrained`).

    MeCab-based BertJapaneseTokenizer directories get jbert's `BertJapaneseTokenizerFast` (identical ids,
    offsets into the original text; ``mecab_threads=N`` sets its MeCab worker threads, 0 for none); other
    models get their own fast tokenizer. Raises TokenizerLoadError (one line, with the fix) when no fast
    tokenizer can be made.
    """
    name = str(name_or_path)
    if not os.path.isdir(name) and os.path.exists(name):
        raise TokenizerLoadError(f"{name}: expected a tokenizer or model directory, got a file")
    if not os.path.exists(name) and _looks_like_path(name):
        raise TokenizerLoadError(f"{name}: no such directory (give a model directory or a hub name such as "
                                 "cl-tohoku/bert-base-japanese-v3)")
    if os.path.isdir(name) and not any(os.path.isfile(os.path.join(name, f)) for f in TOKENIZER_FILES):
        check_not_unfinished(name)  # a run stopped before it saved its tokenizer says so, not "no files"
        raise TokenizerLoadError(f"{name}: no tokenizer files in this directory ({', '.join(TOKENIZER_FILES[:3])} "
                                 "...); give a model directory with its tokenizer, or a hub name")
    config = _read_config(name)
    tokenizer_class = config.get("tokenizer_class")
    if tokenizer_class in JAPANESE_CLASSES:
        return load_japanese_fast(name, config=config, **kwargs)
    if tokenizer_class in T5_CLASSES and is_rinna_roberta(name, config):
        return load_rinna(name, config)  # lower-casing, [CLS] first, its own unknown id
    if tokenizer_class in SUDACHITRA_CLASSES:
        from jbert.tokenization.chitra_files import load_chitra

        return load_chitra(name, config, mecab_threads=kwargs.get("mecab_threads"))
    if tokenizer_class:
        _check_known(name, tokenizer_class)
    return apply_presegmentation(name, _load_auto_fast(name, **kwargs))  # Juman++-trained models


# any of these makes a directory a tokenizer directory (Tohoku vocab.txt, fast tokenizer.json, SentencePiece)
TOKENIZER_FILES = ("tokenizer_config.json", "vocab.txt", "tokenizer.json", "spiece.model", "spm.model",
                   "sentencepiece.bpe.model", "tokenizer.model", "vocab.json", "special_tokens_map.json")


def _looks_like_path(name: str) -> bool:
    """A hub id is ``name`` or ``owner/name``; anything else (``./x``, ``/abs``, ``a/b/c``) is a local path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name


def _check_known(name: str, tokenizer_class: str) -> None:
    import transformers
    from transformers.models.auto.tokenization_auto import tokenizer_class_from_name

    if tokenizer_class_from_name(tokenizer_class) is None and tokenizer_class_from_name(
            tokenizer_class.removesuffix("Fast")) is None:
        raise TokenizerLoadError(
            f"{name}: unknown tokenizer class {tokenizer_class!r} (transformers {transformers.__version__} has no "
            "such class; fix tokenizer_class in tokenizer_config.json or upgrade transformers)"
        )


def _load_auto_fast(name: str, **kwargs: Any) -> Any:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(name, use_fast=True, **kwargs)
    except (OSError, ValueError, ImportError, KeyError, TypeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TokenizerLoadError(
            f"cannot load a tokenizer from {name!r}: {reason} (check the path, or that the tokenizer class is "
            "supported by the installed transformers)"
        ) from err
    if not getattr(tok, "is_fast", False):
        raise TokenizerLoadError(
            f"{name}: only a slow tokenizer ({type(tok).__name__}) is available and jbert needs a fast one for "
            "offsets (add a tokenizer.json, e.g. save it from a fast tokenizer, or use a MeCab BertJapaneseTokenizer)"
        )
    return make_exact(tok)  # a saved SentencePiece tokenizer (rinna's): normalised as SentencePiece does


def _check_japanese(name: str, config: dict[str, Any]) -> None:
    problem = unsupported(config)
    if problem:
        raise TokenizerLoadError(f"{name}: {problem}")
    if (config.get("subword_tokenizer_type") == "sentencepiece" and os.path.isdir(name)
            and not (Path(name) / str(config.get("spm_file") or "spiece.model")).is_file()):
        raise TokenizerLoadError(f"{name}: subword_tokenizer_type 'sentencepiece' needs the SentencePiece model "
                                 "spiece.model in the directory (BertJapaneseTokenizer's spm_file)")
    if config.get("do_word_tokenize", True):
        # a missing analyser / dictionary / binary -> TokenizerLoadError naming the install, before anything loads
        try:
            make_segmenter(config["word_tokenizer_type"], segmenter_kwargs(config), threads=0).check()
        except TokenizerLoadError as err:
            raise TokenizerLoadError(f"{name}: {err}") from err


def load_japanese_fast(name: str, config: dict[str, Any] | None = None, **kwargs: Any) -> BertJapaneseTokenizerFast:
    """BertJapaneseTokenizerFast for a BertJapaneseTokenizer directory, configured exactly as transformers would.

    The slow tokenizer is loaded once to read the directory (special tokens, added tokens, lengths ...) the
    way transformers reads it; the fast one is built from that and the slow one is dropped.
    """
    from transformers import BertJapaneseTokenizer

    config = _read_config(name) if config is None else config
    threads = kwargs.pop("mecab_threads", None)
    kwargs.update(dictionary_override(name, config, kwargs))  # a config silent on the dictionary: the model's own
    _check_japanese(name, {**config, **{k: kwargs[k] for k in _SETTINGS if k in kwargs}})
    kwargs = {**_local_files(name, config), **kwargs}
    try:
        slow = BertJapaneseTokenizer.from_pretrained(name, **kwargs)
    except (OSError, ValueError, TypeError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TokenizerLoadError(f"{name}: cannot load BertJapaneseTokenizer files ({reason})") from err
    fast = from_slow(slow, mecab_threads=threads)
    if os.path.isdir(name):
        _attach_fingerprint(fast, name)
    return fast


def _local_files(name: str, config: dict[str, Any]) -> dict[str, str]:
    """``spm_file`` / ``vocab_file`` named in tokenizer_config.json relative to the directory, as full paths.
    transformers 5.0 passes the config's relative name on instead of the file it resolved (and then cannot
    find ``spiece.model``); later releases resolve it. Passing the path works with both."""
    if not os.path.isdir(name):
        return {}
    files = {key: Path(name) / str(config[key]) for key in ("spm_file", "vocab_file") if config.get(key)}
    return {key: str(path) for key, path in files.items() if not os.path.isabs(config[key]) and path.is_file()}


def from_slow(slow: Any, mecab_threads: int | None = None) -> BertJapaneseTokenizerFast:
    """A BertJapaneseTokenizerFast with the vocabulary and settings of a loaded BertJapaneseTokenizer.

    `mecab_threads`: MeCab worker threads (None: $JBERT_MECAB_THREADS or one per core but one; 0: none).
    """
    init = {k: v for k, v in slow.init_kwargs.items() if k not in _SLOW_ONLY}
    sentencepiece = slow.subword_tokenizer_type == "sentencepiece"
    init.update(
        vocab=None if sentencepiece else dict(slow.vocab),
        spm_file=slow.spm_file if sentencepiece else None,
        **_shared_settings(slow),
        padding_side=slow.padding_side,
        truncation_side=slow.truncation_side,
        name_or_path=slow.name_or_path,
    )
    init.update({attr: getattr(slow, attr) for attr in _SPECIAL_TOKENS})
    return BertJapaneseTokenizerFast(**init, mecab_threads=mecab_threads)


def _shared_settings(tok: Any) -> dict[str, Any]:
    """The settings BertJapaneseTokenizer and BertJapaneseTokenizerFast share, read from either: what
    ``from_slow`` and ``save_portable`` carry across (in this order, the order they reach tokenizer_config.json)."""
    settings = {attr: getattr(tok, attr) for attr in _SHARED}
    return {**settings, "added_tokens_decoder": dict(tok.added_tokens_decoder), "model_max_length": tok.model_max_length}


def _attach_fingerprint(tok: BertJapaneseTokenizerFast, name: str) -> None:
    """Warn loudly if the recorded analyser differs from the installed one; expose what is used now."""
    from jbert.tokenization.fingerprint import check_fingerprint, compute_fingerprint, read_fingerprint

    check_fingerprint(name)
    tok.fingerprint = compute_fingerprint(name)
    # The record made when the vocabulary was built travels with every copy of the tokenizer, so a
    # dictionary change between training the tokenizer and fine-tuning stays visible downstream.
    tok.recorded_fingerprint = read_fingerprint(name)


def save_portable(tok: BertJapaneseTokenizerFast, save_directory: str | os.PathLike, *args: Any,
                  **kwargs: Any) -> tuple[str, ...]:
    """Save `tok` as a plain BertJapaneseTokenizer would (vocab.txt, tokenizer_config.json ...) + fingerprint."""
    from transformers import BertJapaneseTokenizer

    out = Path(save_directory)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        vocab_file = Path(tmp) / "vocab.txt"
        vocab = sorted(tok._base_vocab.items(), key=lambda kv: kv[1])
        vocab_file.write_text("".join(t + "\n" for t, _ in vocab), encoding="utf-8")
        init = {k: v for k, v in tok.init_kwargs.items() if k not in ("vocab", "vocab_file", "name_or_path")}
        init.update(
            vocab_file=None if tok.spm_file else str(vocab_file),
            spm_file=tok.spm_file,
            **_shared_settings(tok),
            # transformers 5's BertJapaneseTokenizer returns no token_type_ids unless told: without this,
            # a saved pair-task model would score differently in plain transformers.
            model_input_names=list(tok.model_input_names),
        )
        init.update({attr: getattr(tok, attr) for attr in _SPECIAL_TOKENS})
        slow = BertJapaneseTokenizer(**init)
        files = tuple(slow.save_pretrained(str(out), *args, **kwargs))
    from jbert.tokenization.fingerprint import write_fingerprint

    recorded = getattr(tok, "recorded_fingerprint", None)
    return files + (str(write_fingerprint(out, record=recorded)),)


class _FileFormat:
    """How `BertJapaneseTokenizerFast.save_pretrained` / ``from_pretrained`` write and read directories."""

    @staticmethod
    def save(tok: BertJapaneseTokenizerFast, save_directory: str | os.PathLike, *args: Any,
             **kwargs: Any) -> tuple[str, ...]:
        if tok.word_tokenizer_type == "sudachipy":  # chiTra: its own format, for sudachitra and jbert alike
            from jbert.tokenization.chitra_files import save_chitra

            return save_chitra(tok, save_directory)
        return save_portable(tok, save_directory, *args, **kwargs)

    load = staticmethod(load_japanese_fast)


BertJapaneseTokenizerFast.file_format = _FileFormat
