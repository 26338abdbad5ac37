"""The chiTra family of the zoo matrix: a directory in sudachitra's format and its pre-training tokenizer.

``chitra`` copies WorksApplications' chiTra-1.1 as its pre-training README builds it: BertForPreTraining,
``BertSudachipyTokenizer`` over Sudachi split mode C (core dictionary) on NFKC text, each morpheme as its
``normalized_nouns`` word form, WordPiece. ``ChitraReference`` is sudachitra's algorithm written out for
the test (its own normalisers and WordPiece from ``tokenizers``, Sudachi word forms in a Python
pre-tokenizer), loaded from a directory's vocab.txt and tokenizer_config.json: the pre-training tokenizer,
and what a sudachitra user gets from a jbert output. tests/tokenization/test_chitra.py ties the same
algorithm to sudachitra's recorded output.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from zoo_hub import SPECIALS, bert_config, corpus, japanese_dir

CHITRA_1_1 = {"tokenizer_class": "BertSudachipyTokenizer", "do_lower_case": False, "do_nfkc": True,
              "do_word_tokenize": True, "do_subword_tokenize": True, "word_tokenizer_type": "sudachipy",
              "subword_tokenizer_type": "wordpiece", "word_form_type": "normalized_nouns",
              "sudachipy_kwargs": {"split_mode": "C", "dict_type": "core"}, "model_max_length": 512}


def _sudachi() -> Any:
    pytest.importorskip("sudachidict_core")  # in the dev extra, with sudachipy
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").create(SplitMode.C)


def _form(m: Any) -> str:  # normalized_nouns: the normalised form where there is no conjugation form
    return m.normalized_form() if m.part_of_speech()[5] == "*" else m.surface()


def chitra(out: Path) -> None:
    """WorksApplications chiTra-1.1 (see the module docstring)."""
    from tokenizers.normalizers import NFKC

    sudachi = _sudachi()
    words = Counter(_form(m) for line in corpus() for m in sudachi.tokenize(NFKC().normalize_str(line)))
    chars = sorted({c for w in words for c in w if not c.isspace()})
    vocab = SPECIALS + chars + ["##" + c for c in chars]
    vocab += [w for w, _ in words.most_common() if len(w) > 1 and w.strip() and w not in set(vocab)][:1500]
    japanese_dir(out, vocab, CHITRA_1_1, bert_config("BertForPreTraining", 0))


class _WordForms:
    """A ``tokenizers`` pre-tokenizer: Sudachi morphemes of the normalised text, each replaced by its word form."""

    def __init__(self) -> None:
        self.sudachi = _sudachi()

    def split(self, _: int, text: Any) -> list[Any]:
        pieces = []
        for m in self.sudachi.tokenize(str(text)):
            piece = text[m.begin():m.end()]
            form = _form(m)
            if form != m.surface():
                piece.replace(m.surface(), form)
            pieces.append(piece)
        return pieces

    def pre_tokenize(self, pretok: Any) -> None:
        pretok.split(self.split)


def ChitraReference(path: Path) -> Any:  # noqa: N802 - a tokenizer factory, named as the others
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert {k: config[k] for k in CHITRA_1_1 if k != "model_max_length"} == {
        k: v for k, v in CHITRA_1_1.items() if k != "model_max_length"}, "the directory lost chiTra's options"
    vocab = {line.split("\t")[0]: i for i, line in enumerate((path / "vocab.txt").read_text(encoding="utf-8")
                                                            .splitlines())}
    backend = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    backend.normalizer = normalizers.Sequence([normalizers.NFKC()])  # do_nfkc (no strip, no lower-case)
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                                  cls_token="[CLS]", mask_token="[MASK]", model_max_length=512,
                                  model_input_names=["input_ids", "token_type_ids", "attention_mask"])
    # attached after construction: transformers copies tokenizer_object, and a Python pre-tokenizer cannot be
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.PreTokenizer.custom(_WordForms()), pre_tokenizers.WhitespaceSplit()])
    return tok
