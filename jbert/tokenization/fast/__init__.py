"""The encoding runtime: ``BertJapaneseTokenizer``'s ids, with offsets into the original text and word ids.

What it reproduces: every option combination of transformers' ``BertJapaneseTokenizer`` (MeCab, Sudachi,
Juman++ words; WordPiece, character and SentencePiece subwords; lower-casing, NFKC, added tokens, the
literal `` [SEP] `` of JSQuAD contexts) with identical ids, plus ``offset_mapping`` into the ORIGINAL text
(through NFKC) and ``word_ids``, and the truncation, stride, overflow and padding rules of Rust
``tokenizers``. That is what NER and QA with ``doc_stride`` need and what no peer gives Tohoku-style models.

Why it is written by hand: the obvious alternative, fugashi feeding ``BertTokenizerFast`` through a Python
pre-tokenizer, gives the same ids at about 1.7x ``BertJapaneseTokenizer``, because the Rust tokenizer's
per-word overhead exceeds MeCab's own on Japanese one- and two-character words. Here MeCab runs in worker
threads (``segmenters.mecab_threads``) while WordPiece and the offsets run over a whole chunk at once in
numpy: about 5x ``BertJapaneseTokenizer`` with true offsets (``make bench-tokenize``).

``pretokenize`` (what the slow tokenizer does before WordPiece, with the bookkeeping to map back),
``wordpiece`` (batch WordPiece), ``offsets`` (token spans in the original text), ``truncation`` and
``encoding`` (model rows), ``interned`` (shared output objects), ``subwords`` and ``pipeline`` (the
word + subword set-up of a configuration), ``tokenizer`` (the ``transformers`` class users get).

Guarded by: tests/tokenization/test_fast_parity.py and test_variants_parity.py (ids identical to
``BertJapaneseTokenizer`` on real JGLUE text for every option combination), test_offsets.py (property
tests: every token's span, normalised, spells the token), and the zoo tests (every model family).

May import: ``jbert.tokenization.segmenters``, ``normalize``, ``inputs`` and the shared leaves; the tools
beside it (``loading``, ``doctor``, ``fingerprint`` ...) build on it, never the reverse.
"""

from jbert.tokenization.fast.tokenizer import BertJapaneseTokenizerFast

__all__ = ["BertJapaneseTokenizerFast"]
