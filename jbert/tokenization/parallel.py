"""Tokenize a large batch on several cores: one tokenizer (and one MeCab tagger) per worker process.

>>> from jbert.tokenization import load_tokenizer
>>> from jbert.tokenization.parallel import encode_parallel
>>> tok = load_tokenizer("path/to/model")                                    # doctest: +SKIP
>>> enc = encode_parallel(tok, questions, contexts, num_proc=4, truncation="only_second",
...                       max_length=384, stride=128, return_overflowing_tokens=True,
...                       return_offsets_mapping=True, return_word_ids=True)  # doctest: +SKIP

The same works through `datasets`: the tokenizer pickles without its tagger, so
``dataset.map(lambda b: tok(b["text"], truncation=True), batched=True, num_proc=4)`` gives each worker its own.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from transformers.tokenization_utils_base import BatchEncoding

_WORKER: dict[str, Any] = {}


def _init(tokenizer: Any) -> None:
    if hasattr(tokenizer, "mecab_threads"):  # the processes already use the cores: no MeCab threads in them
        tokenizer.mecab_threads = 0
    _WORKER["tok"] = tokenizer


def _encode(texts: list[Any], pairs: list[Any] | None, kwargs: dict[str, Any], word_ids: bool) -> dict[str, Any]:
    enc = _WORKER["tok"](texts, pairs, **kwargs)
    data = dict(enc.data)
    if word_ids:
        n = len(data["input_ids"])
        data["word_ids"] = [enc.word_ids(i) for i in range(n)]
        data["sequence_ids"] = [enc.sequence_ids(i) for i in range(n)]
    return data


def encode_parallel(
    tokenizer: Any,
    texts: list[Any],
    text_pairs: list[Any] | None = None,
    num_proc: int | None = None,
    chunk_size: int = 1000,
    return_word_ids: bool = False,
    **kwargs: Any,
) -> BatchEncoding:
    """``tokenizer(texts, text_pairs, **kwargs)`` computed by `num_proc` worker processes, in order.

    The result holds the same lists as one call would (``overflow_to_sample_mapping`` re-based to the whole
    batch); padding belongs in the collator, so ``padding``/``return_tensors`` are refused. Encodings do not
    cross processes: ask for ``return_word_ids=True`` to get ``word_ids`` and ``sequence_ids`` columns.
    """
    if kwargs.get("padding") or kwargs.get("return_tensors"):
        raise ValueError("encode_parallel returns unpadded lists: pad in the collator (tokenizer.pad), not here")
    if text_pairs is not None and len(text_pairs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(text_pairs)} text pairs: they must pair up one to one")
    num_proc = num_proc or os.cpu_count() or 1
    chunks = [(i, min(i + chunk_size, len(texts))) for i in range(0, len(texts), chunk_size)]
    if num_proc <= 1 or len(chunks) <= 1:
        _WORKER["tok"] = tokenizer
        parts = [_encode(texts[a:b], text_pairs[a:b] if text_pairs else None, kwargs, return_word_ids)
                 for a, b in chunks]
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(num_proc, mp_context=context, initializer=_init, initargs=(tokenizer,)) as pool:
            futures = [pool.submit(_encode, texts[a:b], text_pairs[a:b] if text_pairs else None, kwargs,
                                   return_word_ids) for a, b in chunks]
            parts = [f.result() for f in futures]
    return BatchEncoding(_merge(parts, [a for a, _ in chunks]))


def _merge(parts: list[dict[str, Any]], starts: list[int]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for part, start in zip(parts, starts, strict=True):
        for key, values in part.items():
            if key == "overflow_to_sample_mapping":
                values = [start + v for v in values]
            merged.setdefault(key, []).extend(values)
    return merged
