"""Streaming prediction: read in chunks, encode per chunk, length-sorted batches under
``torch.inference_mode()``, decode, write in input order (``jbert predict``, ``jbert eval``)."""

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
