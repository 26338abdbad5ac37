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


def embedding_student() -> torch.nn.Module:
    from transformers import BertModel

    from jbert.heads.embedding_losses import MultipleNegativesRankingLoss
    from jbert.heads.embedding_model import EmbeddingModel
    from jbert.models.st_format import StSettings

    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=32, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    return EmbeddingModel(encoder, StSettings(pooling="mean"), MultipleNegativesRankingLoss(5.0))


def test_an_embedding_student_mixes_the_vectors_mse_with_its_own_loss_on_labelled_rows_only():
    """Two labelled anchor/positive rows and one unlabeled lone text, filled up to two texts: the loss is
    the MSE to the teacher's vectors of the real texts plus (1 - alpha) times MNRL over the labelled rows."""
    from jbert.distillation.data import fill_texts

    student = embedding_student()
    mnrl = student.loss
    model = DistillModel(student, kind_for("embedding"), alpha=0.4, temperature=2.0)
    assert model.gold_loss is mnrl and student.loss is None  # computed by the wrapper, on labelled rows
    features = [{"input_ids": [[2, 5, 3], [2, 6, 7, 3]], "attention_mask": [[1, 1, 1], [1, 1, 1, 1]]},
                {"input_ids": [[2, 8, 3], [2, 9, 3]], "attention_mask": [[1, 1, 1], [1, 1, 1]]},
                {"input_ids": [[2, 10, 11, 3]], "attention_mask": [[1, 1, 1, 1]]}]
    filled, text_mask = fill_texts(features)
    assert filled[2]["input_ids"] == [[2, 10, 11, 3], [2]] and text_mask.tolist() == [[True, True]] * 2 + [[True, False]]
    batch = PaddingCollator(Tokenizer())(filled)
    torch.manual_seed(1)
    teacher = torch.randn(3, 2, 16)
    labelled, mask = torch.tensor([True, True, False]), torch.from_numpy(text_mask)
    vectors = model.student.eval()(**batch)["embeddings"]  # no dropout: the vectors the loss sees
    loss = model.train()(**batch, teacher_vectors=teacher, labelled=labelled, text_mask=mask)["loss"]
    mse = ((vectors - teacher) ** 2).mean(-1)  # [rows, texts]
    soft = torch.stack([mse[0].mean(), mse[1].mean(), mse[2, 0]])
    gold = mnrl(vectors[:2], None)
    expected = (0.4 * soft[0] + 0.4 * soft[1] + soft[2]) / 3 + 0.6 * gold * 2 / 3
    assert loss.item() == pytest.approx(expected.item(), rel=1e-4)


def test_an_embedding_students_evaluation_outputs_are_its_vectors_and_no_empty_loss():
    model = DistillModel(embedding_student(), kind_for("embedding"), alpha=0.5, temperature=2.0).eval()
    ids = torch.tensor([[[2, 5, 3], [2, 6, 3]]])
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids))
    assert list(out) == ["embeddings"] and out["embeddings"].shape == (1, 2, 16)  # no None "loss" for the trainer
