"""``jbert`` command line. Each command lives in its own module and registers on ``app``.

May import: ``jbert.api`` and ``jbert.config`` (to build the configs the core takes), plus the stages' config
and result types; never does a stage's work itself: parse -> config -> ``jbert.api`` call -> print.
"""

from jbert.cli import (  # noqa: E402,F401  (registration)
    config,
    data,
    data_retrieval,
    distill,
    embed,
    eval_retrieval,
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
