"""`jbert predict` on a row far longer than one MeCab call can take: one output row, no crash.

MeCab gives up on about a million characters of one repeated kana and fugashi then dies with SIGSEGV
(exit 139, no message), so the CLI runs in a child process: a crash fails the test instead of pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the CLI starts torch and transformers in a child: ~20 s on an idle 2-core machine
def test_five_million_characters_without_punctuation_give_one_row(finetuned, tmp_path: Path) -> None:
    rows = [{"sentence": "価格も手頃で、品質にも満足しています。", "review_id": "short"},
            {"sentence": "あ" * 5_000_000, "review_id": "long"}]
    data, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "jbert", "predict", "--model", str(finetuned("classification")), str(data),
         "--output", str(out), "--device", "cpu", "--on-error", "skip"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    result = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in result] == ["short", "long"]
    assert all(len(r["probabilities"]) == 2 for r in result)
