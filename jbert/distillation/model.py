"""``DistillModel``: the student with the distillation loss, as the training core trains it.

The core's trainer calls ``model(**batch)`` and reads ``loss``; wrapping the student keeps the core
task-free and unchanged: a batch that carries the teacher's targets (``teacher_*``, from
``jbert.distillation.data``) gets the mixed loss of ``jbert.distillation.losses``; a validation batch, the
gold loss alone. Outputs are the student's, so evaluation decodes them as for any fine-tuned model.
A student that carries its own training loss (the embedding head's bi-encoder: MNRL, CoSENT ..., one
number for a batch) has it taken out: the student then gives its vectors alone, and the loss runs here on
the labelled rows only (``gold_loss``; SoftmaxLoss's classifier trains with it).
Checkpoints hold the wrapper's weights (``student.*``, ``gold_loss.*`` and, with hidden-state matching
between widths, ``project.*``); only the student is saved at the end.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from jbert.distillation.losses import HIDDEN, OutputKind, combine, hidden_mse

TEACHER = "teacher_"  # batch keys holding the teacher's targets
_DROPPED = ("loss", "hidden_states", "attentions")


class DistillModel(nn.Module):
    def __init__(self, student: nn.Module, kind: OutputKind, *, alpha: float, temperature: float,
                 hidden_weight: float = 0.0, teacher_width: int | None = None):
        super().__init__()
        self.student = student
        self.kind, self.alpha, self.temperature, self.hidden_weight = kind, alpha, temperature, hidden_weight
        width = student.config.hidden_size
        # TinyBERT's learned W_h: one projection for every matched layer, only when the widths differ
        self.project = nn.Linear(width, teacher_width) if hidden_weight and teacher_width not in (None, width) else None
        self.gold_loss = student.loss if kind.own_loss else None  # the bi-encoder's MNRL, CoSENT ... (or None)
        if kind.own_loss:
            student.loss = None  # computed here, on the labelled rows, not by the student on every row

    @property
    def config(self) -> Any:
        return self.student.config

    def forward(self, labelled: torch.Tensor | None = None, token_mask: torch.Tensor | None = None,
                text_mask: torch.Tensor | None = None, **batch: torch.Tensor) -> Any:
        teacher = {k[len(TEACHER):]: batch.pop(k) for k in list(batch) if k.startswith(TEACHER)}
        labels = {k: batch.pop(k) for k in self.kind.label_names if k in batch}
        match_hidden = self.training and self.hidden_weight > 0 and HIDDEN in teacher
        out = self.student(**batch, **({"output_hidden_states": True} if match_hidden else {}))
        context = {**batch, **labels, "token_mask": token_mask, "text_mask": text_mask, "labelled": labelled,
                   "gold_loss": self.gold_loss}
        # a batch-level loss (MNRL) needs no labels while training; otherwise gold needs labels
        wants_gold = bool(labels) or (self.training and self.gold_loss is not None)
        gold, has_gold = self.kind.gold(out, context) if wants_gold else (None, None)
        if teacher:
            loss = self._soft_loss(out, teacher, context, gold, has_gold, labelled)
            if match_hidden:
                loss = loss + self.hidden_weight * self._hidden_loss(out, teacher[HIDDEN], batch["attention_mask"])
        elif gold is not None:
            loss = (gold * has_gold).sum() / has_gold.sum().clamp(min=1)
        else:
            loss = None
        kept = {k: v for k, v in out.items() if k not in _DROPPED}
        # a plain dict output (the bi-encoder's) keeps no None entry: the trainer would take it for an output
        return type(out)(**({"loss": loss} if loss is not None else {}), **kept)

    def _soft_loss(self, out: Any, teacher: dict[str, torch.Tensor], context: dict[str, Any],
                   gold: torch.Tensor | None, has_gold: torch.Tensor | None, labelled: torch.Tensor | None) -> torch.Tensor:
        soft = self.kind.soft(out, teacher, context, self.temperature)
        rows = soft.shape[0]
        if gold is None:
            gold, has_gold = soft.new_zeros(rows), torch.zeros(rows, dtype=torch.bool, device=soft.device)
        labelled = labelled.bool() if labelled is not None else torch.ones_like(has_gold)
        return combine(soft, gold, has_gold, labelled, self.alpha)

    def _hidden_loss(self, out: Any, teacher: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Student layers 1..N against the cached teacher layers; multiple choice flattens its choices
        into rows, as the model does."""
        seq, layers, width = teacher.shape[-3:]
        teacher = teacher.reshape(-1, seq, layers, width)
        mask = attention_mask.reshape(-1, attention_mask.shape[-1])
        project = self.project if self.project is not None else (lambda x: x)
        return hidden_mse(out.hidden_states[1:], teacher, mask, project)
