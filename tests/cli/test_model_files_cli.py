"""A model directory whose weights are missing or cut short (a copy that stopped, a full disk): `jbert
export`, `jbert predict` and `jbert eval` say so in one line (exit 1) instead of a library traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app

DATA = Path(__file__).resolve().parents[1] / "data"
ROWS = DATA / "marc_ja" / "valid.jsonl"
runner = CliRunner()


def _fails_in_one_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def onnx_export(finetuned, tmp_path_factory) -> Path:
    pytest.importorskip("onnxruntime")
    out = tmp_path_factory.mktemp("onnx") / "export"
    result = runner.invoke(app, ["export", "--model", str(finetuned("classification")), "--output", str(out),
                                 "--data", str(ROWS)])
    assert result.exit_code == 0, result.output
    return out


def _damaged(source: Path, tmp_path: Path, weights: str, how: str) -> Path:
    model = tmp_path / "model"
    shutil.copytree(source, model)
    data = (model / weights).read_bytes()
    if how == "missing":
        (model / weights).unlink()
    elif how == "cut-in-header":  # the first 100 bytes: not even the header is whole
        (model / weights).write_bytes(data[:100])
    else:  # a copy that stopped halfway: the header promises tensors that are not there
        (model / weights).write_bytes(data[: len(data) // 2])
    return model


def _commands(model: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "predict": ["predict", "--model", str(model), str(ROWS), "--output", str(tmp_path / "p.jsonl")],
        "eval": ["eval", "--model", str(model), "--data", str(ROWS)],
        "export": ["export", "--model", str(model), "--output", str(tmp_path / "new" / "x"), "--data", str(ROWS)],
    }


@pytest.mark.parametrize("how", ["missing", "cut-in-header", "cut-halfway"])
@pytest.mark.parametrize("command", ["predict", "eval", "export"])
def test_damaged_safetensors(finetuned, tmp_path, command, how):
    model = _damaged(finetuned("classification"), tmp_path, "model.safetensors", how)
    result = runner.invoke(app, _commands(model, tmp_path)[command])
    _fails_in_one_line(result, str(model), "model.safetensors" if how != "missing" else "weights")
    assert not (tmp_path / "p.jsonl").exists() and not (tmp_path / "new").exists()  # no folder made for it either


@pytest.mark.parametrize("how", ["missing", "cut-in-header", "cut-halfway"])
@pytest.mark.parametrize("command", ["predict", "eval"])
def test_damaged_onnx(onnx_export, tmp_path, command, how):
    model = _damaged(onnx_export, tmp_path, "model.onnx", how)
    _fails_in_one_line(runner.invoke(app, _commands(model, tmp_path)[command]), "model.onnx")
