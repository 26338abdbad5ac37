"""Which numeric precision to run a model in: one rule for training and for inference.

torch is imported inside the functions: this module sits under the CLI's import path, and
``jbert --help`` should not pay for torch.
"""

from __future__ import annotations

from typing import Any

from jbert.errors import ConfigError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_has_bf16() -> bool:
    """Native bf16 matmuls (AVX512-BF16 or AMX): only then is CPU bf16 faster, not ~150x slower."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def resolve_precision(requested: str, device_type: str | None = None) -> str:
    """auto -> bf16 on a CUDA GPU with bf16 support, else fp32 (auto never picks half precision on a CPU:
    without native support CPU bf16 is two orders of magnitude slower). An explicit bf16 on a CPU is
    accepted only when the CPU has native bf16; fp16 on a CPU is refused. ``device_type``: "cuda" or
    "cpu" when the caller has chosen one (default: CUDA when a GPU is visible)."""
    import torch

    if requested not in PRECISIONS:
        raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    cuda = torch.cuda.is_available() if device_type is None else device_type == "cuda"
    if requested == "auto":
        return "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
    if requested == "bf16" and not cuda and cpu_has_bf16():
        return "bf16"
    if requested in ("bf16", "fp16") and not cuda:
        raise ConfigError(f"--precision {requested} needs a CUDA GPU (or, for bf16, a CPU with native bf16) and "
                          "none is visible; use --precision fp32 (or auto)")
    if requested == "bf16" and not torch.cuda.is_bf16_supported():
        raise ConfigError("this GPU does not support bf16; use --precision fp16 or fp32")
    return requested


def autocast_dtype(precision: str) -> Any:
    """The autocast ``torch.dtype`` of a resolved precision (None: plain fp32)."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
