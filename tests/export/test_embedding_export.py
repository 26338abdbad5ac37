"""An embedding model's export: agreement is the per-row cosine of its vectors to the original's, and an
export below --min-agreement is refused with nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _finetuned import MODELS
from typer.testing import CliRunner

from jbert.cli import app
from jbert.inference.embedding import encode_texts

pytest.importorskip("onnxruntime")
runner = CliRunner()
TEXTS = ["今日は良い天気です。", "雨が降っています。", "猫が窓辺で寝ている。"]


def test_fp32_onnx_export_gives_the_same_vectors(finetuned, tmp_path):
    model, out = finetuned("embedding"), tmp_path / "onnx"
    result = runner.invoke(app, ["export", "--model", str(model), "--output", str(out), "--format", "onnx",
                                 "--data", str(MODELS["embedding"][2])])
    assert result.exit_code == 0, result.output
    figures = json.loads((out / "jbert_export.json").read_text())["agreement"]
    assert figures["measure"] == "vector agreement" and figures["min_cosine"] > 0.99999
    assert np.abs(encode_texts(out, TEXTS) - encode_texts(model, TEXTS)).max() <= 1e-5  # pairs traced, single texts run


def test_int8_below_min_agreement_is_refused(finetuned, tmp_path):
    out = tmp_path / "int8"
    result = runner.invoke(app, ["export", "--model", str(finetuned("embedding")), "--output", str(out),
                                 "--format", "onnx", "--quantize", "int8", "--min-agreement", "1",
                                 "--data", str(MODELS["embedding"][2])])
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: onnx int8 export refused: vector agreement: mean cosine") and "below" in line
    assert not out.exists()
