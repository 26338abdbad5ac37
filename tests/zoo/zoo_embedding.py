"""Hub-like sentence-transformers bi-encoders and cross-encoders, written by the test (no hub here).

Each builder lays a directory out as the repository it names does: the transformer at the top level
(``config.json`` with the bare ``*Model`` or ``*ForSequenceClassification`` architecture, the
tokenizer's own files), and for a bi-encoder the module files as the sentence-transformers release
that made it wrote them: ``modules.json`` with the ``sentence_transformers.models.*`` type names,
``1_Pooling/config.json`` with the one-boolean-per-mode keys, ``sentence_bert_config.json``,
``config_sentence_transformers.json`` with its ``__version__`` and (from 3.x) its prompts. A
``Normalize`` module has no folder: it saves nothing, and git keeps no empty folder, so a download
has none. A cross-encoder is a bare 1-label sequence classifier; its activation, when it names one,
is in ``config.json`` (``sbert_ce_default_activation_function`` before sentence-transformers 4,
``sentence_transformers.activation_fn`` since). Sizes are tiny and the weights random; the encoder
families (vocabularies, tokenizer files) are ``zoo_families``'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo_families import sbintuitions_modernbert, tohoku_v3, xlm_roberta
from zoo_hub import save_model, write_json

LEGACY_POOLING = ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")
BERT_SPECIALS = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]",
                 "unk_token": "[UNK]"}


@dataclass(frozen=True)
class BiEncoder:
    name: str
    mimics: str
    build: Callable[[Path], None]
    prompts: dict[str, str] = field(default_factory=dict)  # sentence-transformers' prompt name -> prefix
    normalize: bool = False
    max_seq_length: int = 512

    def prompt_name(self, role: str) -> str | None:
        """The sentence-transformers prompt ``jbert embed --as ROLE`` must equal (None: no prompt)."""
        names = ("query",) if role == "query" else ("document", "passage", "corpus")
        return next((n for n in names if n in self.prompts), None)


@dataclass(frozen=True)
class CrossEncoderShape:
    name: str
    mimics: str
    build: Callable[[Path], None]
    logits: bool = False  # its activation is Identity: CrossEncoder.predict gives the raw logit


# --- the transformer: an encoder family's files with the architecture the hub repository names ---------------


def _rearchitect(out: Path, architecture: str, **extra: Any) -> None:
    """The family's config.json and random weights, saved again as ``architecture`` (``BertModel``,
    ``BertForSequenceClassification`` ...): what a fine-tuned repository holds."""
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config = {**config, "architectures": [architecture], "torch_dtype": "float32", **extra}
    (out / "model.safetensors").unlink()
    save_model(out, config)


def _bert_v3_tokenizer(out: Path) -> None:
    """tokenizer_config.json as transformers 4.4x saves a Tohoku v3 tokenizer (what a fine-tuned repo has)."""
    config = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    write_json(out / "tokenizer_config.json", {
        **config, **BERT_SPECIALS, "clean_up_tokenization_spaces": True, "do_subword_tokenize": True,
        "do_word_tokenize": True, "jumanpp_kwargs": None, "never_split": None, "sudachi_kwargs": None})
    write_json(out / "special_tokens_map.json", BERT_SPECIALS)


# --- the sentence-transformers module files ----------------------------------------------------------


def st_files(out: Path, shape: BiEncoder, pooling: str, dimension: int, version: str | None) -> None:
    """modules.json, 1_Pooling, sentence_bert_config.json, config_sentence_transformers.json (``version``:
    the sentence-transformers release that wrote them; before 3.0 there were no prompts)."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if shape.normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    write_json(out / "modules.json", modules)  # type: ignore[arg-type]
    (out / "1_Pooling").mkdir()
    pooling_config = {"word_embedding_dimension": dimension,
                      **{f"pooling_mode_{m}": m == pooling for m in LEGACY_POOLING}}
    if version and version >= "2.3":
        pooling_config["include_prompt"] = True
    write_json(out / "1_Pooling" / "config.json", pooling_config)
    write_json(out / "sentence_bert_config.json", {"max_seq_length": shape.max_seq_length, "do_lower_case": False})
    st_config: dict[str, Any] = {"__version__": {"sentence_transformers": version, "transformers": "4.44.2",
                                                 "pytorch": "2.4.0+cu121"}}
    if version and version >= "3":
        st_config.update({"prompts": shape.prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    write_json(out / "config_sentence_transformers.json", st_config)


def ruri(out: Path) -> None:
    """cl-nagoya/ruri-base (v1, v2): a Tohoku v3 BERT (BertJapaneseTokenizer, MeCab unidic-lite + WordPiece),
    mean pooling, prompts クエリ / 文章."""
    tohoku_v3(out)
    _bert_v3_tokenizer(out)
    _rearchitect(out, "BertModel")
    st_files(out, BI_ENCODERS["ruri"], "mean_tokens", 32, "3.0.1")


def ruri_v3(out: Path) -> None:
    """cl-nagoya/ruri-v3-*: ModernBERT-ja (a SentencePiece model with its tokenizer.json), mean pooling,
    prompts 検索クエリ / 検索文書, 8192 tokens."""
    sbintuitions_modernbert(out)
    _rearchitect(out, "ModernBertModel")
    st_files(out, BI_ENCODERS["ruri-v3"], "mean_tokens", 32, "4.1.0")


def simcse_ja(out: Path) -> None:
    """cl-nagoya/sup-simcse-ja-base: a Tohoku v3 BERT, [CLS] pooling, written by sentence-transformers 2.2
    (no prompts, no include_prompt). Its max_seq_length is cut to 64 here (the repository says 512) so
    that the long test text is truncated by sentence_bert_config.json, not by the tokenizer's 512."""
    tohoku_v3(out)
    _bert_v3_tokenizer(out)
    _rearchitect(out, "BertModel")
    st_files(out, BI_ENCODERS["simcse-ja"], "cls_token", 32, "2.2.2")


def multilingual_e5(out: Path) -> None:
    """intfloat/multilingual-e5-base: XLM-RoBERTa (sentencepiece.bpe.model + tokenizer.json), mean pooling,
    then Normalize; prompts query / passage."""
    xlm_roberta(out)
    write_json(out / "tokenizer_config.json", {
        "bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "eos_token": "</s>",
        "mask_token": "<mask>", "model_max_length": 512, "pad_token": "<pad>", "sep_token": "</s>",
        "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>"})
    _rearchitect(out, "XLMRobertaModel")
    st_files(out, BI_ENCODERS["multilingual-e5"], "mean_tokens", 32, "3.1.1")


BI_ENCODERS = {b.name: b for b in [
    BiEncoder("ruri", "cl-nagoya/ruri-base", ruri, {"query": "クエリ: ", "document": "文章: "}),
    BiEncoder("ruri-v3", "cl-nagoya/ruri-v3-130m", ruri_v3, {"query": "検索クエリ: ", "document": "検索文書: "},
              max_seq_length=8192),
    BiEncoder("simcse-ja", "cl-nagoya/sup-simcse-ja-base", simcse_ja, max_seq_length=64),
    BiEncoder("multilingual-e5", "intfloat/multilingual-e5-base", multilingual_e5,
              {"query": "query: ", "passage": "passage: "}, normalize=True),
]}


# --- cross-encoders ----------------------------------------------------------------------------------

# one label, and random weights ten times the hub's 0.02: at 0.02 every pair gets nearly the same score (they
# differ below the tests' 1e-5), which would hide a pair scored against the wrong document
ONE_LABEL = {"id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}, "initializer_range": 0.2}


def ruri_reranker(out: Path) -> None:
    """cl-nagoya/ruri-reranker-base: BertForSequenceClassification on a Tohoku v3 tokenizer, one label, no
    activation named (CrossEncoder's default for one label: sigmoid)."""
    tohoku_v3(out)
    _bert_v3_tokenizer(out)
    _rearchitect(out, "BertForSequenceClassification", **ONE_LABEL)


def bge_reranker_ja(out: Path) -> None:
    """hotchpotch/japanese-bge-reranker-v2-m3-v1 (XLM-RoBERTa), with the pre-4.0 activation key naming
    Identity, as the cross-encoder/ms-marco-* repositories have: scores are raw logits."""
    xlm_roberta(out)
    _rearchitect(out, "XLMRobertaForSequenceClassification", **ONE_LABEL,
                 sbert_ce_default_activation_function="torch.nn.modules.linear.Identity")


def ruri_v3_reranker(out: Path) -> None:
    """cl-nagoya/ruri-v3-reranker-310m: ModernBertForSequenceClassification, saved by sentence-transformers 4
    (``sentence_transformers.activation_fn`` Sigmoid in config.json)."""
    sbintuitions_modernbert(out)
    _rearchitect(out, "ModernBertForSequenceClassification", **ONE_LABEL,
                 sentence_transformers={"activation_fn": "torch.nn.modules.activation.Sigmoid", "version": "4.0.2"})


def reranker_st6(out: Path) -> None:
    """A cross-encoder saved by sentence-transformers 6: the module files of a one-module chain (the
    Transformer, as a sequence classifier) with the activation (here Identity) in
    config_sentence_transformers.json, nothing in config.json."""
    ruri_reranker(out)
    write_json(out / "modules.json", [{"idx": 0, "name": "0", "path": "",  # type: ignore[arg-type]
                                       "type": "sentence_transformers.base.modules.transformer.Transformer"}])
    write_json(out / "sentence_bert_config.json", {
        "transformer_task": "sequence-classification",
        "modality_config": {"text": {"method": "forward", "method_output_name": "logits"}},
        "module_output_name": "scores"})
    write_json(out / "config_sentence_transformers.json", {
        "__version__": {"pytorch": "2.9.0+cu128", "sentence_transformers": "6.0.0", "transformers": "5.0.0"},
        "activation_fn": "torch.nn.modules.linear.Identity", "default_prompt_name": None,
        "model_type": "CrossEncoder", "prompts": {}})


CROSS_ENCODERS = {c.name: c for c in [
    CrossEncoderShape("ruri-reranker", "cl-nagoya/ruri-reranker-base", ruri_reranker),
    CrossEncoderShape("reranker-st6", "a cross-encoder saved by sentence-transformers 6", reranker_st6, logits=True),
    CrossEncoderShape("bge-reranker-ja", "hotchpotch/japanese-bge-reranker-v2-m3-v1 (Identity activation)",
                      bge_reranker_ja, logits=True),
    CrossEncoderShape("ruri-v3-reranker", "cl-nagoya/ruri-v3-reranker-310m", ruri_v3_reranker),
]}
