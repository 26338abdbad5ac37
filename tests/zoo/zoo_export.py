"""The export side of the zoo: ``jbert export`` of a fine-tuned zoo model, ``jbert predict`` on the
export, and the row-by-row comparison with predict on the original directory.

``same_predictions`` asserts what a user swapping the original for its fp32 ONNX export relies on:
one output row per input row, same ids and order, same labels / entities / answers, and scores
and probabilities within ``TOLERANCE``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

TOLERANCE = 1e-4  # fp32 ONNX Runtime vs torch: kernels differ in summation order, not in precision


def export(model: Path, valid: Path, out: Path, quantize: str | None = None) -> dict[str, Any]:
    """``jbert export --format onnx [--quantize int8]``: fp32 must agree fully, int8 is only measured."""
    from jbert.export.run import ExportConfig, run_export

    result = run_export(ExportConfig(model=str(model), output=str(out), format="onnx", quantize=quantize,
                                     data=str(valid), min_agreement=0.0 if quantize else 1.0))
    assert result.record == json.loads((out / "jbert_export.json").read_text(encoding="utf-8"))
    return result.record


def predict(model: Path, valid: Path, out: Path, batch_size: int = 32,
            max_length: int | None = None) -> list[dict[str, Any]]:
    """``jbert predict --model MODEL VALID -o OUT [--batch-size N] [--max-length L]``, its rows."""
    from jbert import api
    from jbert.inference import PredictConfig

    api.predict(PredictConfig(model=str(model), inputs=[str(valid)], output=str(out), batch_size=batch_size,
                              max_length=max_length))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def longer_rows(valid: Path, out: Path) -> Path:
    """The JSONL rows with every text field four times over (ids and labels kept; entity offsets still
    point into the first copy): read at a longer ``max_length``, longer than any sequence the export
    was traced with."""
    rows = [json.loads(line) for line in valid.read_text(encoding="utf-8").splitlines()]
    longer = [{k: v * 4 if isinstance(v, str) and "id" not in k and k != "label" else v for k, v in row.items()}
              for row in rows]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in longer), encoding="utf-8")
    return out


def graph_inputs(path: Path) -> set[str]:
    """The input names of an ONNX graph, as ONNX Runtime reads them."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return {i.name for i in session.get_inputs()}


def check_record(record: dict[str, Any], rows: int, quantize: str | None) -> None:
    """The record names the graph file and holds agreement figures over every validation row."""
    figures = record["agreement"]
    assert record["format"] == "onnx" and record["quantize"] == quantize
    assert record["file"] == ("model.int8.onnx" if quantize else "model.onnx")
    assert figures["rows"] == rows > 1
    assert 0.0 <= figures["agreement"] <= 1.0 and figures["measure"]
    assert all(math.isfinite(v) and v > 0 for v in record["rows_per_second"].values())
    if quantize is None:
        assert figures["agreement"] == 1.0, figures


def same_predictions(original: list[dict[str, Any]], exported: list[dict[str, Any]]) -> None:
    """Row by row: same keys, ids, labels, entities and answers; numbers within ``TOLERANCE``."""
    assert len(exported) == len(original) > 1
    for a, b in zip(original, exported, strict=True):
        assert set(a) == set(b) and a["id"] == b["id"], (a, b)
        for key in a:
            _same(a[key], b[key], f"{a['id']}.{key}")


def _same(a: Any, b: Any, where: str) -> None:
    """Equal, except floats (anywhere inside dicts and lists), which may differ by ``TOLERANCE``."""
    if isinstance(a, float) or isinstance(b, float):
        assert b == pytest.approx(a, rel=TOLERANCE, abs=TOLERANCE), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where
