"""The student's start: layer copy (weights compared tensor by tensor), the layer maps, the tokenizer check."""

from __future__ import annotations

import shutil

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from jbert.distillation.student import (
    check_same_tokenizer,
    copied_layers,
    layer_stack,
    matched_layers,
    student_from_teacher,
)
from jbert.errors import ConfigError


def test_copied_layers_are_every_kth_from_the_first():
    assert copied_layers(12, 6) == [0, 2, 4, 6, 8, 10]  # DistilBERT: one layer out of two
    assert copied_layers(12, 4) == [0, 3, 6, 9]
    assert copied_layers(2, 1) == [0]
    for bad in (0, 12, 13):
        with pytest.raises(ConfigError, match=f"--student-layers {bad}: the teacher has 12 layers; choose 1 to 11"):
            copied_layers(12, bad)


def test_matched_layers_end_on_the_teachers_last_layer():
    assert matched_layers(12, 6) == [2, 4, 6, 8, 10, 12]
    assert matched_layers(12, 4) == [3, 6, 9, 12]
    assert matched_layers(2, 1) == [2]


def test_layer_copy_copies_the_layers_it_says():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=4, num_attention_heads=2,
                        intermediate_size=32, num_labels=3)
    teacher = BertForSequenceClassification(config)
    student = student_from_teacher(teacher, [0, 2])
    assert student.config.num_hidden_layers == 2 and len(student.bert.encoder.layer) == 2
    assert teacher.config.num_hidden_layers == 4  # the teacher's config is left alone
    theirs, ours = teacher.state_dict(), student.state_dict()
    compared = 0
    for key, value in ours.items():
        if key.startswith("bert.encoder.layer."):
            index, rest = key.removeprefix("bert.encoder.layer.").split(".", 1)
            source = f"bert.encoder.layer.{[0, 2][int(index)]}.{rest}"
        else:
            source = key  # embeddings, pooler, classifier: copied as they are
        assert torch.equal(value, theirs[source]), key
        compared += 1
    assert compared == len(ours)
    # the layers left out are really different weights (the comparison above could not pass by accident)
    assert not torch.equal(theirs["bert.encoder.layer.1.attention.self.query.weight"],
                           ours["bert.encoder.layer.1.attention.self.query.weight"])
    # and the student computes: same embeddings in, its own two layers
    ids = torch.tensor([[2, 7, 9, 3]])
    assert student(input_ids=ids).logits.shape == (1, 3)


def test_layer_stack_is_the_one_module_list_of_layers():
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2, intermediate_size=32)
    name, stack = layer_stack(BertForSequenceClassification(config))
    assert name == "bert.encoder.layer" and len(stack) == 3


def test_a_student_with_another_vocabulary_is_refused_naming_both_fingerprints(tiny_model_dir, tmp_path):
    check_same_tokenizer(str(tiny_model_dir), str(tiny_model_dir))  # the same tokenizer passes
    other = tmp_path / "other"
    shutil.copytree(tiny_model_dir, other)
    vocab = (other / "vocab.txt").read_text(encoding="utf-8").splitlines()
    (other / "vocab.txt").write_text("\n".join(vocab[:-1] + ["新語"]) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_same_tokenizer(str(tiny_model_dir), str(other))
    message = str(caught.value)
    assert message.startswith(f"--student {other} does not tokenize as the teacher does (vocab_sha256: ")
    assert "teacher [mecab/unidic_lite wordpiece, vocab " in message and ", student [mecab/unidic_lite" in message
    assert "\n" not in message


def test_a_student_without_tokenizer_files_is_refused(tiny_model_dir, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(tiny_model_dir / "config.json", bare / "config.json")
    with pytest.raises(ConfigError, match=f"--student {bare}: not a model directory with tokenizer files"):
        check_same_tokenizer(str(tiny_model_dir), str(bare))
