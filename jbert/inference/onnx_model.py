"""Running an ONNX export: an ONNX Runtime session behind the interface ``Predictor`` uses, without torch.

``jbert.export`` writes the graphs; this module only runs them, so ``jbert predict`` on an export needs
``onnxruntime`` alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError

logger = logging.getLogger(__name__)
ONNX_EXTRA = "pip install 'jbert[onnx]'"
_ONNX_MODULES = ("onnx", "onnxruntime", "onnxscript")  # exporting; running an export needs onnxruntime only


def require_onnx(modules: tuple[str, ...] = _ONNX_MODULES) -> None:
    """A one-line error naming the extra when the ONNX packages are not installed. Only ``modules`` are
    imported: onnxscript (and sympy under it) costs most of a second that a prediction run need not pay."""
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            raise ConfigError(f"ONNX export and ONNX models need the package {name!r}: {ONNX_EXTRA}") from None



def _session(ort: Any, path: Path, options: Any) -> Any:
    """An ONNX Runtime session on ``path``; a missing or damaged file is a one-line ConfigError."""
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf, NoSuchFile

    fix = "the exported directory is incomplete or damaged: copy it again, or export again"
    if not path.is_file():
        raise ConfigError(f"{path}: not found; {fix}")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except (Fail, InvalidGraph, InvalidProtobuf, NoSuchFile) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path}: ONNX Runtime cannot load it ({reason}); {fix}") from None


class OnnxModel:
    """An ONNX Runtime session behind the interface ``jbert.inference.Predictor`` uses:
    ``model.to(device).eval()`` and ``model(**inputs)`` -> a dict of output arrays.

    ``tensor_type = "np"``: it takes and returns numpy arrays, so predicting with it needs no torch.
    Inputs the graph does not take (``token_type_ids`` for a model exported without them) are
    dropped: the graph's own input names decide what it is fed. ``model_inputs``: what the exported
    architecture reads (``jbert.models.inputs.ModelInputs``), as recorded at export time."""

    tensor_type = "np"

    def __init__(self, path: str | Path, threads: int | None = None, config: Any = None,
                 model_inputs: Any = None):
        require_onnx(("onnxruntime",))
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = _session(ort, Path(path), options)
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.config = config  # the architecture's config: what inputs and length it reads (jbert.models.inputs)
        self.model_inputs = model_inputs

    def to(self, device: Any) -> OnnxModel:
        if str(device).split(":")[0] != "cpu":
            logger.warning("ONNX models run on the CPU (onnxruntime's CPU provider), not on %s", device)
        return self

    def eval(self) -> OnnxModel:
        return self

    def __call__(self, **inputs: Any) -> dict[str, Any]:
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise ConfigError(f"the ONNX graph needs input(s) {', '.join(missing)} the tokenizer did not give; "
                              "export the model again with this jbert")
        feeds = {n: _numpy(inputs[n]) for n in self.input_names}
        outputs = self.session.run(self.output_names, feeds)
        return dict(zip(self.output_names, outputs, strict=True))


def _numpy(value: Any) -> Any:
    """A numpy array of a model input (torch tensors are accepted too)."""
    return value.detach().cpu().numpy() if hasattr(value, "detach") else value
