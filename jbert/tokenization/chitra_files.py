"""chiTra tokenizer directories (sudachitra's format: vocab.txt + tokenizer_config.json) in and out.

`load_chitra` builds jbert's `BertJapaneseTokenizerFast` for a ``BertSudachipyTokenizer`` directory (or
refuses, in one line naming the option, what it cannot reproduce exactly); `save_chitra` writes the
directory back in sudachitra's own format, so ``BertSudachipyTokenizer.from_pretrained`` and jbert both
load a fine-tuned chiTra model as it was pre-trained.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.chitra import (
    NORMALIZER_OPTIONS,
    SUDACHIPY_KWARGS,
    segmenter_options,
    unsupported,
)

_SPECIALS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
             "mask_token": "[MASK]"}


def read_vocab(path: str) -> OrderedDict[str, int]:
    """sudachitra's load_vocabulary: one token a line, anything after a tab ignored."""
    vocab: OrderedDict[str, int] = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for index, line in enumerate(f.readlines()):
            vocab[line.rstrip("\n").split("\t")[0]] = index
    return vocab


def load_chitra(name: str, config: dict[str, Any], mecab_threads: int | None = None) -> Any:
    from transformers.utils import cached_file

    from jbert.tokenization.fast.tokenizer import BertJapaneseTokenizerFast

    problem = unsupported(config)
    if problem:
        raise TokenizerLoadError(f"{name}: {config.get('tokenizer_class')} (chiTra, sudachitra): {problem}")
    try:
        vocab_file = cached_file(name, "vocab.txt")
    except OSError as err:
        raise TokenizerLoadError(f"{name}: chiTra's tokenizer needs its vocab.txt ({err})") from err
    specials = {k: _content(config.get(k, default)) for k, default in _SPECIALS.items()}
    tok = BertJapaneseTokenizerFast(
        vocab=read_vocab(vocab_file), do_lower_case=False,  # lower-casing is the segmenter's, before Sudachi
        word_tokenizer_type="sudachipy", subword_tokenizer_type="wordpiece",
        sudachipy_kwargs=segmenter_options(config), **specials, mecab_threads=mecab_threads,
        model_max_length=config.get("model_max_length") or 512, name_or_path=name,
        **({"model_input_names": config["model_input_names"]} if config.get("model_input_names") else {}))
    tok.init_kwargs["tokenizer_class"] = config.get("tokenizer_class")
    tok._pre.segmenter.check()  # a missing sudachipy / dictionary: one line now, not at the first text
    if os.path.isdir(name):
        from jbert.tokenization.fingerprint import compute_fingerprint, read_fingerprint

        tok.fingerprint, tok.recorded_fingerprint = compute_fingerprint(name), read_fingerprint(name)
    return tok


def _content(token: Any) -> str:
    return str(token.get("content")) if isinstance(token, dict) else str(token)


def save_chitra(tok: Any, save_directory: str | os.PathLike) -> tuple[str, ...]:
    """vocab.txt + tokenizer_config.json as sudachitra writes them (its options unfolded) + fingerprint."""
    from jbert.tokenization.fingerprint import write_fingerprint

    out = Path(save_directory)
    out.mkdir(parents=True, exist_ok=True)
    vocab = sorted(tok._base_vocab.items(), key=lambda kv: kv[1])
    (out / "vocab.txt").write_text("".join(t + "\n" for t, _ in vocab), encoding="utf-8")
    options = dict(tok.sudachipy_kwargs or {})
    config = {
        "tokenizer_class": tok.init_kwargs.get("tokenizer_class") or "BertSudachipyTokenizer",
        **{k: bool(options.get(k, False)) for k in NORMALIZER_OPTIONS},
        "do_word_tokenize": True, "do_subword_tokenize": True, "word_tokenizer_type": "sudachipy",
        "subword_tokenizer_type": "wordpiece", "word_form_type": options.get("word_form_type", "surface"),
        "sudachipy_kwargs": {k: options[k] for k in SUDACHIPY_KWARGS if k in options},
        **{k: str(getattr(tok, k)) for k in _SPECIALS},
        "model_max_length": tok.model_max_length, "model_input_names": list(tok.model_input_names),
    }
    files = [out / "vocab.txt", out / "tokenizer_config.json", out / "special_tokens_map.json"]
    files[1].write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files[2].write_text(json.dumps({k: config[k] for k in _SPECIALS}, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    recorded = getattr(tok, "recorded_fingerprint", None)
    return (*map(str, files), str(write_fingerprint(out, record=recorded)))
