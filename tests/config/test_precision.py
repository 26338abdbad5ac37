"""jbert.config.precision: one rule for training and inference; never half precision on a CPU by itself."""

import pytest
import torch

import jbert.config.precision as precision_module
from jbert.config.precision import resolve_precision
from jbert.errors import ConfigError


def test_precision_never_picks_half_precision_on_cpu(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("CPU-only behaviour")

    for native in (False, True):  # auto stays fp32 even on a CPU with native bf16
        monkeypatch.setattr(precision_module, "cpu_has_bf16", lambda native=native: native)
        assert resolve_precision("auto") == "fp32"
        assert resolve_precision("fp32") == "fp32"
        with pytest.raises(ConfigError, match="--precision fp16 needs a CUDA GPU"):
            resolve_precision("fp16")
    monkeypatch.setattr(precision_module, "cpu_has_bf16", lambda: False)
    with pytest.raises(ConfigError, match="--precision bf16 needs a CUDA GPU"):
        resolve_precision("bf16")
    monkeypatch.setattr(precision_module, "cpu_has_bf16", lambda: True)
    assert resolve_precision("bf16") == "bf16"  # explicit, and the CPU does bf16 natively
