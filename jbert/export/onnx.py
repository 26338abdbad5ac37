"""ONNX export: the graph and its int8 quantization (``jbert.inference.onnx_model`` runs them).

Why not optimum: optimum / optimum-onnx (2.1 / 0.1) pin transformers < 5 and would downgrade the
transformers 5 jbert runs on, so the graph is written with torch's own maintained exporter
(``torch.onnx.export(dynamo=True)``) and quantized with ONNX Runtime's ``quantize_dynamic``:
int8 weights, activations quantized per batch at run time (no calibration data needed).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.inference.onnx_model import require_onnx  # noqa: F401 (re-exported for the export formats)

logger = logging.getLogger(__name__)


def _graph_module(model: Any, input_names: Sequence[str], output_names: Sequence[str]) -> Any:
    """``model`` taking positional inputs and returning only ``output_names`` (no loss, no hidden states)."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: Any) -> tuple[Any, ...]:
            out = self.model(**dict(zip(input_names, args, strict=True)))
            return tuple(out[k] for k in output_names)

    return Graph().eval()


def export_onnx(model: Any, batch: Mapping[str, Any], output_names: Sequence[str], path: Path) -> None:
    """Write ``model`` (fp32, eval mode) as ONNX with every axis of every input dynamic.

    ``batch``: one collated batch of the model inputs the head feeds (their names become the graph's)."""
    import torch
    from torch.export import Dim

    # The predictor records the batch under torch.inference_mode(); tracing such tensors fails in the
    # exporter's preferred non-strict capture, which then falls back to the slower dynamo (strict) one.
    # A clone made here, outside inference mode, is a normal tensor.
    batch = {k: v.clone() for k, v in batch.items()}
    names = list(batch)
    wrapped = _graph_module(model, names, output_names)
    # Dim.AUTO: batch, choices and sequence length stay symbolic wherever the model lets them.
    shapes = tuple({i: Dim.AUTO for i in range(batch[k].dim())} for k in names)
    # The exporter reports its progress on stdout and warns about torchvision ops BERT never uses.
    quiet = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    debug = logger.isEnabledFor(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(sys.stderr if debug else io.StringIO()), warnings.catch_warnings():
            if not debug:  # torch's own deprecations inside its exporter (a LeafSpec FutureWarning): not the user's
                warnings.simplefilter("ignore", FutureWarning)
            torch.onnx.export(wrapped, tuple(batch[k] for k in names), str(path), input_names=names,
                              output_names=list(output_names), dynamic_shapes=(shapes,), dynamo=True,
                              external_data=False, verbose=False)
    except Exception as exc:  # the exporter raises many types; the user needs the one line
        raise ConfigError(f"torch.onnx.export failed for this model ({_reason(exc)}); "
                          "rerun with -v for the traceback, or try --format torch") from exc
    finally:
        quiet.setLevel(level)


def _reason(exc: BaseException) -> str:
    """The exporter's own one-line cause (its message is a page of advice around it)."""
    cause = exc.__cause__ or exc
    lines = [line for line in str(cause).splitlines() if line.startswith("<class")]
    return lines[0] if lines else f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the MatMul weights (ONNX Runtime's recommended CPU scheme for BERT)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = source.with_suffix(".pre.onnx")
    # ORT's documented pre-processing (shape inference + graph optimisation) before quantizing.
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8)
    prepared.unlink()
