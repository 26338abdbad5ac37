"""Fixtures: fine-tuned model directories for every head (see tests/_finetuned.py)."""

from _finetuned import MODELS, finetuned  # noqa: F401
