"""``jbert`` command line. Each command lives in its own module and registers on ``app``."""

from jbert.cli import (  # noqa: E402,F401  (registration)
    data,
    embed,
    evaluate,
    export,
    finetune,
    model,
    predict,
    pretrain,
    report,
    tokenizer,
)
from jbert.cli._app import app, main

__all__ = ["app", "main"]
