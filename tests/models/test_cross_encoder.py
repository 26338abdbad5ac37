"""Cross-encoder directories: which directories are one, and the activation sentence-transformers' CrossEncoder
puts on the logit, looked up where and in the order it looks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jbert.errors import ConfigError
from jbert.models.cross_encoder import is_cross_encoder_dir, read_activation

SIGMOID, IDENTITY = "torch.nn.modules.activation.Sigmoid", "torch.nn.modules.linear.Identity"


def _dir(path: Path, config: dict, st_config: dict | None = None, modules: bool = False) -> Path:
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if st_config is not None:
        (path / "config_sentence_transformers.json").write_text(json.dumps(st_config), encoding="utf-8")
    if modules:
        (path / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "Transformer"}]))
    return path


ONE = {"architectures": ["BertForSequenceClassification"], "id2label": {"0": "LABEL_0"}}


@pytest.mark.parametrize(("config", "st_config", "modules", "expected"), [
    (ONE, None, False, True),
    ({**ONE, "id2label": {"0": "neg", "1": "pos"}}, None, False, False),  # a 2-class classifier
    ({"architectures": ["BertModel"]}, None, False, False),
    ({**ONE, "architectures": ["BertForMaskedLM"]}, None, False, False),
    (ONE, {"model_type": "CrossEncoder"}, True, True),  # sentence-transformers 6
    ({"architectures": ["BertModel"]}, {"model_type": "SentenceTransformer"}, True, False),
])
def test_which_directories_are_cross_encoders(tmp_path, config, st_config, modules, expected):
    assert is_cross_encoder_dir(_dir(tmp_path, config, st_config, modules)) is expected


@pytest.mark.parametrize(("config", "st_config", "expected"), [
    (ONE, None, "sigmoid"),  # no activation named: CrossEncoder's default for one label
    ({**ONE, "sbert_ce_default_activation_function": IDENTITY}, None, "identity"),  # before 4.0
    ({**ONE, "sentence_transformers": {"activation_fn": IDENTITY}}, None, "identity"),  # 4.x, 5.x, jbert
    # config_sentence_transformers.json (6.x) is read first, then config.json's new key, then the old one
    ({**ONE, "sentence_transformers": {"activation_fn": IDENTITY}}, {"activation_fn": SIGMOID}, "sigmoid"),
    ({**ONE, "sentence_transformers": {"activation_fn": SIGMOID}, "sbert_ce_default_activation_function": IDENTITY},
     None, "sigmoid"),
    ({**ONE, "sentence_transformers": {"activation_fn": "my_package.Scale"}}, None, "sigmoid"),  # untrusted: default
])
def test_activation_found_as_cross_encoder_finds_it(tmp_path, config, st_config, expected):
    assert read_activation(_dir(tmp_path, config, st_config)) == expected


def test_an_activation_jbert_does_not_run_is_refused(tmp_path):
    path = _dir(tmp_path, {**ONE, "sentence_transformers": {"activation_fn": "torch.nn.modules.activation.Tanh"}})
    with pytest.raises(ConfigError, match=r"config.json: activation 'torch.nn.modules.activation.Tanh' is not "
                                          "supported; jbert scores reranker logits with"):
        read_activation(path)
