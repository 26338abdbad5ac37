"""How a loaded model runs over rows: the settings ``predict``, ``eval`` and ``export`` share.

Each has one default and one check here; the CLI's flags default to these values (``jbert predict
--help`` shows them) and the configs of the three commands extend ``RunSettings``.
"""

from __future__ import annotations

from dataclasses import dataclass

from jbert.config.encoding import EncodingConfig
from jbert.errors import ConfigError


@dataclass(kw_only=True)
class RunSettings:
    batch_size: int = 32  # examples per forward pass
    device: str | None = None  # None / auto: the CUDA GPU when there is one, else the CPU
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (jbert.config.precision: auto is fp32 on a CPU)
    max_length: int | None = None  # None: the model's own (its jbert_config.yaml); clamped to what it reads
    chunk_size: int = 10_000  # rows read, predicted and written at a time: memory stays flat

    def check(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.chunk_size < 1:
            raise ConfigError(f"--chunk-size must be at least 1, got {self.chunk_size}")
        if self.max_length is not None:
            EncodingConfig(max_length=self.max_length)  # the one validation of encoding settings
