"""mecab-wordpiece: NFKC, MeCab words (fugashi), WordPiece subwords; saved exactly like the Tohoku models.

The directory holds ``vocab.txt`` and a ``tokenizer_config.json`` naming ``BertJapaneseTokenizer``,
so ``AutoTokenizer.from_pretrained(DIR)`` works in plain ``transformers``. Training segments the
corpus the way that tokenizer segments at run time: NFKC, split off special tokens, MeCab with the
same dictionary, lower-case each word when asked.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.tokenization.corpus import corpus_bytes, iter_texts
from jbert.tokenization.segmenters.mecab import DICTIONARIES, make_tagger, segment
from jbert.tokenization.setups import (
    SETUPS,
    SPECIAL_TOKENS,
    TokenizerSetup,
    TrainResult,
    progress_bar,
    write_tokenizer_config,
)
from jbert.tokenization.setups.wordpiece_trainer import (
    Alphabet,
    minimum_vocab_size,
    select_alphabet,
    train_wordpiece,
)

logger = logging.getLogger(__name__)

# PreTrainedTokenizer cuts special tokens out of the text before MeCab sees it; so does training.
_SPECIALS_RE = re.compile("|".join(re.escape(t) for t in SPECIAL_TOKENS))


def count_words(
    corpus_paths: Sequence[str | os.PathLike[str]],
    mecab_kwargs: dict[str, Any],
    field: str | None = None,
    lowercase: bool = False,
    progress: bool = True,
) -> Counter[str]:
    """Count MeCab words over the corpus, normalised as ``BertJapaneseTokenizer`` normalises."""
    tagger = make_tagger(mecab_kwargs)
    counts: Counter[str] = Counter()
    with progress_bar(corpus_bytes(corpus_paths), "segmenting", "B", progress) as bar:
        for text in iter_texts(corpus_paths, field, on_bytes=bar.update):
            for chunk in _SPECIALS_RE.split(unicodedata.normalize("NFKC", text)):
                words = segment(tagger, chunk)
                counts.update([w.lower() for w in words] if lowercase else words)
    return counts


def check_vocab_size(vocab_size: int, alphabet: Alphabet) -> None:
    """A ConfigError with the fix when the specials plus the alphabet (both forms) do not fit."""
    need = minimum_vocab_size(len(SPECIAL_TOKENS), alphabet)
    if vocab_size >= need:
        return
    n = len(alphabet.chars)
    suggestion = max(1, (vocab_size - len(SPECIAL_TOKENS)) // 4)
    raise ConfigError(
        f"vocab size {vocab_size} is too small: {len(SPECIAL_TOKENS)} special tokens + {n} characters "
        f"in two forms (c and ##c) need {need} (raise --vocab-size to at least {need}, "
        f"or keep fewer characters with e.g. --limit-alphabet {suggestion})"
    )


def save_wordpiece(
    output_dir: Path, vocab: list[str], mecab_kwargs: dict[str, Any], lowercase: bool
) -> None:
    """Write ``vocab.txt`` (one token a line, id order) and a Tohoku-style ``tokenizer_config.json``."""
    (output_dir / "vocab.txt").write_text("".join(tok + "\n" for tok in vocab), encoding="utf-8")
    write_tokenizer_config(
        output_dir,
        "BertJapaneseTokenizer",
        lowercase,
        word_tokenizer_type="mecab",
        subword_tokenizer_type="wordpiece",
        mecab_kwargs=mecab_kwargs,
    )


@SETUPS.register("mecab-wordpiece")
class MecabWordPiece(TokenizerSetup):
    """MeCab + WordPiece, the cl-tohoku/bert-base-japanese format (BertJapaneseTokenizer)."""

    name = "mecab-wordpiece"
    options = ("dictionary", "lowercase", "min_frequency", "limit_alphabet", "character_coverage")

    def train(
        self,
        corpus_paths: Sequence[str | os.PathLike[str]],
        vocab_size: int,
        output_dir: Path,
        *,
        field: str | None = None,
        dictionary: str = "unidic_lite",
        lowercase: bool = False,
        min_frequency: int = 2,
        limit_alphabet: int | None = None,
        character_coverage: float = 0.9995,
        progress: bool = True,
    ) -> TrainResult:
        """Count MeCab words, learn a deterministic WordPiece vocabulary, save it Tohoku-style."""
        dictionary = dictionary.replace("-", "_")  # accept the pip spelling (unidic-lite) too
        if dictionary not in DICTIONARIES:
            raise ConfigError(f"unknown --dictionary {dictionary!r}; available: {', '.join(DICTIONARIES)}")
        mecab_kwargs = {"mecab_dic": dictionary}
        counts = count_words(corpus_paths, mecab_kwargs, field, lowercase, progress)
        alphabet = select_alphabet(counts, character_coverage, limit_alphabet)
        check_vocab_size(vocab_size, alphabet)
        with progress_bar(vocab_size - minimum_vocab_size(len(SPECIAL_TOKENS), alphabet), "merging", "merge",
                          progress) as bar:
            vocab = train_wordpiece(counts, vocab_size, SPECIAL_TOKENS, alphabet, min_frequency, bar.update)
        save_wordpiece(output_dir, vocab, mecab_kwargs, lowercase)
        details = {
            "words": len(counts),
            "characters": len(alphabet.chars),
            "character_coverage": round(alphabet.coverage, 6),
        }
        if len(vocab) < vocab_size:
            logger.warning("stopped at %d of the %d tokens asked for: no pair of symbols occurs %d+ times "
                           "(add text or lower --min-frequency)", len(vocab), vocab_size, min_frequency)
        return TrainResult(output_dir, self.name, len(vocab), details)
