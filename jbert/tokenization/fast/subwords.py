"""The subword step after word segmentation, one memoised vocabulary class per kind.

`engine.WordPieceVocab` is WordPiece (and, with no length limit, CharacterTokenizer over one-character
words). Here: `WholeWordVocab` for ``do_subword_tokenize: false`` (each word looked up whole, as
BertJapaneseTokenizer does then) and `SentencePieceVocab` for ``subword_tokenizer_type: sentencepiece``
(LINE DistilBERT style: MeCab words, each encoded by SentencePiece). The pieces of SentencePiece come from
transformers' own `SentencepieceTokenizer` (its pre-processing and digit-comma re-split included), so the ids
are the reference's by construction; jbert adds only each piece's character span within its word.
"""

from __future__ import annotations

from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.fast.wordpiece import WordPieceVocab

SPIECE_UNDERLINE = "\u2581"


class WholeWordVocab(WordPieceVocab):
    """Each word is one token: its vocabulary id, else [UNK] (no length limit)."""

    def __init__(self, vocab: dict[str, int], unk_token: str):
        super().__init__(vocab, unk_token, max_input_chars_per_word=1 << 30)

    def _longest_match(self, word: str) -> list[tuple[int, int, int]]:
        return [(self.vocab.get(word, self.unk_id), 0, len(word))]


class SentencePieceVocab(WordPieceVocab):
    """BertJapaneseTokenizer's SentencepieceTokenizer over each word, with piece spans within the word."""

    def __init__(self, spm_file: str, unk_token: str):
        from transformers.models.bert_japanese.tokenization_bert_japanese import SentencepieceTokenizer

        try:
            self.spm = SentencepieceTokenizer(vocab=spm_file, unk_token=unk_token)
        except (OSError, RuntimeError, TypeError) as err:
            raise TokenizerLoadError(f"cannot read the SentencePiece model {spm_file}: {err}") from err
        sp = self.spm.sp_model
        super().__init__({sp.IdToPiece(i): i for i in range(len(sp))}, unk_token, max_input_chars_per_word=1 << 30)
        if self.unk_id < 0:
            self.unk_id = sp.PieceToId(unk_token)  # what the slow tokenizer's convert_tokens_to_ids gives

    def _reset(self) -> None:
        super()._reset()
        self.codes = {}  # a word is never its own piece here: "東京" encodes as "▁東京"

    def set_literals(self, literals: dict[str, int]) -> None:
        super().set_literals(literals)
        self._reset()  # pieces equal to an added token take its id: what was learned may have changed

    def _longest_match(self, word: str) -> list[tuple[int, int, int]]:
        pieces = self.spm.tokenize(word)
        ids = [self.literals[p] if p in self.literals else self.spm.sp_model.PieceToId(p) for p in pieces]
        out, cursor = [], 0
        for piece, piece_id in zip(pieces, ids, strict=True):
            text = piece.replace(SPIECE_UNDERLINE, "")
            if not word.startswith(text, cursor):  # SentencePiece rewrote the word: every piece spans it all
                return [(i, 0, len(word)) for i in ids]
            out.append((piece_id, cursor, cursor + len(text)))
            cursor += len(text)
        return out


def subword_vocab(mode: str, vocab: dict[str, int] | None, unk_token: str, spm_file: str | None = None
                  ) -> WordPieceVocab:
    """The memoised subword step for a `Pretokenizer` mode (wordpiece, character, whole, sentencepiece)."""
    if mode == "sentencepiece":
        if not spm_file:
            raise TokenizerLoadError("subword_tokenizer_type 'sentencepiece' needs spm_file (spiece.model)")
        return SentencePieceVocab(spm_file, unk_token)
    assert vocab is not None
    if mode == "whole":
        return WholeWordVocab(vocab, unk_token)
    return WordPieceVocab(vocab, unk_token, 100 if mode == "wordpiece" else 1 << 30)


def spm_vocab(spm_file: str) -> dict[str, Any]:
    """piece -> id of a SentencePiece model (the vocabulary BertJapaneseTokenizer exposes for it)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=spm_file)
    return {sp.IdToPiece(i): i for i in range(len(sp))}
