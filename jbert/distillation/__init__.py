"""Knowledge distillation: a smaller, faster student trained on a fine-tuned teacher's soft outputs
(``jbert distill``), on the one training core like fine-tuning and pre-training.

``run`` (the flow), ``config`` (the ``distill`` section), ``settings`` (the task, the teacher's settings
laid under the caller's, what a sweep compares), ``losses`` (the soft and gold losses per head output
kind, and the registry that picks them), ``teacher`` and ``cache`` (the teacher's outputs, computed once
and cached), ``student`` (layer-copy initialisation, the tokenizer check), ``model`` (the student wrapped
with its loss, what the trainer trains), ``data`` (training rows and batches).

May import: ``jbert.training``, ``jbert.inference``, ``jbert.heads``, ``jbert.models``, ``jbert.metrics``,
``jbert.readers``, ``jbert.tokenization``, ``jbert.config`` and the shared leaves; never ``jbert.api``,
the CLI, another run (``finetuning``, ``pretraining``) or a later stage.
"""

from jbert.distillation.config import DistillConfig

__all__ = ["DistillConfig"]
