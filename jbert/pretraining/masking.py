"""Masked-LM batches with whole-word masking the Tohoku way.

Why not transformers' collators: ``DataCollatorForLanguageModeling(whole_word_mask=True)`` finds
words from offsets (adjacent characters = one word), which makes a whole Japanese sentence one
word, and it drops the 80/10/10 replacement; ``DataCollatorForWholeWordMask`` needs ``##`` pieces.
Here words come from the tokenizer's word ids (MeCab words), stored as ``word_starts``.

Per row, as Google's/Tohoku's ``create_pretraining_data.py``: the budget is
``max(1, round(tokens * probability))``; words are taken in random order while they fit the budget
(the first always); each chosen token becomes ``[MASK]`` (80%), a random token (10%) or stays (10%).
Token masking is the same with every token its own word.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import TrainerCallback

from jbert.models.inputs import position_ids as positions_from_zero

LABEL_PAD = -100


def word_index(word_starts: torch.Tensor, whole_word: bool) -> torch.Tensor:
    """``[batch, seq]`` word number of each token within its row; -1 for specials and padding."""
    if whole_word:
        index = torch.cumsum((word_starts == 1).long(), dim=1) - 1
    else:
        index = torch.cumsum((word_starts >= 0).long(), dim=1) - 1
    return torch.where(word_starts >= 0, index, torch.full_like(index, -1))


def choose_masked(word_starts: torch.Tensor, probability: float, whole_word: bool,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """``[batch, seq]`` bool: the tokens to predict (whole words when ``whole_word``)."""
    words = word_index(word_starts, whole_word)
    batch, n_words = words.shape[0], int(words.max()) + 1
    if n_words <= 0:
        return torch.zeros_like(words, dtype=torch.bool)
    slot = torch.where(words >= 0, words, torch.full_like(words, n_words))  # specials -> a dump slot
    lengths = torch.zeros(batch, n_words + 1, dtype=torch.long).scatter_add_(1, slot, torch.ones_like(slot))
    lengths = lengths[:, :n_words]  # [batch, words]: tokens in each word (0: no such word in this row)
    # float64 as Python's round(n * p): in float32, 3 * 0.49999999 rounds up to 1.5, and then to 2 tokens
    budget = torch.clamp(torch.round((words >= 0).sum(1).double() * probability), min=1).long()  # [batch]
    priority = torch.rand(batch, n_words, generator=generator).masked_fill(lengths == 0, 2.0)
    order = torch.argsort(priority, dim=1)
    taken = torch.cumsum(torch.gather(lengths, 1, order), dim=1)
    chosen_sorted = (taken <= budget[:, None]) | (torch.arange(n_words) == 0)[None, :]
    chosen_sorted &= torch.gather(lengths, 1, order) > 0
    chosen = torch.zeros_like(chosen_sorted).scatter_(1, order, chosen_sorted)  # [batch, words]
    return torch.gather(chosen, 1, words.clamp(min=0)) & (words >= 0)


def mask_tokens(input_ids: torch.Tensor, word_starts: torch.Tensor, *, probability: float, whole_word: bool,
                mask_id: int, vocab_size: int, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels): chosen tokens get 80% ``[MASK]`` / 10% random / 10% kept; labels are -100
    except at the chosen tokens."""
    chosen = choose_masked(word_starts, probability, whole_word, generator)
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, LABEL_PAD))
    draw = torch.rand(input_ids.shape, generator=generator)
    inputs = input_ids.clone()
    inputs[chosen & (draw < 0.8)] = mask_id
    randomised = chosen & (draw >= 0.8) & (draw < 0.9)
    inputs[randomised] = torch.randint(vocab_size, input_ids.shape, generator=generator)[randomised]
    return inputs, labels


class MlmCollator:
    """Blocks -> padded batch with fresh masks. The masks of a batch are drawn from its own generator,
    seeded by (seed, epoch, the blocks' ``index``): not from the global RNG, whose state at a
    checkpoint is off by the batch the data loader has already fetched ahead, so a resumed run would
    mask differently. Features that already carry ``labels`` (the held-out set, masked once with a
    fixed seed) are only padded. ``MaskEpoch`` keeps ``epoch`` current. ``position_ids``: add
    ``0 .. width-1`` per row (a model pre-trained with positions from 0: ``jbert.models.inputs``)."""

    def __init__(self, tokenizer: Any, probability: float = 0.15, whole_word: bool = True,
                 pad_to_multiple_of: int | None = None, seed: int = 0, position_ids: bool = False):
        self.seed, self.epoch = seed, 0
        self.position_ids = position_ids
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.mask_id, self.vocab_size = tokenizer.mask_token_id, len(tokenizer)
        self.probability, self.whole_word = probability, whole_word
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, features: Sequence[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        ids = _pad([f["input_ids"] for f in features], width, self.pad_id)
        attention = _pad([[1] * len(f["input_ids"]) for f in features], width, 0)
        if "labels" in features[0]:
            labels = _pad([f["labels"] for f in features], width, LABEL_PAD)
        else:
            starts = _pad([f["word_starts"] for f in features], width, -1)
            ids, labels = mask_tokens(ids, starts, probability=self.probability, whole_word=self.whole_word,
                                      mask_id=self.mask_id, vocab_size=self.vocab_size,
                                      generator=self._generator([f.get("index", -1) for f in features]))
        batch = {"input_ids": ids, "attention_mask": attention, "labels": labels}
        if self.position_ids:
            batch["position_ids"] = torch.from_numpy(positions_from_zero(ids))
        return batch

    def _generator(self, indices: list[int]) -> torch.Generator:
        key = np.array([self.seed, self.epoch, *indices], dtype=np.int64).tobytes()
        return torch.Generator().manual_seed(zlib.crc32(key) * 65_537 + len(indices))


class MaskEpoch(TrainerCallback):
    """Tells the collator the epoch, so each epoch draws new masks for the same blocks."""

    def __init__(self, collator: MlmCollator):
        self.collator = collator

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # state.epoch is fractional (resumed mid-epoch: 2.5 -> epoch 2); guard 2.9999999 at a boundary
        self.collator.epoch = math.floor((state.epoch or 0) + 1e-6)


class IndexedBlocks(torch.utils.data.Dataset):
    """The training blocks with their position, which seeds their masks (``MlmCollator``)."""

    def __init__(self, blocks: Any):
        self.blocks = blocks

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, i: int) -> dict:
        return {**self.blocks[int(i)], "index": int(i)}


def _pad(rows: Sequence[Sequence[int]], width: int, value: int) -> torch.Tensor:
    out = np.full((len(rows), width), value, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return torch.from_numpy(out)


def mask_fixed(batch: dict[str, list], indices: list[int], *, seed: int, probability: float, whole_word: bool,
               mask_id: int, vocab_size: int) -> dict[str, list]:
    """``datasets.map`` function: the held-out blocks masked once, reproducibly (seeded by position),
    so every evaluation scores the same masks."""
    out: dict[str, list] = {"input_ids": [], "labels": []}
    for index, ids, starts in zip(indices, batch["input_ids"], batch["word_starts"], strict=True):
        generator = torch.Generator().manual_seed(seed * 1_000_003 + index)
        inputs, labels = mask_tokens(torch.tensor([ids]), torch.tensor([starts]), probability=probability,
                                     whole_word=whole_word, mask_id=mask_id, vocab_size=vocab_size, generator=generator)
        out["input_ids"].append(inputs[0].tolist())
        out["labels"].append(labels[0].tolist())
    return out
