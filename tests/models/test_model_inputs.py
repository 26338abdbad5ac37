"""jbert.models.inputs: the inputs, length limit and attention each architecture gets, checked against
what the models themselves accept (tiny random models, built from configs)."""

from __future__ import annotations

import json
import logging

import pytest
import torch
import transformers
from transformers import AutoModel

from jbert.errors import ConfigError
from jbert.models.inputs import (
    align_tokenizer,
    attention_kwargs,
    clamp_max_length,
    model_inputs,
    read_model_inputs,
)

TINY = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64, "vocab_size": 99}
WITH_TYPES = ("input_ids", "token_type_ids", "attention_mask")
WITHOUT_TYPES = ("input_ids", "attention_mask")


def config(name: str, **kwargs):
    return getattr(transformers, name)(**kwargs)


@pytest.mark.parametrize(("config_class", "kwargs", "names", "limit"), [
    ("BertConfig", {}, WITH_TYPES, 512),  # Tohoku BERT
    ("ElectraConfig", {}, WITH_TYPES, 512),
    ("RobertaConfig", {"type_vocab_size": 1, "max_position_embeddings": 514, "pad_token_id": 1}, WITHOUT_TYPES, 512),
    # nlp-waseda/roberta-base-japanese: two token types, 512 positions, pad id 0 -> 511 tokens
    ("RobertaConfig", {"type_vocab_size": 2, "max_position_embeddings": 512, "pad_token_id": 0}, WITH_TYPES, 511),
    ("XLMRobertaConfig", {"type_vocab_size": 1, "max_position_embeddings": 514, "pad_token_id": 1},
     WITHOUT_TYPES, 512),
    ("DistilBertConfig", {}, WITHOUT_TYPES, 512),
    ("ModernBertConfig", {"max_position_embeddings": 8192}, WITHOUT_TYPES, 8192),
    # ku-nlp DeBERTa-v2 / v3: relative attention only, no token types
    ("DebertaV2Config", {"type_vocab_size": 0, "relative_attention": True, "position_biased_input": False},
     WITHOUT_TYPES, None),
    # an absolute-position DeBERTa (KoichiYasuoka/deberta-*-japanese-*): no offset, a fixed limit
    ("DebertaV2Config", {"type_vocab_size": 0, "relative_attention": False, "position_biased_input": True},
     WITHOUT_TYPES, 512),
])
def test_inputs_and_limit_per_architecture(config_class, kwargs, names, limit):
    inputs = model_inputs(config(config_class, **kwargs))
    assert inputs.names == names
    assert inputs.max_length == limit


@pytest.mark.parametrize(("config_class", "kwargs"), [
    ("RobertaConfig", {"type_vocab_size": 2, "max_position_embeddings": 40, "pad_token_id": 0}),
    ("XLMRobertaConfig", {"type_vocab_size": 1, "max_position_embeddings": 40, "pad_token_id": 1}),
    ("BertConfig", {"max_position_embeddings": 40}),
])
def test_the_limit_is_exactly_what_the_model_reads(config_class, kwargs):
    cfg = config(config_class, **TINY, **kwargs)
    model = AutoModel.from_config(cfg).eval()
    limit = model_inputs(cfg).max_length
    with torch.inference_mode():
        model(input_ids=torch.full((1, limit), 5))
        with pytest.raises((IndexError, RuntimeError)):  # past the position table
            model(input_ids=torch.full((1, limit + 1), 5))


def test_relative_deberta_reads_any_length():
    cfg = config("DebertaV2Config", **TINY, type_vocab_size=0, relative_attention=True, position_biased_input=False,
                 max_position_embeddings=32, position_buckets=16, pos_att_type=["p2c", "c2p"])
    assert model_inputs(cfg).max_length is None
    with torch.inference_mode():
        out = AutoModel.from_config(cfg).eval()(input_ids=torch.full((1, 100), 5))
    assert out.last_hidden_state.shape[1] == 100


def test_one_token_type_model_cannot_take_segment_ids():
    """Why RoBERTa-type models must not get token_type_ids from a BERT-style pair tokenizer."""
    cfg = config("RobertaConfig", **TINY, type_vocab_size=1, pad_token_id=1)
    assert "token_type_ids" not in model_inputs(cfg).names
    with pytest.raises(IndexError), torch.inference_mode():
        AutoModel.from_config(cfg)(input_ids=torch.full((1, 4), 5), token_type_ids=torch.tensor([[0, 0, 1, 1]]))


def test_clamp_warns_and_returns_the_limit(caplog):
    inputs = model_inputs(config("RobertaConfig", type_vocab_size=2, max_position_embeddings=512, pad_token_id=0))
    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        assert clamp_max_length(1024, inputs, "--max-length") == 511
    assert "--max-length 1024" in caplog.text and "padding offset 1" in caplog.text and "using 511" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        assert clamp_max_length(128, inputs) == 128
    assert not caplog.text


