"""Japanese tokenization: word segmenters (MeCab, Sudachi, Juman++), NFKC with alignment, jbert's fast tokenizer.

>>> from jbert.tokenization import load_tokenizer
>>> tok = load_tokenizer("path/to/model")  # doctest: +SKIP
"""

from jbert.tokenization.fast import BertJapaneseTokenizerFast
from jbert.tokenization.loading import load_tokenizer
from jbert.tokenization.mecab import dictionary_info, make_tagger, segment
from jbert.tokenization.normalize import normalize_with_alignment
from jbert.tokenization.parallel import encode_parallel
from jbert.tokenization.segmenters import WORD_SEGMENTERS, WordSegmenter, make_segmenter

__all__ = [
    "WORD_SEGMENTERS",
    "BertJapaneseTokenizerFast",
    "WordSegmenter",
    "dictionary_info",
    "encode_parallel",
    "load_tokenizer",
    "make_segmenter",
    "make_tagger",
    "normalize_with_alignment",
    "segment",
]
