"""Export formats: how an exported directory is written (``jbert.inference.runtimes`` loads it).

An exported directory is a fine-tuned directory (``jbert.models.directory``: jbert_config.yaml, tokenizer
files, config.json) whose weights are replaced by the format's own files, plus ``jbert_export.json``
(format, quantization, measured agreement). ``load_exported`` reads that record to choose the
runtime, so no caller branches on the format.

  onnx    model.onnx, run by ONNX Runtime; --quantize int8: ONNX Runtime dynamic int8 (MatMul weights)
  torch   the original safetensors; --quantize int8: torch's dynamic int8 (``nn.Linear``), applied at
          load time because a dynamically quantized torch model has no portable saved form
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.inference.runtimes import EXPORT_FILE, is_weights, load_exported, read_record  # noqa: F401
from jbert.registry import Registry

QUANTIZATIONS = (None, "int8")


@dataclass(frozen=True)
class ExportFormat:
    """``write(source_dir, model, batch, output_names, out_dir, quantize) -> weight file name``;
    ``require()`` raises the missing-extra error. Loading is the runtime's (``jbert.inference.runtimes``)."""

    write: Callable[..., str]
    require: Callable[[], None] = lambda: None


FORMATS: Registry[ExportFormat] = Registry("export format")


def _write_onnx(source: Path, model: Any, batch: Mapping[str, Any], outputs: Sequence[str], out: Path,
                quantize: str | None) -> str:
    from jbert.export.onnx import export_onnx, quantize_int8

    if quantize is None:
        export_onnx(model, batch, outputs, out / "model.onnx")
        return "model.onnx"
    fp32 = out / "model.fp32.onnx"
    export_onnx(model, batch, outputs, fp32)
    quantize_int8(fp32, out / "model.int8.onnx")
    fp32.unlink()
    return "model.int8.onnx"


def _require_onnx() -> None:
    from jbert.export.onnx import require_onnx

    require_onnx()


def _write_torch(source: Path, model: Any, batch: Mapping[str, Any], outputs: Sequence[str], out: Path,
                 quantize: str | None) -> str:
    weights = [f for f in source.iterdir() if f.is_file() and f.name.startswith("model") and is_weights(f)]
    for f in weights:
        shutil.copyfile(f, out / f.name)  # new files: the umask's mode, not the source's
    return weights[0].name if weights else ""


FORMATS.register("onnx")(ExportFormat(_write_onnx, _require_onnx))
FORMATS.register("torch")(ExportFormat(_write_torch))
