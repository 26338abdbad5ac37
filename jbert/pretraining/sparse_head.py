"""Masked-LM training that runs the prediction head on the masked positions only.

``BertForMaskedLM`` (and its RoBERTa/DeBERTa kin) computes logits for EVERY position, ``[batch, seq,
vocab]``, then ignores the 85% that are not masked: with a 32k vocabulary that head costs as much as
several encoder layers. Google's original BERT code gathers the masked positions first; so does this.
The loss is the same number (cross-entropy averaged over the masked tokens), only cheaper.

Each architecture names its encoder and head differently, and some heads take more than the hidden
states (DeBERTa-v2's takes the word embeddings), so ``SPARSE_HEADS`` maps a model class name to its
encoder attribute and a ``head(model, hidden[n, hidden]) -> logits[n, vocab]`` written after that
class's ``forward`` in transformers 5 (``modeling_<type>.py``); tests/pretraining/test_sparse_head.py
checks each against the dense forward. An unknown class keeps the dense head (same loss, slower).

The model's ``forward`` is replaced on the instance (not a subclass), so the model saves and loads
exactly as before, and DDP still calls it through its own wrapper (gradients stay synced). In eval mode
with labels (the held-out set) the head also runs on the masked positions only and the output's
``logits`` are ``masked_row_counts``, per row [summed loss, correct, masked], which is all the held-out
metrics read: the dense ``[batch, seq, vocab]`` logits of a 64-block eval batch were 262 MB, twice over
in the cross-entropy, and made evaluation the peak of a pre-training run's memory. Without labels, or
with an input the encoder is not given here, the original ``forward`` runs.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

logger = logging.getLogger(__name__)
# what the encoder is given besides input_ids/attention_mask, when the batch has them (None: left out)
ENCODER_INPUTS = ("token_type_ids", "position_ids")


@dataclass(frozen=True)
class SparseHead:
    encoder: str  # the attribute holding the base model
    head: Callable[[Any, torch.Tensor], torch.Tensor]  # (model, hidden [n, hidden]) -> logits [n, vocab]


def _deberta_v2(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    if model.legacy:  # LegacyDebertaV2OnlyMLMHead, as BERT's
        return model.cls(hidden)
    return model.lm_predictions(hidden, model.deberta.embeddings.word_embeddings)


def _distilbert(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    x = model.vocab_layer_norm(model.activation(model.vocab_transform(hidden)))
    return model.vocab_projector(x)


SPARSE_HEADS: dict[str, SparseHead] = {
    "BertForMaskedLM": SparseHead("bert", lambda m, h: m.cls(h)),
    "RobertaForMaskedLM": SparseHead("roberta", lambda m, h: m.lm_head(h)),
    "XLMRobertaForMaskedLM": SparseHead("roberta", lambda m, h: m.lm_head(h)),
    "CamembertForMaskedLM": SparseHead("roberta", lambda m, h: m.lm_head(h)),
    "DebertaV2ForMaskedLM": SparseHead("deberta", _deberta_v2),
    "ElectraForMaskedLM": SparseHead("electra", lambda m, h: m.generator_lm_head(m.generator_predictions(h))),
    "DistilBertForMaskedLM": SparseHead("distilbert", _distilbert),
    "ModernBertForMaskedLM": SparseHead("model", lambda m, h: m.decoder(m.head(h))),
}


def use_sparse_head(model: Any) -> bool:
    """Patch ``model.forward`` when its class is in ``SPARSE_HEADS``; True if it did."""
    spec = SPARSE_HEADS.get(type(model).__name__)
    encoder = getattr(model, spec.encoder, None) if spec else None
    if spec is None or encoder is None:
        logger.info("no masked-positions-only head for %s: the dense head runs (same loss, slower)",
                    type(model).__name__)
        return False
    if getattr(model, "sparse_prediction", False):
        # ModernBERT's own sparse_prediction returns [masked, vocab] logits in eval too, which the held-out
        # metrics cannot line up with labels; this head does the same in training (the config stays as saved)
        model.sparse_prediction = False
    dense = model.forward

    def forward(self: Any, input_ids: Any = None, attention_mask: Any = None, labels: Any = None,
                **kwargs: Any) -> Any:
        given = {k: v for k, v in kwargs.items() if v is not None}
        if labels is None or set(given) - set(ENCODER_INPUTS):
            return dense(input_ids=input_ids, attention_mask=attention_mask, labels=labels, **kwargs)
        from transformers.modeling_outputs import MaskedLMOutput

        hidden = encoder(input_ids=input_ids, attention_mask=attention_mask, **given)[0]  # [batch, seq, hidden]
        masked = labels != -100
        logits = spec.head(self, hidden[masked])  # [masked tokens, vocab]
        if self.training:
            return MaskedLMOutput(loss=torch.nn.functional.cross_entropy(logits.float(), labels[masked]))
        counts = masked_row_counts(logits, labels[masked], masked.nonzero()[:, 0], labels.shape[0])
        return MaskedLMOutput(loss=counts[:, 0].sum() / counts[:, 2].sum().clamp(min=1), logits=counts)

    model.forward = types.MethodType(forward, model)
    return True


def masked_row_counts(logits: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor, batch: int) -> torch.Tensor:
    """``[batch, 3]``: per row, the summed cross-entropy, the correct predictions and the number of masked
    tokens, from the logits ``[n, vocab]`` of n masked tokens, their labels and the row each is in."""
    loss = torch.nn.functional.cross_entropy(logits.float(), labels, reduction="none")
    hits = (logits.argmax(-1) == labels).float()
    counts = torch.zeros(batch, 3, dtype=torch.float32, device=logits.device)
    for column, values in enumerate((loss, hits, torch.ones_like(loss))):
        counts[:, column].index_add_(0, rows, values)
    return counts
