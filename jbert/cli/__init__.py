"""``jbert`` command line. Each command lives in its own module and registers on ``app``."""

from jbert.cli._app import app, main
from jbert.cli import tokenizer, model, finetune, evaluate, predict  # noqa: E402,F401  (registration)

__all__ = ["app", "main"]
