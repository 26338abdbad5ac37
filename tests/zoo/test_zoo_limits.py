"""--max-length beyond what a model's position embeddings hold: clamped with a warning in finetune,
eval and predict (nlp-waseda/roberta-base-japanese: 512 positions, pad id 0 -> 511 tokens), never
an index error mid-run."""

from __future__ import annotations

import json
import logging

import pytest
import yaml
from zoo_hub import corpus

pytestmark = pytest.mark.slow


def _long_rows(path, n: int) -> None:
    text = "".join(corpus()[:60])  # about 2,000 characters: well past 511 tokens
    rows = [{"review_id": str(i), "sentence": text[i:], "label": ["positive", "negative"][i % 2]} for i in range(n)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_max_length_is_clamped_to_the_position_table(hub_dir, tmp_path, caplog):
    from jbert import api
    from jbert.config.run import build_config
    from jbert.evaluation import EvalConfig
    from jbert.inference import PredictConfig
    from jbert.models.directory import CONFIG_FILE

    train, valid, out = tmp_path / "train.jsonl", tmp_path / "valid.jsonl", tmp_path / "model"
    _long_rows(train, 4)
    _long_rows(valid, 2)
    flags = {"task.name": "marc_ja", "model.name_or_path": str(hub_dir("roberta-spm")), "data.train": str(train),
             "data.valid": str(valid), "training.output_dir": str(out), "training.max_steps": 1,
             "training.batch_size": 2, "training.progress_bar": False, "encoding.max_length": 1024}
    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        api.finetune(build_config(flags=flags))
    assert "--max-length 1024 is longer" in caplog.text and "using 511" in caplog.text
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["encoding"]["max_length"] == 511  # eval and predict start from the clamped value
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        result = api.evaluate(EvalConfig(model=str(out), data=str(valid), max_length=2048))
        summary = api.predict(PredictConfig(model=str(out), inputs=[str(valid)], output=str(tmp_path / "p.jsonl"),
                                            max_length=2048))
    assert "--max-length 2048 is longer" in caplog.text
    assert result.examples == 2 and result.truncated == 2
    assert summary.rows_out == 2 and summary.truncated == 2
