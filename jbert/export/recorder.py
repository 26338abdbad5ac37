"""What the predictor feeds a model and what it reads back, caught on the original model's run.

The export is traced with a real batch of exactly the inputs ``Predictor`` gives the model (so a
model that takes no ``token_type_ids`` is exported without them) and keeps exactly the outputs
decode reads (``Predictor``'s rule: every tensor but the loss and the hidden states).
"""

from __future__ import annotations

from typing import Any

from jbert.inference.core import _NOT_OUTPUTS  # the one rule for which outputs decode reads


class Recorder:
    """Stands in for ``model`` (``to``/``eval``/call) and keeps its largest input batch."""

    def __init__(self, model: Any):
        self.model = model
        self._batch: dict[str, Any] | None = None
        self.output_names: list[str] = []

    @property
    def config(self) -> Any:
        return self.model.config

    def to(self, device: Any) -> Recorder:
        self.model = self.model.to(device)
        return self

    def eval(self) -> Recorder:
        self.model.eval()
        return self

    def __call__(self, **inputs: Any) -> Any:
        output = self.model(**inputs)
        if self._batch is None or _size(inputs) > _size(self._batch):
            self._batch = {k: v.detach().clone() for k, v in inputs.items()}
            self.output_names = [k for k in output.keys() if k not in _NOT_OUTPUTS]
        return output

    def batch(self) -> dict[str, Any]:
        """The largest batch seen; a batch of one is doubled, so the exporter keeps the batch axis dynamic."""
        import torch

        if self._batch is None:
            raise RuntimeError("the model was never called")
        first = next(iter(self._batch.values()))
        if first.shape[0] > 1:
            return self._batch
        return {k: torch.cat([v, v]) for k, v in self._batch.items()}


def _size(inputs: dict[str, Any]) -> int:
    return next(iter(inputs.values())).numel()
