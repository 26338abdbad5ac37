"""Fixtures: fine-tuned model directories for every head (see tests/_finetuned.py)."""

from _finetuned import finetuned, jglue_dir  # noqa: F401
