import numpy as np
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from jbert.heads._util import softmax, truncated_rows


def word_tokenizer():
    backend = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1, "a": 2, "b": 3}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]")


def test_truncation_is_exact_with_tokenizers_encodings():
    batch = word_tokenizer()(["a b a", "a b a b", "a"], truncation=True, max_length=3)
    assert truncated_rows(batch, 3) == [False, True, False]  # "a b a" fills max_length without a cut


def test_truncation_without_encodings_counts_full_rows():
    assert truncated_rows({"input_ids": [[1, 2, 3], [1, 2]]}, 3) == [True, False]


def test_softmax_rows_sum_to_one_and_survive_large_logits():
    p = softmax(np.array([[1000.0, 0.0], [1.0, 1.0]]))
    assert np.allclose(p.sum(axis=-1), 1.0) and p[0, 0] == 1.0 and p[1, 0] == 0.5
