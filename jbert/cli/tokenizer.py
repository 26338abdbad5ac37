"""`jbert tokenizer` command (placeholder until implemented)."""

from jbert.cli._app import app  # noqa: F401
