"""jbert.config.sections: the parts every config shares (fine-tuning's JbertConfig, pre-training's PretrainConfig)."""

import pytest
import yaml

from jbert.config.run import JbertConfig, build_config
from jbert.config.sections import SectionedConfig, set_dotted
from jbert.errors import ConfigError
from jbert.pretraining import PretrainConfig


@pytest.mark.parametrize("cls", [JbertConfig, PretrainConfig])
def test_both_configs_share_the_saved_form_and_round_trip(cls, tmp_path):
    assert issubclass(cls, SectionedConfig)
    cfg = cls()
    set_dotted(cfg, "model.name_or_path", "モデル")
    set_dotted(cfg, "training.learning_rate", "3e-5")  # a string, as from a flag, coerced to the field's type
    text = cfg.to_yaml()
    assert "name_or_path: モデル" in text  # unicode kept as is
    assert list(yaml.safe_load(text)) == list(cfg.to_dict())  # sections in field order, not sorted
    path = tmp_path / "saved.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = cls.from_yaml(path)
    assert loaded == cfg and loaded.training.learning_rate == 3e-5


def test_moved_keys_belong_to_the_config_that_moved_them():
    old = JbertConfig.from_dict({"encoding": {"n_best_size": 4}})  # saved before n_best_size moved to decoding
    assert old.decoding.n_best_size == 4
    with pytest.raises(ConfigError, match=r"unknown key 'encoding.n_best_size'; valid keys of 'encoding'"):
        build_config(None, overrides=["encoding.n_best_size=4"], cls=PretrainConfig)


def test_unknown_section_of_a_pretrain_file_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("task:\n  name: jsts\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: unknown section 'task'; valid: corpus, encoding, mlm"):
        PretrainConfig.from_yaml(path)
