"""``JbertTrainer``: the ``transformers.Trainer`` subclass ``jbert.training.trainer.fit`` runs.

What it changes in the Trainer: a train order that replays exactly on resume (``jbert.training.sampling``),
evaluation in ``torch.inference_mode`` on a length-sorted eval set whose outputs are put back in
feature order before anyone sees them, and metrics even when the eval features carry no labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import Trainer

from jbert.errors import ConfigError
from jbert.training.sampling import DistinctBatchSampler, EpochLengthGroupedSampler, EpochRandomSampler


@dataclass
class Outputs:
    """What the metrics function is given: ``predictions`` as the model output them (np arrays)."""

    predictions: Any


class JbertTrainer(Trainer):
    def __init__(self, *args: Any, train_lengths: list[int] | None = None,
                 eval_order: np.ndarray | None = None, train_distinct: list | None = None, **kwargs: Any):
        metrics_fn = kwargs.pop("compute_metrics", None)
        # The eval dataset is length-sorted: un-sort outputs before metrics see them.
        kwargs["compute_metrics"] = (lambda p: metrics_fn(Outputs(self._unsort(p.predictions)))) \
            if metrics_fn else None
        super().__init__(*args, **kwargs)
        self.train_lengths = train_lengths
        self.train_distinct = train_distinct  # per row, values no other row of its batch may share
        self.eval_order = eval_order
        self.last_outputs: Any = None

    def _unsort(self, outputs: Any) -> Any:
        """Outputs of the length-sorted eval set -> feature order (row k belongs to feature order[k])."""
        if self.eval_order is None or outputs is None:
            return outputs
        if isinstance(outputs, (tuple, list)):
            return type(outputs)(self._unsort(o) for o in outputs)
        restored = np.empty_like(outputs)
        restored[self.eval_order] = outputs
        return restored

    def get_train_dataloader(self) -> Any:
        """Batches with no shared values when ``train_distinct`` is given (a batch sampler: batches may be
        short, which a plain sampler cannot express); the Trainer's own loader otherwise."""
        if self.train_distinct is None:
            return super().get_train_dataloader()
        from torch.utils.data import DataLoader

        sampler = DistinctBatchSampler(self.train_distinct, self._train_batch_size, self.args.seed,
                                       self.args.dataloader_drop_last)
        return self.accelerator.prepare(DataLoader(
            self.train_dataset, batch_sampler=sampler, collate_fn=self.data_collator,
            num_workers=self.args.dataloader_num_workers, pin_memory=self.args.dataloader_pin_memory))

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        if self.train_lengths is None:
            return EpochRandomSampler(len(self.train_dataset if train_dataset is None else train_dataset), self.args.seed)
        batch = self.args.train_batch_size * self.args.gradient_accumulation_steps
        return EpochLengthGroupedSampler(batch, self.train_lengths, self.args.seed)

    def evaluation_loop(self, dataloader: Any, description: str, prediction_loss_only: bool | None = None,
                        ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval") -> Any:
        with torch.inference_mode():
            out = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys,
                                          metric_key_prefix)
        self.last_outputs = self._unsort(out.predictions)
        # The Trainer only calls compute_metrics when the features carry labels; ours may not (QA windows).
        if self.compute_metrics is not None and out.label_ids is None and out.predictions is not None:
            task = self.compute_metrics(Outputs(out.predictions))
            out.metrics.update({f"{metric_key_prefix}_{k}": float(v) for k, v in task.items()})
        best = self.args.metric_for_best_model
        if best and metric_key_prefix == "eval" and f"eval_{best}" not in out.metrics:
            names = ", ".join(sorted(k.removeprefix("eval_") for k in out.metrics))
            raise ConfigError(f"primary metric {best!r} is not among the metrics computed ({names})")
        return out
