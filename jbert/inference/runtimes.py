"""How ``jbert predict`` and ``jbert eval`` run an exported directory: its record names the runtime.

An exported directory is a fine-tuned directory (``jbert.models.directory``: jbert_config.yaml, tokenizer
files, config.json) whose weights are replaced by the format's own files, plus ``jbert_export.json``
(format, quantization, measured agreement). ``load_exported`` reads that record to choose the runtime,
so no caller branches on the format. ``jbert.export`` writes such directories.

  onnx    model.onnx, run by ONNX Runtime (no torch in the process)
  torch   the original safetensors; int8: torch's dynamic int8 (``nn.Linear``), applied at load time
          because a dynamically quantized torch model has no portable saved form
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.registry import Registry

EXPORT_FILE = "jbert_export.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")

# format name -> ``load(out_dir, head, record) -> model``
RUNTIMES: Registry[Callable[[Path, Any, Mapping[str, Any]], Any]] = Registry("export format")


@RUNTIMES.register("onnx")
def _load_onnx(path: Path, head: Any, record: Mapping[str, Any]) -> Any:
    from jbert.inference.onnx_model import OnnxModel
    from jbert.models.inputs import ModelInputs

    if record.get("model_inputs"):  # recorded at export time: no transformers config (and so no torch) needed
        return OnnxModel(path / record["file"], model_inputs=ModelInputs.from_dict(record["model_inputs"]))
    from transformers import AutoConfig  # an export made before jbert recorded them

    return OnnxModel(path / record["file"], config=AutoConfig.from_pretrained(path))


@RUNTIMES.register("torch")
def _load_torch(path: Path, head: Any, record: Mapping[str, Any]) -> Any:
    from jbert.models.initialise import quiet_weight_saving

    with quiet_weight_saving():
        model = head.model(str(path)).eval()
    if record.get("quantize") == "int8":
        import torch

        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


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
    return RUNTIMES.get(record["format"])(Path(path), head, record)
