"""sentencepiece-unigram: NFKC, then a SentencePiece unigram model, saved as a fast ``tokenizer.json``.

Trained with ``sentencepiece`` (its unigram trainer is deterministic for a fixed thread count:
measured byte-identical models across processes and PYTHONHASHSEEDs with ``num_threads`` fixed,
but different models for 1 and 2 threads, so the thread count is an option with a fixed
default, never the machine's core count). The pieces and scores are then rebuilt as a
``tokenizers`` Unigram model with NFKC normalisation, so ``AutoTokenizer.from_pretrained(DIR)``
gives a fast tokenizer whose ``offset_mapping`` points into the original text, and a BERT-style
post-processor adds [CLS]/[SEP] and token_type_ids.

No dummy prefix: Japanese has no spaces between words, and a ``▁`` prepended to every text
would become a token of its own whose offsets cover the first character.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.tokenization.corpus import corpus_bytes, iter_texts
from jbert.tokenization.setups import (
    SETUPS,
    SPECIAL_TOKENS,
    TokenizerSetup,
    TrainResult,
    progress_bar,
    write_tokenizer_config,
)

# Longer lines are dropped by sentencepiece (default 4192 bytes, shorter than many paragraphs).
MAX_SENTENCE_BYTES = 1 << 16
_TOO_SMALL = re.compile(r"smaller than required_chars\. (\d+) vs (\d+)")

logger = logging.getLogger(__name__)


def write_training_text(
    corpus_paths: Sequence[str | os.PathLike[str]], dest: Path, field: str | None, lowercase: bool, progress: bool
) -> int:
    """Write the corpus NFKC-normalised (and lower-cased), one text a line, for sentencepiece to read."""
    n = 0
    with progress_bar(corpus_bytes(corpus_paths), "reading", "B", progress) as bar, dest.open(
        "w", encoding="utf-8"
    ) as out:
        for text in iter_texts(corpus_paths, field, on_bytes=bar.update):
            text = unicodedata.normalize("NFKC", text)
            text = " ".join(text.split())  # sentencepiece reads lines; runtime collapses whitespace too
            out.write((text.lower() if lowercase else text) + "\n")
            n += 1
    return n


def train_sentencepiece(text_file: Path, vocab_size: int, character_coverage: float, num_threads: int) -> bytes:
    """Train a unigram model; returns the serialized model. Specials get ids 0..4 in the Tohoku order."""
    import sentencepiece as spm

    pad, unk, *user = SPECIAL_TOKENS
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "spm")
            spm.SentencePieceTrainer.train(
                input=str(text_file),
                model_prefix=prefix,
                model_type="unigram",
                vocab_size=vocab_size,
                hard_vocab_limit=False,  # a small corpus gives fewer pieces instead of an error
                character_coverage=character_coverage,
                normalization_rule_name="identity",  # NFKC was applied when writing the text
                add_dummy_prefix=False,
                input_sentence_size=0,  # all sentences: no random sampling
                shuffle_input_sentence=False,
                max_sentence_length=MAX_SENTENCE_BYTES,
                num_threads=num_threads,
                pad_id=0,
                pad_piece=pad,
                unk_id=1,
                unk_piece=unk,
                bos_id=-1,
                eos_id=-1,
                user_defined_symbols=user,
                minloglevel=2,
            )
            return Path(prefix + ".model").read_bytes()
    except RuntimeError as err:
        raise _training_error(err, vocab_size) from None


def _training_error(err: RuntimeError, vocab_size: int) -> ConfigError:
    match = _TOO_SMALL.search(str(err))
    if match:
        need = int(match.group(2)) + len(SPECIAL_TOKENS)
        return ConfigError(
            f"vocab size {vocab_size} is too small: {len(SPECIAL_TOKENS)} special tokens + {match.group(2)} "
            f"characters need {need} (raise --vocab-size to at least {need}, or lower --character-coverage)"
        )
    return ConfigError(f"sentencepiece training failed: {str(err).splitlines()[0]}")


def build_fast_tokenizer(model: bytes, lowercase: bool) -> Any:
    """A ``tokenizers.Tokenizer`` with the model's pieces and scores, NFKC and a BERT post-processor."""
    import sentencepiece as spm
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = spm.SentencePieceProcessor(model_proto=model)
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp.unk_id(), byte_fallback=False))
    steps = [normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    tok.normalizer = normalizers.Sequence(steps + ([normalizers.Lowercase()] if lowercase else []))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    ids = {t: sp.piece_to_id(t) for t in SPECIAL_TOKENS}
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tok.add_special_tokens(list(SPECIAL_TOKENS))  # already in the vocab: ids stay 0..4
    return tok


def save_unigram(output_dir: Path, tokenizer: Any, lowercase: bool) -> None:
    """Write ``tokenizer.json`` and a ``tokenizer_config.json`` that AutoTokenizer loads as a fast tokenizer."""
    tokenizer.save(str(output_dir / "tokenizer.json"))
    write_tokenizer_config(output_dir, "PreTrainedTokenizerFast", lowercase)


@SETUPS.register("sentencepiece-unigram")
class SentencePieceUnigram(TokenizerSetup):
    """SentencePiece unigram over NFKC text; a fast tokenizer with offsets, BERT special tokens."""

    name = "sentencepiece-unigram"
    options = ("lowercase", "character_coverage", "num_threads")

    def train(
        self,
        corpus_paths: Sequence[str | os.PathLike[str]],
        vocab_size: int,
        output_dir: Path,
        *,
        field: str | None = None,
        lowercase: bool = False,
        character_coverage: float = 0.9995,
        num_threads: int = 1,
        progress: bool = True,
    ) -> TrainResult:
        """Train with sentencepiece on the normalised corpus and save a ``tokenizer.json``."""
        with tempfile.TemporaryDirectory() as tmp:
            text_file = Path(tmp) / "corpus.txt"
            lines = write_training_text(corpus_paths, text_file, field, lowercase, progress)
            model = train_sentencepiece(text_file, vocab_size, character_coverage, num_threads)
        tokenizer = build_fast_tokenizer(model, lowercase)
        save_unigram(output_dir, tokenizer, lowercase)
        if tokenizer.get_vocab_size() < vocab_size:  # hard_vocab_limit=False: a small corpus gives fewer pieces
            logger.warning("stopped at %d of the %d tokens asked for: the corpus (%d lines) has no more pieces "
                           "to give (add text or lower --vocab-size)", tokenizer.get_vocab_size(), vocab_size, lines)
        return TrainResult(output_dir, self.name, tokenizer.get_vocab_size(), {"lines": lines})
