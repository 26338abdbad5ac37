"""The sentence-transformers directory files: written so sentence-transformers reads them back, read
from both the current and the legacy pooling layouts, other module chains refused."""

from __future__ import annotations

import json

import pytest

from jbert.errors import ConfigError
from jbert.models.st_format import StSettings, is_st_dir, read_st, write_st


def test_written_settings_read_back(tmp_path):
    settings = StSettings(pooling="last", normalize=True, prompts={"query": "クエリ: ", "document": "文章: "},
                          max_seq_length=96)
    write_st(tmp_path, settings, 32)
    assert is_st_dir(tmp_path) and read_st(tmp_path) == settings
    pooling = json.loads((tmp_path / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode"] == "lasttoken" and pooling["pooling_mode_lasttoken"] is True


def test_sentence_transformers_reads_the_pooling_it_means(tmp_path):
    modules = pytest.importorskip("sentence_transformers.sentence_transformer.modules")
    write_st(tmp_path, StSettings(pooling="cls"), 48)
    pooling = modules.Pooling.load(str(tmp_path / "1_Pooling"))
    assert pooling.pooling_mode == "cls" and pooling.get_embedding_dimension() == 48


def _st_dir(tmp_path, modules, pooling, prompts=None):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if prompts is not None:
        (tmp_path / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    return tmp_path


TRANSFORMER = {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}
POOLING = {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}


def test_legacy_pooling_keys_and_passage_prompts(tmp_path):
    legacy = {"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
    path = _st_dir(tmp_path, [TRANSFORMER, POOLING], legacy, {"query": "query: ", "passage": "passage: "})
    settings = read_st(path)
    assert (settings.pooling, settings.normalize) == ("cls", False)
    assert settings.prompts == {"query": "query: ", "document": "passage: "}


@pytest.mark.parametrize(("modules", "pooling", "message"), [
    ([TRANSFORMER, POOLING, {"path": "2_Dense", "type": "sentence_transformers.models.Dense"}],
     {"pooling_mode": "mean"}, "Dense"),
    ([TRANSFORMER, POOLING], {"pooling_mode": "max"}, "pooling 'max' is not supported"),
    ([{**TRANSFORMER, "path": "0_Transformer"}, POOLING], {"pooling_mode": "mean"}, "sub-folder"),
])
def test_other_module_chains_are_refused(tmp_path, modules, pooling, message):
    with pytest.raises(ConfigError, match=message):
        read_st(_st_dir(tmp_path, modules, pooling))


def test_prompt_names_and_other_prompts_are_written_back_as_they_were(tmp_path):
    """multilingual-e5 calls its document prompt "passage": fine-tuned, it still does, and prompts jbert
    does not use (and the default prompt) stay."""
    prompts = {"query": "query: ", "passage": "passage: ", "topic": "トピック: "}
    path = _st_dir(tmp_path, [TRANSFORMER, POOLING], {"pooling_mode": "mean"}, prompts)
    config = json.loads((path / "config_sentence_transformers.json").read_text())
    (path / "config_sentence_transformers.json").write_text(json.dumps({**config, "default_prompt_name": "topic"}))
    settings = read_st(path)
    assert settings.prompts == {"query": "query: ", "document": "passage: "}
    out = tmp_path / "out"
    out.mkdir()
    write_st(out, settings, 32)
    written = json.loads((out / "config_sentence_transformers.json").read_text())
    assert (written["prompts"], written["default_prompt_name"]) == (prompts, "topic")
    assert read_st(out) == settings
