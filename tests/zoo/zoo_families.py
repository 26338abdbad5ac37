"""The families of the model zoo matrix: one builder per hub repository it mimics (see zoo_hub)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from zoo_chitra import ChitraReference, chitra
from zoo_hub import (
    TINY,
    Family,
    auto_reference,
    bert_config,
    char_vocab,
    corpus,
    fast_tokenizer_json,
    japanese_dir,
    japanese_reference,
    mecab_words,
    save_model,
    sudachi_words,
    train_spm,
    wordpiece_vocab,
    write_json,
)

JAPANESE = {"tokenizer_class": "BertJapaneseTokenizer"}
UNIDIC_LITE = {"mecab_kwargs": {"mecab_dic": "unidic_lite"}}


def tohoku_v1(out: Path) -> None:
    """cl-tohoku/bert-base-japanese: pre-trained on MeCab + ipadic, but its files do not say so."""
    tokenizer_config = {"do_lower_case": False, "subword_tokenizer_type": "wordpiece",
                        "word_tokenizer_type": "mecab", "model_max_length": 512}
    japanese_dir(out, wordpiece_vocab(mecab_words("ipadic")), tokenizer_config,
                 bert_config("BertForMaskedLM", 0, **JAPANESE))


def tohoku_v3(out: Path) -> None:
    """cl-tohoku/bert-base-japanese-v3: MeCab + unidic_lite + WordPiece, named in tokenizer_config."""
    tokenizer_config = {**JAPANESE, "model_max_length": 512, "do_lower_case": False, "word_tokenizer_type": "mecab",
                        "subword_tokenizer_type": "wordpiece", **UNIDIC_LITE}
    japanese_dir(out, wordpiece_vocab(mecab_words("unidic_lite")), tokenizer_config,
                 bert_config("BertForPreTraining", 0))


def tohoku_char_v3(out: Path) -> None:
    """cl-tohoku/bert-base-japanese-char-v3: MeCab words split into characters."""
    tokenizer_config = {**JAPANESE, "model_max_length": 512, "do_lower_case": False, "word_tokenizer_type": "mecab",
                        "subword_tokenizer_type": "character", **UNIDIC_LITE}
    japanese_dir(out, char_vocab(), tokenizer_config, bert_config("BertForPreTraining", 0))


def _distilbert_config(vocab_size: int, pad: int, **extra: object) -> dict:
    return {"activation": "gelu", "architectures": ["DistilBertForMaskedLM"], "attention_dropout": 0.1, "dim": 32,
            "dropout": 0.1, "hidden_dim": 64, "initializer_range": 0.02, "max_position_embeddings": 512,
            "model_type": "distilbert", "n_heads": 2, "n_layers": 2, "pad_token_id": pad, "qa_dropout": 0.1,
            "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False, "tie_weights_": True,
            "vocab_size": vocab_size, **extra}


def distilbert_wordpiece(out: Path) -> None:
    """A DistilBERT distilled from a Tohoku BERT (bandainamco-mirai/distilbert-base-japanese style)."""
    tokenizer_config = {**JAPANESE, "do_lower_case": False, "word_tokenizer_type": "mecab",
                        "subword_tokenizer_type": "wordpiece", **UNIDIC_LITE, "model_max_length": 512}
    japanese_dir(out, wordpiece_vocab(mecab_words("unidic_lite")), tokenizer_config,
                 _distilbert_config(0, 0, **JAPANESE))


def line_distilbert(out: Path) -> None:
    """line-corporation/line-distilbert-base-japanese: MeCab (unidic_lite) words, then SentencePiece."""
    split = mecab_words("unidic_lite")
    size = train_spm(out / "spiece.model", (" ".join(split(t)) for t in corpus()), pad_id=0, pad_piece="<pad>",
                     unk_id=1, bos_id=-1, eos_id=-1, user_defined_symbols=["[CLS]", "[SEP]", "[MASK]"])
    write_json(out / "tokenizer_config.json", {
        **JAPANESE, "do_lower_case": True, "word_tokenizer_type": "mecab", "subword_tokenizer_type": "sentencepiece",
        **UNIDIC_LITE, "spm_file": "spiece.model", "unk_token": "<unk>", "pad_token": "<pad>", "cls_token": "[CLS]",
        "sep_token": "[SEP]", "mask_token": "[MASK]", "bos_token": "[CLS]", "eos_token": "[SEP]",
        "keep_accents": True, "remove_space": True, "model_max_length": 512})
    save_model(out, _distilbert_config(size, 0))


def waseda_roberta(out: Path) -> None:
    """nlp-waseda/roberta-base-japanese: AlbertTokenizer (SentencePiece), 512 positions with pad id 0,
    so RoBERTa's position offset leaves 511 tokens."""
    size = train_spm(out / "spiece.model", corpus(), pad_id=0, pad_piece="[PAD]", unk_id=1, unk_piece="[UNK]",
                     bos_id=2, bos_piece="[CLS]", eos_id=3, eos_piece="[SEP]", user_defined_symbols=["[MASK]"])
    write_json(out / "tokenizer_config.json", {
        "do_lower_case": False, "remove_space": True, "keep_accents": True, "bos_token": "[CLS]", "eos_token": "[SEP]",
        "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
        "mask_token": {"content": "[MASK]", "single_word": False, "lstrip": True, "rstrip": False,
                       "normalized": True, "__type": "AddedToken"},
        "sp_model_kwargs": {}, "special_tokens_map_file": None, "tokenizer_class": "AlbertTokenizer"})
    save_model(out, {**bert_config("RobertaForMaskedLM", size), "model_type": "roberta", "bos_token_id": 2,
                     "eos_token_id": 3, "position_embedding_type": "absolute", "classifier_dropout": None})


