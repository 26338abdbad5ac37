"""rinna/japanese-roberta-base as its model card uses it: lower-cased input, [CLS] first, <unk> as the
SentencePiece model numbers it, and position ids counted from 0 in finetune, eval, predict and export."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import yaml
from zoo_cases import run_jbert


@pytest.fixture(scope="module")
def rinna_run(hub_dir, tmp_path_factory):
    return run_jbert(hub_dir("rinna-roberta"), "pair-classification", tmp_path_factory.mktemp("rinna"))


def test_tokenizer_lower_cases_with_a_warning_and_keeps_the_unknown_id(hub_dir, caplog):
    from jbert.tokenization import load_tokenizer

    with caplog.at_level(logging.WARNING, logger="jbert.tokenization.rinna"):
        tok = load_tokenizer(hub_dir("rinna-roberta"))
    assert "lower-casing every input" in caplog.text
    enc = tok("ＡＢＣ 😀")
    assert enc["input_ids"][0] == tok.convert_tokens_to_ids("[CLS]") == 4  # no </s> at the end
    assert tok.convert_ids_to_tokens(enc["input_ids"])[1:] == tok.convert_ids_to_tokens(tok("abc 😀")["input_ids"])[1:]
    assert 0 in enc["input_ids"] and 2 not in enc["input_ids"]  # <unk> is 0 here, not T5's 2 (</s>)


def test_positions_from_zero_are_saved_and_make_the_difference(rinna_run):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from jbert.models.directory import CONFIG_FILE

    saved = yaml.safe_load((rinna_run.model / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["model"]["position_ids"] == "from_zero"  # eval / predict need no flag
    model = AutoModelForSequenceClassification.from_pretrained(rinna_run.model).eval()
    assert model.config.jbert_position_ids == "from_zero"
    enc = AutoTokenizer.from_pretrained(rinna_run.model)("東京駅の近く", "駅前の店", return_tensors="pt")
    with torch.inference_mode():
        card = model(**enc, position_ids=torch.arange(enc["input_ids"].shape[1])[None]).logits
        transformers_default = model(**enc).logits
    assert not np.allclose(card.numpy(), transformers_default.numpy(), atol=1e-4)  # the check in the matrix bites


def test_onnx_export_takes_position_ids_and_agrees(rinna_run, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from jbert.export.run import ExportConfig, run_export

    result = run_export(ExportConfig(model=str(rinna_run.model), output=str(tmp_path / "onnx"),
                                     data=str(rinna_run.valid), min_agreement=1.0))
    assert "position_ids" in result.record["inputs"]
    session = ort.InferenceSession(str(tmp_path / "onnx" / result.record["file"]), providers=["CPUExecutionProvider"])
    assert "position_ids" in [i.name for i in session.get_inputs()]
