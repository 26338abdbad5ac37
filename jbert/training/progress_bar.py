"""The training progress bar: one tqdm bar on stderr with the total steps and an ETA, the latest loss
and validation scores in its postfix. It replaces transformers' ProgressCallback, which writes every log
dict to stdout (``{'eval_loss': '6.627', ...}``), and its PrinterCallback, which prints them when bars
are off. The logs themselves go to OUTPUT/train_log.jsonl (``jbert.training.trainer.JsonlLogCallback``).
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from jbert.writers.progress import progress_bar

_NOT_SHOWN = ("total_flos", "epoch", "learning_rate", "grad_norm")


class TrainingBar(TrainerCallback):
    """``train`` bar over the optimizer steps (resumed runs start where they were), ``eval`` bar per
    evaluation; both on stderr, on the main process only."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.eval_bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.bar = progress_bar(state.max_steps, "train", "step", enabled=True, initial=state.global_step)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_prediction_step(self, args: Any, state: Any, control: Any, eval_dataloader: Any = None,
                           **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if self.eval_bar is None:
            total = len(eval_dataloader) if hasattr(eval_dataloader, "__len__") else None
            self.eval_bar = progress_bar(total, "eval", "batch", enabled=True)
            self.eval_bar.leave = False
        self.eval_bar.update(1)

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.eval_bar is not None:
            self.eval_bar.close()
            self.eval_bar = None

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if self.bar is None or not logs:
            return
        shown = {k.removeprefix("eval_"): v for k, v in logs.items()
                 if k not in _NOT_SHOWN and isinstance(v, float) and not k.endswith(("runtime", "per_second"))}
        if shown:
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in shown.items()}, refresh=False)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
