"""jbert.training.run_record: the settings a run started with, compared on resume key by key."""

from __future__ import annotations

import pytest
import yaml

from jbert.config.run import build_config
from jbert.errors import ConfigError
from jbert.models.directory import CONFIG_FILE
from jbert.training.run_record import RUN_FILE, check_resume, differences, run_settings, write_record


def _config(*overrides: str):
    return build_config(overrides=["task.name=jsts", "model.name_or_path=m", *overrides])


def test_differences_name_each_key_with_both_values_and_skip_the_changeable_ones():
    saved = run_settings(_config("training.max_steps=1", "training.logging_steps=5"))
    current = run_settings(_config("training.max_steps=2", "training.resume=true", "training.report_to=tensorboard",
                                   "task.columns.text=body"))
    assert differences(saved, current) == ["task.columns.text (was unset, now body)",
                                           "training.max_steps (was 1, now 2)"]


def test_local_paths_compare_as_absolute_paths(tmp_path, monkeypatch):
    (tmp_path / "train.jsonl").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    relative = run_settings(_config("data.train=train.jsonl"))
    absolute = run_settings(_config(f"data.train={tmp_path / 'train.jsonl'}"))
    assert relative["data.train"] == str(tmp_path / "train.jsonl") and differences(relative, absolute) == []
    assert run_settings(_config())["model.name_or_path"] == "m"  # not a local path: as given


def test_resume_with_other_settings_is_refused(tmp_path):
    write_record(tmp_path, _config("training.max_steps=1", "data.train=a.jsonl"))
    assert yaml.safe_load((tmp_path / RUN_FILE).read_text())["training.max_steps"] == 1
    check_resume(tmp_path, _config("training.max_steps=1", "data.train=a.jsonl", "training.resume=true"), CONFIG_FILE)
    with pytest.raises(ConfigError) as info:
        check_resume(tmp_path, _config("training.max_steps=3", "data.train=b.jsonl"), CONFIG_FILE)
    assert str(info.value) == (
        f"--resume: {tmp_path} was started with other settings: data.train (was a.jsonl, now b.jsonl); "
        "training.max_steps (was 1, now 3); resume with the same settings, or choose another --output for a new run")


def test_a_finished_run_without_a_record_is_compared_with_its_saved_config(tmp_path):
    # a directory fine-tuned before the record existed: jbert_config.yaml holds the config, with the
    # longest input clamped to the model, so that key is not compared
    saved = _config("data.train=a.jsonl", "encoding.max_length=128")
    document = {"jbert_version": "0", **saved.to_dict(), "spec": {}, "labels": None, "tokenizer": None}
    (tmp_path / CONFIG_FILE).write_text(yaml.safe_dump(document))
    check_resume(tmp_path, _config("data.train=a.jsonl", "encoding.max_length=512"), CONFIG_FILE)
    with pytest.raises(ConfigError, match=r"data\.train \(was a\.jsonl, now b\.jsonl\); resume"):
        check_resume(tmp_path, _config("data.train=b.jsonl"), CONFIG_FILE)


def test_nothing_recorded_nothing_to_compare(tmp_path):
    check_resume(tmp_path, _config(), CONFIG_FILE)
