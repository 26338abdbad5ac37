"""`jbert distill` under `accelerate launch` with two CPU processes: the node's main process runs the
teacher, the other rank reads its outputs from the cache; the ranks split the batches; one directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jbert.inference.loading import load_finetuned

REPO = Path(__file__).resolve().parents[2]
JGLUE = REPO / "tests" / "data" / "jglue"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_run_the_teacher_once(finetuned, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "accelerate.commands.accelerate_cli", "launch", "--config_file",
           str(REPO / "configs" / "accelerate" / "cpu_2proc.yaml"), "--main_process_port", str(_free_port()),
           "-m", "jbert", "-v", "distill", "--teacher", str(finetuned("pair-regression")), "--student-layers", "1",
           "--train", str(JGLUE / "jsts-train.jsonl"), "--valid", str(JGLUE / "jsts-valid.jsonl"), "--output", str(out),
           "--epochs", "1", "--batch-size", "8", "--set", "training.progress_bar=false"]
    env = {k: v for k, v in os.environ.items() if k != "ACCELERATE_USE_CPU"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**env, "TOKENIZERS_PARALLELISM": "false"})
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert log.count("train: teacher outputs computed for 64 features (rank 0)") == 1
    assert log.count("train: teacher outputs read from") == 1 and "(rank 1)" in log
    steps = max(json.loads(line).get("step", 0) for line in (out / "train_log.jsonl").read_text().splitlines())
    assert steps == 4  # 64 rows, 2 ranks x 8 a step: the ranks split the batches
    assert log.count("distilled model written to") == 1
    assert load_finetuned(out, device="cpu").model.config.num_hidden_layers == 1
