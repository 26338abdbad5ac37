"""Fixtures: fine-tuned teacher directories for every head (tests/_finetuned.py), the teacher's
forward passes counted (to show the teacher runs once), and a student directory of another width."""

import shutil
from pathlib import Path

import pytest
from _finetuned import finetuned  # noqa: F401


@pytest.fixture
def forwards(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every teacher forward pass, counted (the batch size of each)."""
    from jbert.distillation import teacher

    calls: list[int] = []
    real = teacher._forward

    def counted(model, inputs, hidden):
        calls.append(int(inputs["input_ids"].shape[0]))
        return real(model, inputs, hidden)

    monkeypatch.setattr(teacher, "_forward", counted)
    return calls


@pytest.fixture
def wide_student(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A one-layer BERT of width 48 (the teachers' is 32) with the teachers' tokenizer files."""
    import torch
    from transformers import BertConfig, BertModel

    out = tmp_path / "wide"
    vocab = len((tiny_model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    torch.manual_seed(1)
    BertModel(BertConfig(vocab_size=vocab, hidden_size=48, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=96)).save_pretrained(out)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(tiny_model_dir / name, out / name)
    return out
