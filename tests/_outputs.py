"""Helpers for tests of what commands write (tests/writers/test_outputs.py, tests/cli/test_outputs_cli.py):
another live process holding an output's lock, a umask, and dropping root's right to write anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A second process that takes the lock on argv[1], starts writing it through atomic_output (as
# `jbert predict` does) or makes an export work directory, says so and waits to be killed.
_HOLDER = """
import sys, time
from pathlib import Path
from jbert.writers.outputs import output_lock, temp_dir
from jbert.writers import atomic_output
target = Path(sys.argv[1])
if sys.argv[2] == "file":
    with atomic_output(target) as stream:
        stream.write("half a row")
        stream.flush()
        print("holding", flush=True)
        time.sleep(120)
else:
    with output_lock(target):
        (temp_dir(target) / "model.onnx").write_bytes(b"half a graph")
        print("holding", flush=True)
        time.sleep(120)
"""


@contextmanager
def holder(target: Path, kind: str = "file") -> Iterator[subprocess.Popen]:
    """Another live process holding ``target``'s lock; killed with SIGKILL by the caller or at the end."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(target), kind], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"holding"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


NOBODY = 65534


@contextmanager
def unprivileged() -> Iterator[None]:
    """Root may write in a read-only folder; for a test of that case, run as nobody (effective ids only:
    root's saved id takes them back). Modules a command imports lazily must be imported beforehand:
    nobody cannot read root's site-packages."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
