"""Masked-LM pre-training and continued (domain-adaptive) pre-training: ``jbert pretrain``."""

from jbert.pretraining.config import PretrainConfig

__all__ = ["PretrainConfig"]
