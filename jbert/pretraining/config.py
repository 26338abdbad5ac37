"""The pre-training config: the model, encoding and training sections of fine-tuning, plus the
corpus and the masking. Layering as everywhere: configs/pretrain/mlm.yaml <- --config <- flags <- --set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jbert.config.run import EncodingConfig, ModelConfig, TrainingConfig, check_encoding, validate_training
from jbert.config.sections import Section, SectionedConfig
from jbert.errors import ConfigError

RECIPE = "pretrain/mlm"
MASKINGS = ("whole-word", "token")
DOCUMENT_MODES = ("auto", "line", "paragraph")


@dataclass
class CorpusConfig(Section):
    files: list[str] = field(default_factory=list)  # plain text or JSONL (with field)
    field: str | None = None  # JSONL: the key holding each document's text
    documents: str = "auto"  # text files: line = one document a line; paragraph = blank-line separated
    valid: str | None = None  # held-out file; else valid_fraction of the documents is held out
    valid_fraction: float = 0.01
    num_proc: int | None = None  # tokenizing processes (None: one)
    cache_dir: str | None = None  # Arrow cache (None: the datasets library's default cache)
    encoding: str = "utf-8"  # the corpus files' text encoding (gzip-compressed files are read as they are)


@dataclass
class MlmConfig(Section):
    probability: float = 0.15  # share of tokens to predict
    masking: str = "whole-word"  # whole-word: every sub-token of a chosen word; token: tokens alone


@dataclass
class PretrainConfig(SectionedConfig):
    model: ModelConfig = field(default_factory=ModelConfig)
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    mlm: MlmConfig = field(default_factory=MlmConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def validate(self) -> None:
        validate_training(self.training, {"encoding.max_length": self.encoding.max_length})
        if self.encoding.max_length < 8:
            raise ConfigError(f"encoding.max_length must be at least 8 for pre-training, got {self.encoding.max_length}")
        if not 0 < self.mlm.probability < 1:
            raise ConfigError(f"mlm.probability must be in (0, 1), got {self.mlm.probability}")
        if self.mlm.masking not in MASKINGS:
            raise ConfigError(f"mlm.masking must be one of {', '.join(MASKINGS)}, got {self.mlm.masking!r}")
        if self.corpus.documents not in DOCUMENT_MODES:
            raise ConfigError(f"corpus.documents must be one of {', '.join(DOCUMENT_MODES)}, "
                              f"got {self.corpus.documents!r}")
        check_encoding(self.corpus.encoding)
        if not 0 <= self.corpus.valid_fraction < 1:
            raise ConfigError(f"corpus.valid_fraction must be in [0, 1), got {self.corpus.valid_fraction}")
