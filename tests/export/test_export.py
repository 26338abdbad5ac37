"""``jbert export`` for every head: the export runs through ``jbert predict`` / ``jbert eval`` like the
original, its agreement is recorded, and a refused export leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _finetuned import MODELS, read_jsonl
from typer.testing import CliRunner

from jbert.cli import app

pytest.importorskip("onnxruntime")
runner = CliRunner()
HEADS = list(MODELS)


def _run(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def exported(finetuned, tmp_path_factory):
    """``exported(head, quantize)`` -> an ONNX export of that head's tiny model (built once)."""
    cache: dict[tuple[str, str | None], Path] = {}

    def get(head: str, quantize: str | None = None) -> Path:
        if (head, quantize) not in cache:
            out = tmp_path_factory.mktemp("export") / f"{head}-{quantize or 'fp32'}"
            args = ["export", "--model", finetuned(head), "--output", out, "--data", MODELS[head][2],
                    "--min-agreement", "0"]
            result = _run(*args, *(["--quantize", quantize] if quantize else []))
            assert result.exit_code == 0, result.output
            cache[(head, quantize)] = out
        return cache[(head, quantize)]

    return get


@pytest.mark.parametrize("head", HEADS)
def test_fp32_export_predicts_like_the_original(head, finetuned, exported, tmp_path):
    out = exported(head)
    record = json.loads((out / "jbert_export.json").read_text())
    assert record["format"] == "onnx" and record["agreement"]["agreement"] >= 0.99
    assert not list(out.glob("*.safetensors"))
    data = MODELS[head][2]
    original, onnx = tmp_path / "torch.jsonl", tmp_path / "onnx.jsonl"
    assert _run("predict", "--model", finetuned(head), data, "-o", original).exit_code == 0
    result = _run("predict", "--model", out, data, "-o", onnx)
    assert result.exit_code == 0, result.output
    rows_t, rows_o = read_jsonl(original), read_jsonl(onnx)
    assert [r["id"] for r in rows_o] == [r["id"] for r in rows_t]
    assert len(rows_o) == record["agreement"]["rows"]
