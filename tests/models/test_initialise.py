import pytest
from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

from jbert.errors import ConfigError
from jbert.models.initialise import SIZES, bert_config, init_model


def test_init_tiny_masked_lm_loads_in_plain_transformers(tiny_tokenizer_dir, tmp_path):
    out = init_model(tiny_tokenizer_dir, "tiny", tmp_path / "m")
    model = AutoModelForMaskedLM.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert type(model).__name__ == "BertForMaskedLM"
    assert model.config.vocab_size == len(tokenizer)
    assert (model.config.num_hidden_layers, model.config.hidden_size) == (2, 32)
    assert model.config.pad_token_id == tokenizer.pad_token_id
    assert (out / "model.safetensors").is_file()


def test_init_encoder_only_is_seeded(tiny_tokenizer_dir, tmp_path):
    a = AutoModel.from_pretrained(init_model(tiny_tokenizer_dir, "tiny", tmp_path / "a", masked_lm=False, seed=3))
    b = AutoModel.from_pretrained(init_model(tiny_tokenizer_dir, "tiny", tmp_path / "b", masked_lm=False, seed=3))
    assert type(a).__name__ == "BertModel"
    assert all((p == q).all() for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize(("size", "shape"), [("mini", (4, 256, 4, 1024)), ("small", (4, 512, 8, 2048)),
                                             ("base", (12, 768, 12, 3072))])
def test_sizes(size, shape):
    config = bert_config(size, vocab_size=100)
    assert SIZES[size] == shape
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads,
            config.intermediate_size) == shape


def test_errors(tiny_tokenizer_dir, tmp_path):
    with pytest.raises(ConfigError, match="unknown model size 'huge'; available: tiny, mini, small, base"):
        init_model(tiny_tokenizer_dir, "huge", tmp_path / "m")
    with pytest.raises(ConfigError, match="tokenizer directory not found"):
        init_model(tmp_path / "nope", "tiny", tmp_path / "m")
