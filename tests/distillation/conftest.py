"""Fixtures: fine-tuned teacher directories for every head (tests/_finetuned.py)."""

from _finetuned import finetuned  # noqa: F401
