"""``jbert`` command line. Each command lives in its own module and registers on ``app``."""

from jbert.cli import evaluate, finetune, model, predict, report, tokenizer  # noqa: E402,F401  (registration)
from jbert.cli._app import app, main

__all__ = ["app", "main"]
