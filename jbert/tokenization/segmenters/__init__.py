"""Word segmenters: Japanese text -> words, one registry (``WORD_SEGMENTERS``) keyed by
``word_tokenizer_type`` as in ``BertJapaneseTokenizer``.

``base`` (the interface, the registry, the options check), ``mecab`` (taggers resolved as transformers
resolves them) and ``mecab_threads`` (MeCab in worker threads that run beside Python), ``sudachi``,
``jumanpp``, ``chitra`` (chiTra's Sudachi set-up), ``presegment`` (Juman++ pre-segmentation for models
pre-trained on segmented text).

May import: ``jbert.tokenization.normalize``, ``jbert.tokenization.inputs`` and the shared leaves; never
the fast runtime (``jbert.tokenization.fast``) or the tools beside it, which build on this package.
"""

# Importing the implementations registers them; each imports its analyser lazily, so none is required here.
from jbert.tokenization.segmenters import chitra, jumanpp, mecab_threads, sudachi  # noqa: F401
from jbert.tokenization.segmenters.base import (
    SUBWORD_TYPES,
    WORD_SEGMENTERS,
    Words,
    WordSegmenter,
    is_word_segmenter,
    make_segmenter,
    segmenter_class,
    segmenter_kwargs,
    unsupported,
)

__all__ = [
    "SUBWORD_TYPES",
    "WORD_SEGMENTERS",
    "WordSegmenter",
    "Words",
    "is_word_segmenter",
    "make_segmenter",
    "segmenter_class",
    "segmenter_kwargs",
    "unsupported",
]
