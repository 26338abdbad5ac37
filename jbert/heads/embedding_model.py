"""The bi-encoder the embedding head trains and runs: a transformer (``AutoModel``) -> pooling ->
optional L2 normalisation, as sentence-transformers' Transformer -> Pooling -> Normalize chain computes
it, so a saved directory gives the same vectors in ``SentenceTransformer(DIR).encode``.

Inputs are ``[batch, texts, seq]`` (a row's texts: anchor, positive, negatives ...; one text for
encoding), padded like multiple choice; the output ``embeddings`` is ``[batch, texts, dim]``. While
training, the first column and the other columns run as two forwards, each cut to its own longest
row (short queries are not padded to their documents' length: sentence-transformers does the same);
evaluation and export run one forward over every column, with no data-dependent shapes.

>>> model = EmbeddingModel(AutoModel.from_pretrained(path), StSettings(pooling="mean"))
>>> model(input_ids=ids, attention_mask=mask)["embeddings"].shape   # [batch, texts, hidden]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from jbert.models.st_format import StSettings, write_st

_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "position_ids")


def pool(tokens: Tensor, attention_mask: Tensor, pooling: str) -> Tensor:
    """``[n, seq, dim]`` token vectors -> ``[n, dim]`` (right-padded rows, as jbert's collator pads)."""
    if pooling == "cls":
        return tokens[:, 0]
    if pooling == "last":  # the last real token of each row
        last = (attention_mask.sum(dim=1) - 1).clamp(min=0)
        return tokens[torch.arange(tokens.shape[0], device=tokens.device), last]
    # mean over real tokens, accumulated in float32 under bf16/fp16 (sentence-transformers does the same)
    accumulate = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else tokens.dtype
    mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
    total = (tokens * mask).sum(dim=1, dtype=accumulate)
    count = mask.sum(dim=1, dtype=accumulate).clamp(min=1e-9)
    return (total / count).to(tokens.dtype)


class EmbeddingModel(nn.Module):
    """``encoder`` (a transformers ``AutoModel``) with pooling; ``loss`` (``jbert.heads.embedding_losses``)
    is computed while training, and at evaluation when labels are given."""

    def __init__(self, encoder: nn.Module, settings: StSettings, loss: nn.Module | None = None):
        super().__init__()
        self.encoder = encoder
        self.settings = settings
        self.loss = loss

    @property
    def config(self) -> Any:
        return self.encoder.config

    @property
    def dimension(self) -> int:
        return int(self.encoder.config.hidden_size)

    def embed(self, input_ids: Tensor, attention_mask: Tensor, **inputs: Tensor) -> Tensor:
        """``[n, seq]`` -> ``[n, dim]``."""
        tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **inputs)[0]
        pooled = pool(tokens, attention_mask, self.settings.pooling)
        return F.normalize(pooled, p=2, dim=-1) if self.settings.normalize else pooled

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None, token_type_ids: Tensor | None = None,
                position_ids: Tensor | None = None, labels: Tensor | None = None) -> dict[str, Tensor]:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        inputs = {k: v for k, v in zip(_INPUTS, (input_ids, attention_mask, token_type_ids, position_ids),
                                       strict=True) if v is not None}
        texts = input_ids.shape[1]
        if self.training and texts > 1:
            embeddings = torch.cat([self._columns(inputs, 0, 1), self._columns(inputs, 1, texts)], dim=1)
        else:
            embeddings = self._columns(inputs, 0, texts)
        out = {"embeddings": embeddings}
        if self.loss is not None and (self.training or labels is not None):
            out = {"loss": self.loss(embeddings, labels), **out}
        return out

    def _columns(self, inputs: dict[str, Tensor], start: int, stop: int) -> Tensor:
        """Embeddings ``[batch, stop - start, dim]`` of columns ``start:stop`` in one forward."""
        batch, length = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
        if self.training:  # cut to these columns' longest row (a Python int: fine outside export)
            length = int(inputs["attention_mask"][:, start:stop].sum(dim=-1).max())
        flat = {k: v[:, start:stop, :length].reshape(-1, length) for k, v in inputs.items()}
        return self.embed(**flat).view(batch, stop - start, -1)

    def save_pretrained(self, path: str | Path, state_dict: dict[str, Tensor] | None = None, **kwargs: Any) -> None:
        """A sentence-transformers directory: the encoder's weights and config, then the module files.
        The loss (SoftmaxLoss's classifier) is training-only and is not saved."""
        if state_dict is not None:
            state_dict = {k.removeprefix("encoder."): v for k, v in state_dict.items() if k.startswith("encoder.")}
        self.encoder.save_pretrained(path, state_dict=state_dict, **kwargs)
        write_st(path, self.settings, self.dimension)
