"""Masked-LM training that runs the prediction head on the masked positions only.

``BertForMaskedLM`` (and its RoBERTa/DeBERTa kin) computes logits for EVERY position, ``[batch, seq,
vocab]``, then ignores the 85% that are not masked: with a 32k vocabulary that head costs as much as
several encoder layers. Google's original BERT code gathers the masked positions first; so does this.
The loss is the same number (cross-entropy averaged over the masked tokens), only cheaper.

The model's ``forward`` is replaced on the instance (not a subclass), so the model saves, loads and
evaluates exactly as before, and DDP still calls it through its own wrapper (gradients stay synced).
In eval mode, or without labels, the original ``forward`` runs.
"""

from __future__ import annotations

import types
from typing import Any

import torch


def use_sparse_head(model: Any) -> bool:
    """Patch ``model.forward`` when the model has a recognised MLM head; True if it did."""
    head = getattr(model, "cls", None) or getattr(model, "lm_head", None)
    encoder = getattr(model, getattr(model, "base_model_prefix", ""), None)
    if head is None or encoder is None:
        return False
    dense = model.forward

    def forward(self: Any, input_ids: Any = None, attention_mask: Any = None, token_type_ids: Any = None,
                labels: Any = None, **kwargs: Any) -> Any:
        if not self.training or labels is None or kwargs:
            return dense(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         labels=labels, **kwargs)
        from transformers.modeling_outputs import MaskedLMOutput

        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = encoder(input_ids=input_ids, attention_mask=attention_mask, **extra)[0]  # [batch, seq, hidden]
        masked = labels != -100
        logits = head(hidden[masked])  # [masked tokens, vocab]
        loss = torch.nn.functional.cross_entropy(logits.float(), labels[masked])
        return MaskedLMOutput(loss=loss)

    model.forward = types.MethodType(forward, model)
    return True
