"""The entry point itself: what it leaves behind when a command ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from jbert.cli import main


def test_a_process_group_is_shut_down_when_the_command_ends(tmp_path: Path) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        with pytest.raises(SystemExit) as done:
            main(["--help"])
        assert done.value.code == 0
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
