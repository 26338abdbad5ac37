import pytest
import torch

from jbert.heads.collate import PaddingCollator


class Tok:
    pad_token_id = 7


def test_pads_model_inputs_and_drops_metadata():
    features = [
        {"input_ids": [2, 5, 6, 3], "attention_mask": [1, 1, 1, 1], "token_type_ids": [0, 0, 1, 1],
         "labels": [-100, 1, 2, -100], "example_index": 0, "offset_mapping": [None, (0, 1), (1, 2), None]},
        {"input_ids": [2, 3], "attention_mask": [1, 1], "token_type_ids": [0, 0], "labels": [-100, -100],
         "example_index": 1, "offset_mapping": [None, None]},
    ]
    batch = PaddingCollator(Tok())(features)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels"}
    assert batch["input_ids"].tolist() == [[2, 5, 6, 3], [2, 3, 7, 7]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    assert batch["token_type_ids"].tolist() == [[0, 0, 1, 1], [0, 0, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 1, 2, -100], [-100, -100, -100, -100]]
    assert batch["input_ids"].dtype == torch.int64


def test_scalar_targets_keep_their_type():
    collate = PaddingCollator(Tok())
    classes = collate([{"input_ids": [2, 3], "labels": 1}, {"input_ids": [2], "labels": 0}])
    assert classes["labels"].dtype == torch.int64 and classes["labels"].tolist() == [1, 0]
    scores = collate([{"input_ids": [2, 3], "labels": 3.8}, {"input_ids": [2], "labels": 0.0}])
    assert scores["labels"].dtype == torch.float32
    qa = collate([{"input_ids": [2, 3], "start_positions": 1, "end_positions": 1}])
    assert qa["start_positions"].tolist() == [1] and qa["end_positions"].tolist() == [1]


def test_pad_to_multiple_of():
    batch = PaddingCollator(Tok(), pad_to_multiple_of=8)([{"input_ids": [1, 2, 3]}, {"input_ids": [1] * 9}])
    assert batch["input_ids"].shape == (2, 16)


def test_multiple_choice_pads_to_batch_choices_seq():
    features = [
        {"input_ids": [[2, 4, 3], [2, 4, 5, 6, 3]], "attention_mask": [[1, 1, 1], [1, 1, 1, 1, 1]], "labels": 1},
        {"input_ids": [[2, 3], [2, 8, 3]], "attention_mask": [[1, 1], [1, 1, 1]], "labels": 0},
    ]
    batch = PaddingCollator(Tok())(features)
    assert batch["input_ids"].shape == (2, 2, 5)
    assert batch["input_ids"][1, 0].tolist() == [2, 3, 7, 7, 7]
    assert batch["attention_mask"][0, 0].tolist() == [1, 1, 1, 0, 0]
    assert batch["labels"].tolist() == [1, 0]


def test_different_numbers_of_choices_in_a_batch():
    with pytest.raises(ValueError, match="different numbers of choices"):
        PaddingCollator(Tok())([{"input_ids": [[1], [2]]}, {"input_ids": [[1], [2], [3]]}])


def test_only_the_tokenizers_model_inputs_pass():
    """A tokenizer aligned to a RoBERTa/DistilBERT-type model (jbert.models.inputs) names no token types:
    a feature that still carries them does not reach the model; targets always do."""

    class RobertaTok(Tok):
        model_input_names = ["input_ids", "attention_mask"]

    features = [{"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1], "token_type_ids": [0, 1, 1], "labels": 1}]
    batch = PaddingCollator(RobertaTok())(features)
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
