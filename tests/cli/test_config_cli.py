"""`jbert config show`: the whole config, as a run would use it, as a valid --config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app
from jbert.config import JbertConfig
from jbert.config.describe import field_comments
from jbert.config.encoding import EncodingConfig
from jbert.config.run import TrainingConfig
from jbert.pretraining import PretrainConfig

runner = CliRunner()


def _show(tmp_path: Path, *args: str) -> tuple[str, Path]:
    result = runner.invoke(app, ["config", "show", *args])
    assert result.exit_code == 0, result.output
    path = tmp_path / "shown.yaml"
    path.write_text(result.output, encoding="utf-8")
    return result.output, path


def test_the_defaults_round_trip_and_carry_their_comments(tmp_path: Path) -> None:
    text, path = _show(tmp_path)
    assert JbertConfig.from_yaml(path) == JbertConfig()
    assert "  max_length: 128  # tokens per model input, special tokens included" in text.splitlines()
    assert "  resume: false  # --resume: continue from the last checkpoint in output_dir" in text.splitlines()


def test_a_task_brings_its_recipe_and_set_goes_over_it(tmp_path: Path) -> None:
    _, path = _show(tmp_path, "jsquad", "--set", "training.epochs=7")
    cfg = JbertConfig.from_yaml(path)
    assert (cfg.task.name, cfg.encoding.max_length, cfg.training.epochs) == ("jsquad", 384, 7.0)


def test_pretrain_settings(tmp_path: Path) -> None:
    text, path = _show(tmp_path, "--pretrain")
    assert "mlm:" in text and "probability: 0.15" in text
    assert isinstance(PretrainConfig.from_yaml(path), PretrainConfig)


def test_an_unknown_key_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "show", "--set", "training.nope=1"])
    assert result.exit_code == 1
    assert "nope" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("section", "key", "words"), [
    (EncodingConfig, "doc_stride", "a third of max_length"),  # a comment on the lines above the field
    (TrainingConfig, "max_steps", "overrides epochs"),          # a comment after it
])
def test_comments_come_from_the_typed_sections(section: type, key: str, words: str) -> None:
    assert words in field_comments(section)[key]
