"""Whole-word masking: property tests on the masks (jbert.pretraining.masking)."""

import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jbert.pretraining.masking import MlmCollator, choose_masked, mask_tokens, word_index

# a row: -1 special, 1 word start, 0 continuation (a row may begin inside a word, as a packed block can)
rows = st.lists(st.lists(st.sampled_from([-1, 0, 1, 1]), min_size=1, max_size=40), min_size=1, max_size=6)


def _padded(batch):
    width = max(len(r) for r in batch)
    return torch.tensor([[1 if i == 0 and r[0] == 0 else v for i, v in enumerate(r)] + [-1] * (width - len(r))
                         for r in batch])


def _words(row):
    """Lists of token positions, one per word, as the Tohoku rule reads them."""
    words, current = [], None
    for i, s in enumerate(row):
        if s == 1:
            current = [i]
            words.append(current)
        elif s == 0 and current is not None:
            current.append(i)
        elif s == -1:
            current = None
    return words


@settings(max_examples=200, deadline=None)
@given(rows, st.floats(0.05, 0.5), st.integers(0, 2**31 - 1))
@example([[0, 1, 1]], 0.49999999999999994, 0)  # found by hypothesis: a float32 budget rounded up past n * p
def test_whole_words_are_masked_together_within_the_budget(batch, probability, seed):
    starts = _padded(batch)
    chosen = choose_masked(starts, probability, whole_word=True, generator=torch.Generator().manual_seed(seed))
    for b, row in enumerate(starts.tolist()):
        words = _words(row)
        picked = [w for w in words if chosen[b, w[0]]]
        for w in words:  # all of a word or none of it
            assert len({bool(chosen[b, i]) for i in w}) == 1
        assert not any(chosen[b, i] for i, s in enumerate(row) if s == -1)  # specials never
        budget = max(1, round(sum(s >= 0 for s in row) * probability))
        n = sum(len(w) for w in picked)
        if words:
            assert picked, "at least one word per row"
            assert n <= budget or len(picked) == 1  # a single word may exceed a tiny budget


@settings(max_examples=100, deadline=None)
@given(rows, st.integers(0, 2**31 - 1))
def test_token_masking_ignores_word_boundaries(batch, seed):
    starts = _padded(batch)
    chosen = choose_masked(starts, 0.15, whole_word=False, generator=torch.Generator().manual_seed(seed))
    for b, row in enumerate(starts.tolist()):
        tokens = sum(s >= 0 for s in row)
        assert int(chosen[b].sum()) == (max(1, round(tokens * 0.15)) if tokens else 0)
        assert not any(chosen[b, i] for i, s in enumerate(row) if s == -1)


def test_word_index_numbers_words_per_row():
    starts = torch.tensor([[-1, 1, 0, 1, -1, 1, 0, 0, -1]])
    assert word_index(starts, True).tolist() == [[-1, 0, 0, 1, -1, 2, 2, 2, -1]]
    assert word_index(starts, False).tolist() == [[-1, 0, 1, 2, -1, 3, 4, 5, -1]]


def test_80_10_10_replacement():
    """Over many chosen tokens: ~80% [MASK], ~10% a random id, ~10% unchanged; labels hold the originals."""
    ids = torch.randint(10, 1000, (64, 128), generator=torch.Generator().manual_seed(0))
    starts = torch.ones_like(ids)
    inputs, labels = mask_tokens(ids, starts, probability=0.5, whole_word=True, mask_id=4, vocab_size=1000,
                                 generator=torch.Generator().manual_seed(1))
    chosen = labels != -100
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    n = int(chosen.sum())
    masked = int((inputs[chosen] == 4).sum()) / n
    kept = int((inputs[chosen] == ids[chosen]).sum()) / n
    assert abs(masked - 0.8) < 0.02 and abs(kept - 0.1) < 0.02  # random ids rarely equal the original


class _Tok:
    pad_token_id, mask_token_id = 0, 4

    def __len__(self):
        return 100


def test_collator_pads_and_keeps_premasked_features():
    collate = MlmCollator(_Tok(), 0.15)
    batch = collate([{"input_ids": [2, 10, 11, 3], "word_starts": [-1, 1, 0, -1]},
                     {"input_ids": [2, 12, 3], "word_starts": [-1, 1, -1]}])
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["labels"][1, 3] == -100 and (batch["labels"] != -100).sum() >= 2  # one word a row at least
    fixed = collate([{"input_ids": [2, 4, 3], "labels": [-100, 10, -100]}])
    assert fixed["input_ids"].tolist() == [[2, 4, 3]] and fixed["labels"].tolist() == [[-100, 10, -100]]


def test_collator_writes_positions_from_zero_when_the_model_takes_them():
    """rinna's RoBERTa: 0 .. width-1 in every row, in training batches and in the held-out ones."""
    rows = [{"input_ids": [2, 10, 11, 3], "word_starts": [-1, 1, 0, -1]}, {"input_ids": [2, 12, 3], "word_starts": [-1, 1, -1]}]
    assert "position_ids" not in MlmCollator(_Tok(), 0.15)(rows)
    collate = MlmCollator(_Tok(), 0.15, position_ids=True)
    assert collate(rows)["position_ids"].tolist() == [[0, 1, 2, 3], [0, 1, 2, 3]]
    held_out = collate([{"input_ids": [2, 4, 3], "labels": [-100, 10, -100]}])
    assert held_out["position_ids"].tolist() == [[0, 1, 2]] and held_out["position_ids"].dtype == torch.long
