"""The reranker head: pairs (binary cross-entropy) or groups (listwise loss), padding of uneven groups,
sigmoid scores, one-line errors for bad labels and groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _retrieval_data import reranker_rows, write_jsonl

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError
from jbert.heads import get_head
from jbert.heads.reranker_model import listwise_loss
from jbert.readers import read

SPEC = load_spec("reranker")


def rows(tmp_path: Path, **kwargs) -> list[Example]:
    return list(read(write_jsonl(tmp_path / "r.jsonl", reranker_rows(**kwargs)), SPEC))


def example(line: int, label, group=None, query="q") -> Example:
    fields = {"query_id": group} if group is not None else {}
    return Example(id=str(line), line=line, source="r.jsonl", text=query, text_pair="d", label=label, fields=fields)


def test_pairs_without_group_ids(tmp_path, fast_tokenizer) -> None:
    head = get_head("reranker")(SPEC)
    examples = rows(tmp_path, grouped=False, limit=3)
    features = head.encode(examples, fast_tokenizer, EncodeOptions(max_length=64))
    assert len(features) == 9 and [f["labels"] for f in features[:3]] == [1.0, 0.0, 0.0]
    batch = head.collator(fast_tokenizer)(features[:4])
    assert batch["input_ids"].shape[0] == 4 and batch["labels"].dtype == torch.float32
    assert head.reference_values(examples)[0] == (f"query:{examples[0].text}", 1)


def test_groups_of_uneven_size_are_padded(tmp_path, fast_tokenizer, tiny_model_dir) -> None:
    head = get_head("reranker")(SPEC)
    examples = rows(tmp_path, limit=2)[:5]  # a group of three, then a group of two
    features = head.encode(examples, fast_tokenizer, EncodeOptions(max_length=32))
    assert [f["example_indices"] for f in features] == [[0, 1, 2], [3, 4]]
    batch = head.collator(fast_tokenizer)(features)
    assert batch["input_ids"].shape[:2] == (2, 3)
    assert batch["attention_mask"][1, 2].sum() == 0 and batch["labels"].tolist() == [[1, 0, 0], [1, 0, -100]]
    model = head.model(str(tiny_model_dir)).eval()
    with torch.no_grad():
        out = model(**batch)
    assert out.logits.shape == (2, 3) and out.logits[1, 2] == -100 and out.loss > 0
    predictions = head.decode(out.logits.numpy(), features, examples, EncodeOptions())
    pairs = head.encode(examples, fast_tokenizer, EncodeOptions(max_length=32, train=False))  # prediction: pairs
    with torch.no_grad():
        single = model(**head.collator(fast_tokenizer)(pairs)).logits[:, 0]
    expected = torch.sigmoid(single).numpy()
    np.testing.assert_allclose([p.score for p in predictions], expected, atol=1e-5)


def test_listwise_loss_is_softmax_cross_entropy_over_normalised_relevance() -> None:
    logits = torch.tensor([[2.0, 0.0, 1.0], [0.5, -1.0, -100.0]])
    labels = torch.tensor([[1.0, 0.0, 0.0], [2.0, 2.0, -100.0]])
    present = torch.tensor([[True, True, True], [True, True, False]])
    first = -torch.log_softmax(logits[0], 0)[0]
    second = -(0.5 * torch.log_softmax(logits[1, :2], 0)).sum()
    assert listwise_loss(logits, labels, present) == pytest.approx(((first + second) / 2).item())


@pytest.mark.parametrize(("examples", "message"), [
    ([example(1, 1, "a"), example(2, 0, "a"), example(3, 1)], "r.jsonl:3: no 'query_id'"),
    ([example(1, 1, "a"), example(2, 0, "b"), example(3, 1, "b")], "r.jsonl:1: group 'a' has one document"),
    ([example(1, 0, "a"), example(2, 0, "a")], "r.jsonl:1: group 'a' has no relevant document"),
    ([example(1, 0.5)], "r.jsonl:1: label 0.5 is not a relevance"),
    ([example(1, "yes")], "r.jsonl:1: label 'yes' is not a relevance"),
    ([example(1, None)], "r.jsonl:1: no label"),
])
def test_bad_rows_are_one_line_errors(examples, message, fast_tokenizer) -> None:
    with pytest.raises(DataFormatError) as exc:
        get_head("reranker")(SPEC).encode(examples, fast_tokenizer, EncodeOptions(max_length=16))
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_booleans_and_graded_labels() -> None:
    head = get_head("reranker")(SPEC)
    assert [head.target(example(1, v)) for v in (True, False, 2, "3", 1.0)] == [1, 0, 2, 3, 1]


def test_saving_writes_the_inner_model_with_the_sigmoid_activation(tiny_model_dir, tmp_path) -> None:
    from transformers import AutoConfig, AutoModelForSequenceClassification

    model = get_head("reranker")(SPEC).model(str(tiny_model_dir))
    gathered = {k: v.clone() for k, v in model.state_dict().items()}  # as FSDP gathers them: the wrapper's keys
    assert all(k.startswith("model.") for k in gathered)
    model.save_pretrained(tmp_path, state_dict=gathered)
    config = AutoConfig.from_pretrained(tmp_path)
    assert config.num_labels == 1 and config.sentence_transformers["activation_fn"].endswith("Sigmoid")
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert torch.equal(loaded.classifier.weight, model.model.classifier.weight)


def test_training_loss_chooses_pairs_or_groups(tmp_path, fast_tokenizer) -> None:
    grouped = rows(tmp_path, limit=2)  # two queries, each with its documents and a query id
    head = get_head("reranker")(SPEC)
    head.choose_loss("bce", grouped)  # every row one pair, binary cross-entropy, whatever its group
    features = head.encode(grouped, fast_tokenizer, EncodeOptions(max_length=64))
    assert len(features) == len(grouped) and isinstance(features[0]["labels"], float)
    head.choose_loss(None, grouped)  # unset: groups where the rows have ids
    assert len(head.encode(grouped, fast_tokenizer, EncodeOptions(max_length=64))) == 2
    with pytest.raises(ConfigError, match="a reranker trains with bce or listwise"):
        head.choose_loss("mnrl", grouped)
    with pytest.raises(DataFormatError, match="training.loss=listwise ranks query groups, but no row has a 'query_id'"):
        head.choose_loss("listwise", rows(tmp_path, grouped=False, limit=1))
