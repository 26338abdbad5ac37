"""The student wrapped with its loss, the training rows and their batches, and that a student learns
its teacher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from jbert import api
from jbert.config.run import build_config
from jbert.distillation import DistillConfig
from jbert.distillation.cache import CachedTargets, save_targets
from jbert.distillation.data import DistillCollator, DistillDataset
from jbert.distillation.losses import combine, hidden_mse, kind_for
from jbert.distillation.model import DistillModel
from jbert.heads.collate import PaddingCollator


class Tokenizer:
    pad_token_id = 0
    model_input_names = ["input_ids", "attention_mask"]


def student_model(width: int = 16) -> BertForSequenceClassification:
    torch.manual_seed(0)
    return BertForSequenceClassification(BertConfig(vocab_size=30, hidden_size=width, num_hidden_layers=2,
                                                    num_attention_heads=2, intermediate_size=32, num_labels=3))


def batch() -> dict[str, torch.Tensor]:
    return {"input_ids": torch.tensor([[2, 5, 6, 3], [2, 7, 3, 0]]), "attention_mask": torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]),
            "labels": torch.tensor([1, -100])}


def test_the_training_loss_is_the_mixed_soft_and_gold_loss_plus_the_hidden_term():
    model = DistillModel(student_model(), kind_for("classification"), alpha=0.3, temperature=2.0, hidden_weight=0.5,
                         teacher_width=8)
    model.train()
    torch.manual_seed(1)
    teacher_logits, teacher_hidden = torch.randn(2, 3), torch.randn(2, 4, 2, 8)  # [B, S, layers, H]
    inputs = {**batch(), "teacher_logits": teacher_logits, "teacher_hidden": teacher_hidden,
              "labelled": torch.tensor([True, False])}
    torch.manual_seed(2)
    loss = model(**inputs).loss
    torch.manual_seed(2)  # the same dropout masks
    out = model.student(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], output_hidden_states=True)
    kind = kind_for("classification")
    gold, has_gold = kind.gold(out, {"labels": inputs["labels"]})
    expected = combine(kind.soft(out, {"logits": teacher_logits}, {}, 2.0), gold, has_gold, inputs["labelled"], 0.3)
    expected = expected + 0.5 * hidden_mse(out.hidden_states[1:], teacher_hidden, inputs["attention_mask"], model.project)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert model.project.in_features == 16 and model.project.out_features == 8


def test_evaluation_gets_the_students_outputs_and_the_gold_loss():
    model = DistillModel(student_model(), kind_for("classification"), alpha=0.5, temperature=2.0).eval()
    out = model(**{**batch(), "labels": torch.tensor([1, 2])})
    logits = model.student(**{k: v for k, v in batch().items() if k != "labels"}).logits
    assert torch.allclose(out.logits, logits) and "hidden_states" not in out
    assert out.loss.item() == pytest.approx(torch.nn.functional.cross_entropy(logits, torch.tensor([1, 2])).item(), rel=1e-5)
    assert model.project is None  # no hidden matching asked for


def test_rows_and_batches_carry_the_teachers_arrays_padded_to_the_input_width(tmp_path):
    kind = kind_for("token")
    features = [{"input_ids": [2, 5, 3], "attention_mask": [1, 1, 1], "offset_mapping": [None, (0, 1), None],
                 "labels": [-100, 1, -100], "example_index": 0}]
    unlabeled = [{"input_ids": [2, 5, 6, 7, 3], "attention_mask": [1] * 5,
                  "offset_mapping": [None, (0, 1), (1, 2), (2, 3), None], "example_index": 0}]
    save_targets(tmp_path / "a.arrow", [{"logits": np.ones((3, 3), dtype=np.float16)}])
    save_targets(tmp_path / "b.arrow", [{"logits": np.full((5, 3), 2.0, dtype=np.float16)}])
    dataset = DistillDataset([(features, CachedTargets(tmp_path / "a.arrow"), True),
                              (unlabeled, CachedTargets(tmp_path / "b.arrow"), False)], kind.label_names)
    assert len(dataset) == 2 and dataset[1]["labels"] == [-100] * 5 and dataset[1]["labelled"] is False
    collate = DistillCollator(PaddingCollator(Tokenizer()), kind)
    out = collate([dataset[0], dataset[1]])
    assert out["teacher_logits"].shape == (2, 5, 3) and out["teacher_logits"][0, 3:].abs().sum() == 0
    assert out["token_mask"].tolist() == [[False, True, False, False, False], [False, True, True, True, False]]
    assert out["labelled"].tolist() == [True, False] and out["labels"].shape == (2, 5)
    collate.pad_to_multiple_of = 8  # the trainer's GPU setting reaches the head's collator
    assert collate([dataset[0]])["teacher_logits"].shape == (1, 8, 3)


DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.slow
def test_a_student_learns_its_teachers_outputs(finetuned, tmp_path):
    """With alpha = 1 the loss is the KL to the teacher alone: training brings it down."""
    out = tmp_path / "out"
    cfg = build_config(cls=DistillConfig, flags={
        "distill.teacher": str(finetuned("classification")), "distill.student_layers": 1, "distill.alpha": 1.0,
        "data.train": str(DATA / "marc_ja" / "train.jsonl"), "training.output_dir": str(out),
        "training.epochs": 25, "training.batch_size": 8, "training.learning_rate": 3e-3, "training.warmup_ratio": 0.0,
        "training.logging_steps": 1, "training.progress_bar": False})
    api.distill(cfg)
    losses = [row["loss"] for row in map(json.loads, (out / "train_log.jsonl").read_text().splitlines()) if "loss" in row]
    assert len(losses) >= 40 and np.mean(losses[-5:]) < 0.3 * np.mean(losses[:5])
