"""Fixtures: fine-tuned teacher directories for every head (tests/_finetuned.py), and the teacher's
forward passes counted (to show the teacher runs once)."""

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
