"""``jbert export`` for every head: the export runs through ``jbert predict`` / ``jbert eval`` like the
original (same rows, ids and order), its agreement is recorded, and a refused export leaves nothing."""

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


def _run(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


def _error(result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()[-1]


def _record(out: Path) -> dict:
    return json.loads((out / "jbert_export.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported(finetuned, tmp_path_factory):
    """``exported(head, quantize, fmt)`` -> an export of that head's tiny model (built once per module)."""
    cache: dict[tuple, Path] = {}

    def get(head: str, quantize: str | None = "int8", fmt: str = "onnx") -> Path:
        key = (head, quantize, fmt)
        if key not in cache:
            out = tmp_path_factory.mktemp("export") / f"{head}-{fmt}-{quantize or 'fp32'}"
            # Random tiny heads sit near their decision boundaries: int8 may flip labels there, so the
            # agreement is recorded and checked below instead of gating these builds.
            args = ["export", "--model", finetuned(head), "--output", out, "--format", fmt,
                    "--data", MODELS[head][2], "--min-agreement", "0"]
            result = _run(*args, *(["--quantize", quantize] if quantize else []))
            assert result.exit_code == 0, result.output
            assert "agreement" in result.stderr
            cache[key] = out
        return cache[key]

    return get


def _predict(model: Path, data: Path, out: Path) -> list[dict]:
    result = _run("predict", "--model", model, data, "-o", out)
    assert result.exit_code == 0, result.output
    assert "rows in error: 0" in result.stderr
    return read_jsonl(out)


@pytest.mark.parametrize("head", HEADS)
def test_int8_export_predicts_and_evaluates_like_the_original(head, finetuned, exported, tmp_path):
    out, data = exported(head), MODELS[head][2]
    record = _record(out)
    assert (record["format"], record["quantize"], record["file"]) == ("onnx", "int8", "model.int8.onnx")
    assert (out / record["file"]).is_file() and not list(out.glob("*.safetensors"))
    original = _predict(finetuned(head), data, tmp_path / "torch.jsonl")
    onnx = _predict(out, data, tmp_path / "onnx.jsonl")
    assert [r["id"] for r in onnx] == [r["id"] for r in original]
    assert [set(r) for r in onnx] == [set(r) for r in original]  # same writer, same fields
    assert record["agreement"]["rows"] == len(original)
    metrics = []
    for model in (finetuned(head), out):
        result = _run("eval", "--model", model, "--data", data, "--output", tmp_path / "m.json")
        assert result.exit_code == 0, result.output
        metrics.append(json.loads((tmp_path / "m.json").read_text()))
    assert metrics[1]["examples"] == metrics[0]["examples"] == len(original)
    assert set(metrics[1]["metrics"]) == set(metrics[0]["metrics"])


@pytest.mark.parametrize("head", ["pair-classification", "span"])
def test_fp32_export_agrees_fully(head, finetuned, exported, tmp_path):
    out, data = exported(head, quantize=None), MODELS[head][2]
    assert _record(out)["agreement"]["agreement"] == 1.0
    original = _predict(finetuned(head), data, tmp_path / "torch.jsonl")
    onnx = _predict(out, data, tmp_path / "onnx.jsonl")
    key = "label" if head != "span" else "answer"
    assert [(r["id"], r[key]) for r in onnx] == [(r["id"], r[key]) for r in original]


def test_onnx_export_predicts_without_importing_torch(finetuned, exported, tmp_path):
    """The export records what the model reads, and numpy feeds ONNX Runtime: no torch (a second of
    start-up and ~300 MB), nor onnx/onnxscript, in a process that only predicts with an ONNX export."""
    import subprocess
    import sys

    out, data = exported("pair-regression"), MODELS["pair-regression"][2]
    assert _record(out)["model_inputs"]["names"] == ["input_ids", "token_type_ids", "attention_mask"]
    code = ("import atexit, sys; from jbert.cli import main; "
            "atexit.register(lambda: print(sorted({'torch', 'onnxscript', 'onnx'} & set(sys.modules)), "
            "file=sys.stderr)); main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", code, "predict", "--model", str(out), str(data), "-o",
                           str(tmp_path / "p.jsonl")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr  # nor the exporter's packages
    assert read_jsonl(tmp_path / "p.jsonl") == _predict(out, data, tmp_path / "in-process.jsonl")


def test_an_export_without_recorded_inputs_still_loads(exported, tmp_path):
    import shutil

    old = tmp_path / "old-export"
    shutil.copytree(exported("classification"), old)
    record = _record(old)
    del record["model_inputs"]  # as written by jbert before it recorded them
    (old / "jbert_export.json").write_text(json.dumps(record), encoding="utf-8")
    data = MODELS["classification"][2]
    assert _predict(old, data, tmp_path / "a.jsonl") == _predict(exported("classification"), data, tmp_path / "b.jsonl")


def test_regression_records_score_deltas(exported):
    figures = _record(exported("pair-regression"))["agreement"]
    assert figures["measure"] == "score agreement"
    assert 0 < figures["max_abs_diff"] and figures["mean_abs_diff"] <= figures["max_abs_diff"]


def test_torch_int8_export_runs_through_predict(finetuned, exported, tmp_path):
    out, data = exported("classification", fmt="torch"), MODELS["classification"][2]
    assert _record(out)["format"] == "torch" and (out / "model.safetensors").is_file()
    original = _predict(finetuned("classification"), data, tmp_path / "torch.jsonl")
    assert [r["id"] for r in _predict(out, data, tmp_path / "int8.jsonl")] == [r["id"] for r in original]


def test_refused_export_writes_nothing(finetuned, tmp_path):
    out = tmp_path / "refused"
    # Tolerance 0: any int8 rounding of a score counts as a disagreement, so agreement < 100%.
    result = _run("export", "--model", finetuned("pair-regression"), "--output", out, "--quantize", "int8",
                  "--data", MODELS["pair-regression"][2], "--min-agreement", "1", "--tolerance", "0")
    message = _error(result)
    assert "export refused: score agreement" in message and "max |delta|" in message
    assert "below --min-agreement 100%" in message
    assert list(tmp_path.iterdir()) == []  # neither the output nor the hidden work directory


def test_an_export_cannot_be_exported_again(exported, tmp_path):
    message = _error(_run("export", "--model", exported("classification"), "--output", tmp_path / "x"))
    assert "already an export" in message


def test_output_must_be_new(finetuned, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    message = _error(_run("export", "--model", finetuned("classification"), "--output", tmp_path / "taken"))
    assert "already exists and is not empty" in message


def test_without_data_and_without_a_validation_file_names_the_flag(finetuned, tmp_path):
    message = _error(_run("export", "--model", finetuned("classification"), "--output", tmp_path / "x"))
    assert "--data FILE" in message and not (tmp_path / "x").exists()


@pytest.mark.parametrize("flags, fragment", [
    (["--quantize", "int4"], "--quantize must be int8"),
    (["--format", "tflite"], "unknown export format 'tflite'"),
    (["--min-agreement", "99"], "--min-agreement is a share between 0 and 1"),
])
def test_bad_flags(finetuned, tmp_path, flags, fragment):
    assert fragment in _error(_run("export", "--model", finetuned("classification"), "--output", tmp_path / "x",
                                   *flags))


def test_missing_extra_names_it(finetuned, exported, tmp_path, monkeypatch):
    onnx_export = exported("classification")
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    message = _error(_run("export", "--model", finetuned("classification"), "--output", tmp_path / "x"))
    assert "pip install 'jbert[onnx]'" in message
    data = MODELS["classification"][2]
    assert "pip install 'jbert[onnx]'" in _error(_run("predict", "--model", onnx_export, data))


def test_default_rows_are_the_validation_file_in_jbert_config(finetuned, tmp_path):
    import shutil

    import yaml

    model = tmp_path / "model"
    shutil.copytree(finetuned("classification"), model)
    config = yaml.safe_load((model / "jbert_config.yaml").read_text(encoding="utf-8"))
    config["data"]["valid"] = str(MODELS["classification"][2])
    (model / "jbert_config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = _run("export", "--model", model, "--output", tmp_path / "out", "--format", "torch", "--quantize", "int8",
                  "--min-agreement", "0")
    assert result.exit_code == 0, result.output
    figures = _record(tmp_path / "out")["agreement"]
    assert figures["data"] == str(MODELS["classification"][2]) and figures["rows"] > 0
