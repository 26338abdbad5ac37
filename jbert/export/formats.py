"""Export formats: how an exported directory is written and how ``jbert predict``/``eval`` load it.

An exported directory is a fine-tuned directory (``jbert.modeldir``: jbert_config.yaml, tokenizer
files, config.json) whose weights are replaced by the format's own files, plus ``jbert_export.json``
(format, quantization, measured agreement). ``load_exported`` reads that record to choose the
runtime, so no caller branches on the format.

  onnx    model.onnx, run by ONNX Runtime; --quantize int8: ONNX Runtime dynamic int8 (MatMul weights)
  torch   the original safetensors; --quantize int8: torch's dynamic int8 (``nn.Linear``), applied at
          load time because a dynamically quantized torch model has no portable saved form
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.registry import Registry

EXPORT_FILE = "jbert_export.json"
QUANTIZATIONS = (None, "int8")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")


@dataclass(frozen=True)
class ExportFormat:
    """``write(source_dir, model, batch, output_names, out_dir, quantize) -> weight file name``;
    ``load(out_dir, head, record) -> model``; ``require()`` raises the missing-extra error."""

    write: Callable[..., str]
    load: Callable[[Path, Any, Mapping[str, Any]], Any]
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


def _load_onnx(path: Path, head: Any, record: Mapping[str, Any]) -> Any:
    from jbert.export.onnx import OnnxModel
    from jbert.model_inputs import ModelInputs

    if record.get("model_inputs"):  # recorded at export time: no transformers config (and so no torch) needed
        return OnnxModel(path / record["file"], model_inputs=ModelInputs.from_dict(record["model_inputs"]))
    from transformers import AutoConfig  # an export made before jbert recorded them

    return OnnxModel(path / record["file"], config=AutoConfig.from_pretrained(path))


def _require_onnx() -> None:
    from jbert.export.onnx import require_onnx

    require_onnx()


def _write_torch(source: Path, model: Any, batch: Mapping[str, Any], outputs: Sequence[str], out: Path,
                 quantize: str | None) -> str:
    weights = [f for f in source.iterdir() if f.is_file() and f.name.startswith("model") and is_weights(f)]
    for f in weights:
        shutil.copyfile(f, out / f.name)  # new files: the umask's mode, not the source's
    return weights[0].name if weights else ""


def _load_torch(path: Path, head: Any, record: Mapping[str, Any]) -> Any:
    from jbert.modeling import quiet_weight_saving

    with quiet_weight_saving():
        model = head.model(str(path)).eval()
    if record.get("quantize") == "int8":
        import torch

        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


FORMATS.register("onnx")(ExportFormat(_write_onnx, _load_onnx, _require_onnx))
FORMATS.register("torch")(ExportFormat(_write_torch, _load_torch))


def is_weights(path: Path) -> bool:
    """A weights file (safetensors, bin, onnx ... or a sharded checkpoint's index)."""
    return path.suffix in WEIGHT_SUFFIXES or path.name.endswith(".safetensors.index.json")


def read_record(path: str | Path) -> dict[str, Any] | None:
    """The export record of a model directory, None for a fine-tuned (not exported) one."""
    file = Path(path) / EXPORT_FILE
    if not file.is_file():
        return None
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file}: cannot read ({exc}); export the model again") from exc
    if not isinstance(record, dict) or "format" not in record:
        raise ConfigError(f"{file}: no format in it; export the model again")
    return record


def load_exported(path: str | Path, head: Any, record: Mapping[str, Any]) -> Any:
    """The model of an exported directory, in the runtime its record names (the loader checks that the
    runtime is installed: running needs less than exporting)."""
    fmt = FORMATS.get(record["format"])
    return fmt.load(Path(path), head, record)
