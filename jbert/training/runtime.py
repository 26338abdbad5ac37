"""Process-wide run-time settings the command line applies once, before any tensor exists.

glibc's allocator hands every freed block above its (adaptive) mmap threshold back to the
kernel and trims the heap top after each free. A CPU training or inference step allocates and
frees the same few-MiB activations hundreds of times, so each step pays fresh page faults and
zeroing: measured on the benchmark's L4/H256 BERT (2-core Zen 4, torch 2.13), a training step
took 201 ms with glibc's defaults and 166 ms with the settings below, and inference ran at 594
instead of 695 pairs/s on its first pass. PyTorch's CPU tuning guide answers this with
jemalloc/tcmalloc through LD_PRELOAD, which a pip package cannot arrange; ``mallopt`` reaches the
same steady state from inside the process. Only the CLI calls this: it owns its process, while a
library caller of ``jbert.api`` keeps its own allocator policy. Set ``JBERT_MALLOC_TUNING=0`` to
keep glibc's defaults (RSS then shrinks back after peaks, at the cost above).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

logger = logging.getLogger(__name__)

# mallopt parameter numbers from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

# Blocks up to 32 MiB (glibc's maximum mmap threshold on 64-bit) are reused from the heap;
# the heap is never trimmed and grows in 64 MiB steps. All three must be set together: setting
# any one turns glibc's adaptive threshold off and would leave the 128 KiB default in force.
_SETTINGS = ((_M_MMAP_THRESHOLD, 32 * 1024 * 1024), (_M_TRIM_THRESHOLD, 2**31 - 1), (_M_TOP_PAD, 64 * 1024 * 1024))

_applied: bool | None = None


def tune_allocator() -> bool:
    """Keep freed tensor memory in the process (glibc only); True when the settings took effect."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if os.environ.get("JBERT_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other libcs have no mallopt: keep their defaults
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _applied = all(mallopt(param, value) == 1 for param, value in _SETTINGS)
    if not _applied:
        logger.debug("mallopt refused the allocator settings; glibc defaults stay")
    return _applied
