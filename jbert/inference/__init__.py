"""Streaming prediction: read in chunks, encode per chunk, length-sorted batches under
``torch.inference_mode()``, decode, write in input order (``jbert predict``, ``jbert eval``).

Also loads a model directory to run it (``loading``) and runs exports (``runtimes``, ``onnx_model``).
May import: ``jbert.training``, ``jbert.heads``, ``jbert.models`` and everything below them; never a run
(``finetuning``, ``pretraining``), ``export`` (which builds on this package) or a later stage.
"""

from jbert.inference.core import Predictor, RowError, chunked, resolve_device
from jbert.inference.predict import PredictConfig, PredictSummary, run_predict

__all__ = [
    "PredictConfig",
    "PredictSummary",
    "Predictor",
    "RowError",
    "chunked",
    "resolve_device",
    "run_predict",
]