def test_no_limit_means_no_clamp():
    inputs = model_inputs(config("DebertaV2Config", relative_attention=True, position_biased_input=False))
    assert clamp_max_length(4096, inputs) == 4096


def test_attention_left_to_transformers_unless_named():
    assert attention_kwargs(None) == attention_kwargs("auto") == {}
    assert attention_kwargs("eager") == {"attn_implementation": "eager"}


@pytest.mark.parametrize(("config_class", "expected"), [("BertConfig", "sdpa"), ("DebertaV2Config", "eager")])
def test_default_attention_is_sdpa_where_supported(config_class, expected, tmp_path):
    AutoModel.from_config(config(config_class, **TINY)).save_pretrained(tmp_path)
    model = AutoModel.from_pretrained(tmp_path, **attention_kwargs(None))
    assert model.config._attn_implementation == expected


def test_read_model_inputs_from_a_directory(tmp_path):
    config("DistilBertConfig", max_position_embeddings=128).save_pretrained(tmp_path)
    assert read_model_inputs(str(tmp_path)).max_length == 128


def test_read_model_inputs_names_a_missing_model(tmp_path):
    with pytest.raises(ConfigError, match="cannot load model"):
        read_model_inputs(str(tmp_path / "nothing"))


def test_aligned_tokenizer_is_saved_with_the_models_inputs(tiny_tokenizer_dir, tmp_path):
    """A one-token-type model: jbert's tokenizer stops returning token_type_ids, and so does plain
    transformers on the saved directory."""
    from transformers import AutoTokenizer

    from jbert.tokenization import load_tokenizer

    inputs = model_inputs(config("RobertaConfig", type_vocab_size=1, pad_token_id=0))
    tok = align_tokenizer(load_tokenizer(tiny_tokenizer_dir), inputs)
    assert "token_type_ids" not in tok("東京に行く。", "駅です。")
    tok.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert saved["model_input_names"] == list(WITHOUT_TYPES)
    plain = AutoTokenizer.from_pretrained(tmp_path)
    assert sorted(plain("東京に行く。", "駅です。")) == sorted(WITHOUT_TYPES)


# --- positions counted from 0 (rinna's japanese-roberta) ------------------------------------------------

RINNA = {"type_vocab_size": 2, "max_position_embeddings": 514, "pad_token_id": 3}


def test_auto_positions_recognise_rinna_by_name_and_warn(caplog):
    from jbert.models.inputs import resolve_positions

    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        assert resolve_positions("rinna/japanese-roberta-base", config("RobertaConfig", **RINNA), "auto") == "from_zero"
    assert "position ids counted from 0" in caplog.text
    assert resolve_positions("rinna/japanese-roberta-base", config("RobertaConfig", **RINNA), "default") == "default"
    assert resolve_positions("FacebookAI/roberta-base", config("RobertaConfig"), "auto") == "default"


def test_from_zero_feeds_position_ids_and_reads_every_position():
    from jbert.models.inputs import set_positions

    cfg = config("RobertaConfig", **RINNA)
    set_positions(cfg, "from_zero")
    inputs = model_inputs(cfg)
    assert inputs.names == (*WITH_TYPES, "position_ids") and inputs.max_length == 514  # no pad offset
    set_positions(cfg, "auto")  # keeps what the config records (a directory fine-tuned with it)
    assert model_inputs(cfg).position_ids
    set_positions(cfg, "default")
    assert not model_inputs(cfg).position_ids and model_inputs(cfg).max_length == 510


@pytest.mark.parametrize(("setting", "config_class", "fragment"), [
    ("sideways", "RobertaConfig", "not one of auto, from_zero, default"),
    ("from_zero", "BertConfig", "already start at 0"),
])
def test_bad_position_settings_are_refused(setting, config_class, fragment):
    from jbert.models.inputs import resolve_positions

    with pytest.raises(ConfigError, match=fragment):
        resolve_positions("m", config(config_class), setting)


def test_collator_writes_positions_from_zero_for_every_row_and_choice():
    from jbert.heads.collate import PaddingCollator

    class Tok:
        pad_token_id = 3
        model_input_names = ["input_ids", "attention_mask"]

    batch = PaddingCollator(Tok(), position_ids=True)([{"input_ids": [[4, 9], [4, 9, 9]]}, {"input_ids": [[4], [4]]}])
    assert batch["position_ids"].tolist() == [[[0, 1, 2]] * 2] * 2
    assert "position_ids" not in PaddingCollator(Tok())([{"input_ids": [4, 9]}])
