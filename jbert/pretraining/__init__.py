"""Masked-LM pre-training and continued (domain-adaptive) pre-training: ``jbert pretrain``.

Built on the training core (``jbert.training``) like fine-tuning. May import: ``jbert.training``,
``jbert.models``, ``jbert.tokenization``, ``jbert.readers``, ``jbert.config`` and the shared leaves; never
``jbert.api``, the CLI or a later stage.
"""

from jbert.pretraining.config import PretrainConfig

__all__ = ["PretrainConfig"]
