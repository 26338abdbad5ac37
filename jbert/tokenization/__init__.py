"""Japanese tokenization: every model tokenized exactly as it was pre-trained, with offsets.

``segmenters/`` (word segmenters: MeCab and its threaded runner, Sudachi, Juman++, chiTra, Juman++
pre-segmentation, one registry), ``fast/`` (the runtime that reproduces ``BertJapaneseTokenizer`` with
offsets into the original text), ``normalize`` and ``inputs`` (NFKC with alignment; what a call is
handed), and the tools beside them: ``loading`` (the one way jbert gets a tokenizer), ``doctor``,
``dictprobe`` / ``dictchoice`` (which MeCab dictionary), ``jumanpp_models`` (models pre-trained on
Juman++ words), ``fingerprint``, ``train`` and ``setups/`` (training tokenizers), ``rinna``,
``chitra_files``, ``corpus``.

May import: ``jbert.errors``, ``jbert.registry`` and ``jbert.writers`` only: tokenization sits below
every stage and head.

>>> from jbert.tokenization import load_tokenizer
>>> tok = load_tokenizer("path/to/model")  # doctest: +SKIP
"""

from jbert.tokenization.fast.tokenizer import BertJapaneseTokenizerFast
from jbert.tokenization.loading import load_tokenizer
from jbert.tokenization.normalize import normalize_with_alignment
from jbert.tokenization.segmenters.base import WORD_SEGMENTERS, WordSegmenter, make_segmenter
from jbert.tokenization.segmenters.mecab import dictionary_info, make_tagger, segment

__all__ = [
    "WORD_SEGMENTERS",
    "BertJapaneseTokenizerFast",
    "WordSegmenter",
    "dictionary_info",
    "load_tokenizer",
    "make_segmenter",
    "make_tagger",
    "normalize_with_alignment",
    "segment",
]
