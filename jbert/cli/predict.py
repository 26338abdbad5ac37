"""`jbert predict` command (placeholder until implemented)."""

from jbert.cli._app import app  # noqa: F401
