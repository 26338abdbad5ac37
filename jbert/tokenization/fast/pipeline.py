"""The word + subword pipeline of a BertJapaneseTokenizer configuration, checked and built in one place.

`build_pipeline` takes BertJapaneseTokenizer's own settings (``word_tokenizer_type``, the ``*_kwargs``,
``subword_tokenizer_type``, ``do_word_tokenize``, ``do_subword_tokenize``, vocabulary or ``spm_file``) and
returns the vocabulary, the `Pretokenizer` (normalisation, segmenter, lower-casing) and the memoised subword
step, or raises a one-line TokenizerLoadError naming the option jbert cannot reproduce exactly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from transformers.models.bert_japanese.tokenization_bert_japanese import load_vocab

from jbert.errors import TokenizerLoadError
from jbert.tokenization.fast.pretokenize import Pretokenizer
from jbert.tokenization.fast.subwords import spm_vocab, subword_vocab
from jbert.tokenization.fast.wordpiece import WordPieceVocab
from jbert.tokenization.segmenters.base import (
    WholeTextSegmenter,
    make_segmenter,
    segmenter_class,
    subword_mode,
    unsupported,
)


@dataclass
class Pipeline:
    vocab: dict[str, int]  # token -> id (for SentencePiece, its pieces)
    pre: Pretokenizer
    subwords: WordPieceVocab


def build_pipeline(settings: dict[str, Any], vocab: dict[str, int] | None, vocab_file: str | None,
                   unk_token: str, threads: int | None = None) -> Pipeline:
    """`settings`: the BertJapaneseTokenizer arguments named in the module docstring, plus ``do_lower_case``."""
    word, subword = settings["word_tokenizer_type"], settings["subword_tokenizer_type"]
    do_word, do_subword = settings.get("do_word_tokenize", True), settings.get("do_subword_tokenize", True)
    problem = unsupported(settings)
    if problem:
        raise TokenizerLoadError(problem)
    spm_file = settings.get("spm_file")
    if subword == "sentencepiece":
        if not spm_file or not os.path.isfile(spm_file):
            raise TokenizerLoadError(f"SentencePiece model (spm_file) not found: {spm_file}")
        vocab = spm_vocab(spm_file)
    elif vocab is None:
        if vocab_file is None or not os.path.isfile(vocab_file):
            raise TokenizerLoadError(f"vocabulary file not found: {vocab_file}")
        vocab = load_vocab(vocab_file)
    if do_word:
        segmenter = make_segmenter(word, settings.get(segmenter_class(word).kwargs_name), threads)
    else:
        segmenter = WholeTextSegmenter()
    mode = subword_mode(subword, do_subword)
    # lower-casing belongs to the word tokenizer in BertJapaneseTokenizer: no word tokenizer, no lower-casing
    pre = Pretokenizer(segmenter, bool(settings.get("do_lower_case")) and do_word, mode)
    return Pipeline(dict(vocab), pre, subword_vocab(mode, dict(vocab), unk_token, spm_file))