def roberta_mecab_wordpiece(out: Path) -> None:
    """A RoBERTa (one token type, positions offset by the pad id) on a Tohoku-style MeCab + WordPiece
    vocabulary."""
    tokenizer_config = {**JAPANESE, "do_lower_case": False, "word_tokenizer_type": "mecab",
                        "subword_tokenizer_type": "wordpiece", **UNIDIC_LITE, "model_max_length": 512}
    config = {**bert_config("RobertaForMaskedLM", 0, **JAPANESE), "model_type": "roberta", "bos_token_id": 2,
              "eos_token_id": 3, "max_position_embeddings": 514, "type_vocab_size": 1}
    japanese_dir(out, wordpiece_vocab(mecab_words("unidic_lite")), tokenizer_config, config)


def kunlp_deberta_v2(out: Path) -> None:
    """ku-nlp/deberta-v2-base-japanese: DebertaV2Tokenizer (spm.model + tokenizer.json), relative
    attention only (no absolute positions), no token types; its attention has no SDPA path."""
    size = train_spm(out / "spm.model", corpus(), pad_id=0, pad_piece="[PAD]", unk_id=1, unk_piece="[UNK]",
                     bos_id=2, bos_piece="[CLS]", eos_id=3, eos_piece="[SEP]", user_defined_symbols=["[MASK]"])
    write_json(out / "tokenizer_config.json", {
        "bos_token": "[CLS]", "cls_token": "[CLS]", "do_lower_case": False, "eos_token": "[SEP]",
        "keep_accents": True, "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]",
        "sp_model_kwargs": {}, "split_by_punct": False, "tokenizer_class": "DebertaV2Tokenizer", "unk_token": "[UNK]"})
    fast_tokenizer_json(out)
    save_model(out, {
        "architectures": ["DebertaV2ForMaskedLM"], "attention_head_size": 16, "attention_probs_dropout_prob": 0.1,
        "conv_act": "gelu", "conv_kernel_size": 3, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, **TINY,
        "initializer_range": 0.02, "layer_norm_eps": 1e-07, "max_position_embeddings": 512,
        "max_relative_positions": -1, "model_type": "deberta-v2", "norm_rel_ebd": "layer_norm", "pad_token_id": 0,
        "pooler_dropout": 0, "pooler_hidden_act": "gelu", "pooler_hidden_size": 32, "pos_att_type": ["p2c", "c2p"],
        "position_biased_input": False, "position_buckets": 256, "relative_attention": True, "share_att_key": True,
        "type_vocab_size": 0, "vocab_size": size})


def izumi_electra(out: Path) -> None:
    """izumi-lab/electra-base-japanese-discriminator: ELECTRA (embedding projection) with a Tohoku-style
    tokenizer on MeCab + ipadic, named explicitly."""
    tokenizer_config = {**JAPANESE, "do_lower_case": False, "word_tokenizer_type": "mecab",
                        "subword_tokenizer_type": "wordpiece", "mecab_kwargs": {"mecab_dic": "ipadic"}}
    config = {**bert_config("ElectraForPreTraining", 0, **JAPANESE), "model_type": "electra", "embedding_size": 16,
              "summary_activation": "gelu", "summary_last_dropout": 0.1, "summary_type": "first",
              "summary_use_proj": True, "position_embedding_type": "absolute"}
    japanese_dir(out, wordpiece_vocab(mecab_words("ipadic")), tokenizer_config, config)


