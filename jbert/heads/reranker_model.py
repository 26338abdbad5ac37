"""The reranker's model: a 1-logit sequence classifier (what sentence-transformers' ``CrossEncoder`` loads)
with the reranker's two losses around it.

``input_ids [batch, seq]``: one (query, document) pair a row -> ``logits [batch, 1]``; with labels,
binary cross-entropy on the logit (relevance >= 1 is the positive class).

``input_ids [batch, docs, seq]``: one query's documents a row (padded documents have no tokens) ->
``logits [batch, docs]`` (padding -100); with labels, the listwise loss: cross-entropy between the softmax
of the group's logits and its relevance normalised to sum to 1 (with one relevant document this is the
usual softmax cross-entropy over one positive and its negatives).

Saving writes the inner model alone, with ``sentence_transformers.activation_fn`` in its config (Sigmoid,
or Identity when the model came from a cross-encoder that named it): ``CrossEncoder(DIR).predict`` then
gives the score jbert reports.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from jbert.models.cross_encoder import ACTIVATIONS

PAD = -100.0  # logits of padded documents, and the label padding (HF's ignore value)


class RerankerModel(nn.Module):
    def __init__(self, model: Any, activation: str = "sigmoid"):
        super().__init__()
        self.model = model
        self.activation = activation  # jbert's name (jbert.models.cross_encoder), saved for CrossEncoder

    @property
    def config(self) -> Any:
        return self.model.config

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **inputs: Any) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if input_ids.dim() == 2:
            logits = self.model(input_ids=input_ids, attention_mask=attention_mask, **inputs).logits
            loss = None if labels is None else nn.functional.binary_cross_entropy_with_logits(
                logits[:, 0].float(), labels.float().clamp(max=1.0))
            return SequenceClassifierOutput(loss=loss, logits=logits)
        present = attention_mask[..., 0].bool()  # [batch, docs]: [CLS] is attended in every real document
        flat = {k: v[present] if torch.is_tensor(v) and v.dim() == 3 else v for k, v in inputs.items()}
        scores = self.model(input_ids=input_ids[present], attention_mask=attention_mask[present], **flat).logits
        logits = scores.new_full(present.shape, PAD)
        logits[present] = scores[:, 0]
        loss = None if labels is None else listwise_loss(logits.float(), labels.float(), present)
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def save_pretrained(self, path: Any, state_dict: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """The inner model's directory; ``state_dict`` (weights gathered under FSDP / ZeRO-3) are this
        wrapper's, so their ``model.`` prefix goes."""
        if state_dict is not None:
            state_dict = {k.removeprefix("model."): v for k, v in state_dict.items()}
        self.model.config.sentence_transformers = {"activation_fn": ACTIVATIONS[self.activation]}
        if hasattr(self.model.config, "sbert_ce_default_activation_function"):  # the old key would come back
            del self.model.config.sbert_ce_default_activation_function
        self.model.save_pretrained(path, state_dict=state_dict, **kwargs)


def listwise_loss(logits: torch.Tensor, labels: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Mean over groups of ``listwise_rows`` (every group has a relevant document: the head checks that
    before training)."""
    return listwise_rows(logits, labels, present).mean()


def listwise_rows(logits: torch.Tensor, labels: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Per group, -sum(target * log_softmax(logits)) over its ``present`` documents; target = relevance / its
    sum in the group (0 for a group without a relevant document, or with no labels: -100 everywhere)."""
    target = labels.clamp(min=0.0) * present
    target = target / target.sum(dim=1, keepdim=True).clamp(min=1e-12)
    log_p = torch.log_softmax(logits.masked_fill(~present, float("-inf")), dim=1).masked_fill(~present, 0.0)
    return -(target * log_p).sum(dim=1)