def xlm_roberta(out: Path) -> None:
    """xlm-roberta-base: XLMRobertaTokenizer (sentencepiece.bpe.model + tokenizer.json, fairseq id offset)."""
    size = train_spm(out / "sentencepiece.bpe.model", corpus(), unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    write_json(out / "tokenizer_config.json", {"model_max_length": 512})
    # fairseq ids: <s> <pad> </s> <unk>, then the SentencePiece pieces shifted by one, <mask> last
    config = {**bert_config("XLMRobertaForMaskedLM", size + 2), "model_type": "xlm-roberta", "bos_token_id": 0,
              "eos_token_id": 2, "pad_token_id": 1, "max_position_embeddings": 514, "type_vocab_size": 1,
              "layer_norm_eps": 1e-05, "output_past": True, "position_embedding_type": "absolute"}
    write_json(out / "config.json", config)  # AutoTokenizer finds XLMRobertaTokenizer through model_type
    fast_tokenizer_json(out)
    save_model(out, config)


def sbintuitions_modernbert(out: Path) -> None:
    """sbintuitions/modernbert-ja-130m: LlamaTokenizer (SentencePiece, <s> ... </s>), RoPE, no token types."""
    size = train_spm(out / "tokenizer.model", corpus(), unk_id=0, bos_id=1, eos_id=2, pad_id=3, pad_piece="<pad>",
                     user_defined_symbols=["<sep>", "<mask>", "<cls>"])
    write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "add_eos_token": True, "bos_token": "<s>",
        "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "sep_token": "<sep>",
        "mask_token": "<mask>", "cls_token": "<cls>", "legacy": False, "model_max_length": 8192,
        "padding_side": "right", "sp_model_kwargs": {}, "clean_up_tokenization_spaces": False,
        "spaces_between_special_tokens": False})
    fast_tokenizer_json(out)
    save_model(out, {
        "architectures": ["ModernBertForMaskedLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 1, "classifier_activation": "gelu", "classifier_bias": False, "classifier_dropout": 0.0,
        "classifier_pooling": "cls", "cls_token_id": 6, "decoder_bias": True, "deterministic_flash_attn": False,
        "embedding_dropout": 0.0, "eos_token_id": 2, "global_attn_every_n_layers": 3, "global_rope_theta": 160000.0,
        "hidden_activation": "gelu", "hidden_size": 32, "initializer_cutoff_factor": 2.0, "initializer_range": 0.02,
        "intermediate_size": 64, "layer_norm_eps": 1e-05, "local_attention": 128, "local_rope_theta": 10000.0,
        "max_position_embeddings": 8192, "mlp_bias": False, "mlp_dropout": 0.0, "model_type": "modernbert",
        "norm_bias": False, "norm_eps": 1e-05, "num_attention_heads": 2, "num_hidden_layers": 2, "pad_token_id": 3,
        "position_embedding_type": "rope", "sep_token_id": 4, "sparse_pred_ignore_index": -100,
        "sparse_prediction": False, "vocab_size": size})


def rinna_roberta(out: Path) -> None:
    """rinna/japanese-roberta-base: RobertaForMaskedLM with a T5Tokenizer over a lower-case SentencePiece
    model (<unk> 0, <s> 1, </s> 2, [PAD] 3, [CLS] 4, [SEP] 5, [MASK] 6, as its google_sp.vocab), 514
    positions with pad id 3, and ``do_lower_case`` in tokenizer_config.json that T5Tokenizer ignores."""
    size = train_spm(out / "spiece.model", (t.lower() for t in corpus()), unk_id=0, unk_piece="<unk>", bos_id=1,
                     bos_piece="<s>", eos_id=2, eos_piece="</s>", pad_id=3, pad_piece="[PAD]",
                     user_defined_symbols=["[CLS]", "[SEP]", "[MASK]"])
    write_json(out / "tokenizer_config.json", {
        "do_lower_case": True, "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "[PAD]", "bos_token": "<s>",
        "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[MASK]", "extra_ids": 0,
        "additional_special_tokens": [], "sp_model_kwargs": {}, "tokenizer_class": "T5Tokenizer"})
    save_model(out, {**bert_config("RobertaForMaskedLM", size), "model_type": "roberta", "bos_token_id": 1,
                     "eos_token_id": 2, "pad_token_id": 3, "max_position_embeddings": 514, "layer_norm_eps": 1e-05,
                     "position_embedding_type": "absolute"})


class RinnaReference:
    """The model card's tokenizer: special tokens kept, the rest lower-cased and cut by SentencePiece (the
    slow T5Tokenizer), ``[CLS]`` put first by hand; a pair is ``[CLS] A B`` (rinna's RobertaJapaneseTokenizer)."""

    SPECIALS = re.compile(r"(\[CLS\]|\[SEP\]|\[MASK\])")

    def __init__(self, path: Path):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(path / "spiece.model"))

    def pieces(self, text: str) -> list[int]:
        parts = self.SPECIALS.split(text)
        return [i for p in parts if p.strip() for i in
                ([self.sp.piece_to_id(p)] if self.SPECIALS.fullmatch(p) else self.sp.encode(p.lower()))]

    def __call__(self, text: str, pair: str | None = None, truncation: Any = True, max_length: int = 512,
                 **_: Any) -> dict[str, list[int]]:
        a, b = self.pieces(text), self.pieces(pair) if pair is not None else []
        budget = max_length - 1  # [CLS]
        if truncation == "only_second":
            b = b[: max(budget - len(a), 0)]
        while len(a) + len(b) > budget:  # longest_first
            (a if len(a) > len(b) else b).pop()
        return {"input_ids": [self.sp.piece_to_id("[CLS]"), *a, *b]}


def sudachi_bert(out: Path) -> None:
    """A BERT on Sudachi (core dictionary, split mode C) + WordPiece, in BertJapaneseTokenizer's own
    format (word_tokenizer_type sudachi), as transformers loads it."""
    tokenizer_config = {**JAPANESE, "do_lower_case": False, "word_tokenizer_type": "sudachi",
                        "subword_tokenizer_type": "wordpiece", "model_max_length": 512,
                        "sudachi_kwargs": {"sudachi_split_mode": "C", "sudachi_dict_type": "core"}}
    japanese_dir(out, wordpiece_vocab(sudachi_words("C")), tokenizer_config, bert_config("BertForMaskedLM", 0))


FAMILIES = {f.name: f for f in [
    Family("bert-v1-ipadic", "cl-tohoku/bert-base-japanese", tohoku_v1,
           japanese_reference(mecab_kwargs={"mecab_dic": "ipadic"})),
    Family("bert-v3", "cl-tohoku/bert-base-japanese-v3", tohoku_v3, japanese_reference()),
    Family("bert-char-v3", "cl-tohoku/bert-base-japanese-char-v3", tohoku_char_v3, japanese_reference()),
    Family("distilbert-wordpiece", "bandainamco-mirai/distilbert-base-japanese", distilbert_wordpiece,
           japanese_reference()),
    Family("distilbert-mecab-spm", "line-corporation/line-distilbert-base-japanese", line_distilbert,
           japanese_reference()),
    Family("roberta-spm", "nlp-waseda/roberta-base-japanese", waseda_roberta, auto_reference),
    Family("roberta-mecab-wordpiece", "RoBERTa on a Tohoku vocabulary", roberta_mecab_wordpiece,
           japanese_reference()),
    Family("deberta-v2", "ku-nlp/deberta-v2-base-japanese", kunlp_deberta_v2, auto_reference),
    Family("electra", "izumi-lab/electra-base-japanese-discriminator", izumi_electra, japanese_reference()),
    Family("xlm-roberta", "xlm-roberta-base", xlm_roberta, auto_reference),
    Family("modernbert", "sbintuitions/modernbert-ja-130m", sbintuitions_modernbert, auto_reference),
    Family("rinna-roberta", "rinna/japanese-roberta-base", rinna_roberta, RinnaReference, positions_from_zero=True),
    Family("chitra", "WorksApplications chiTra-1.1 (sudachitra's BertSudachipyTokenizer)", chitra, ChitraReference,
           plain=ChitraReference),
    Family("bert-sudachi", "BertJapaneseTokenizer with word_tokenizer_type sudachi", sudachi_bert,
           japanese_reference()),
]}
