"""``jbert embed`` and ``jbert predict`` under ``accelerate launch`` with two CPU processes (gloo): one
output, written by rank 0, equal to the one-process output (same rows, same order, vectors within 1e-5,
the same predictions), the same errors file and row counts, and the closing summary printed once.

The input has an odd number of good rows (9) in chunks of 4, so the blocks the ranks get are uneven
(2 + 2, 2 + 2, 1 + 0), plus two bad rows under ``--on-error skip``: one the reader rejects (every rank
reads it) and one the model's head rejects (only the rank whose block holds it sees it).
Launching processes costs seconds each: one launch per command, marked slow; the rest is fast.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _outputs import hidden, holder

from jbert.errors import ConfigError
from jbert.inference.embed import EmbedConfig, run_embed
from jbert.inference.predict import PredictConfig, run_predict
from jbert.inference.shards import Shards

REPO = Path(__file__).resolve().parents[2]
CPU_2PROC = REPO / "configs" / "accelerate" / "cpu_2proc.yaml"
MARC = REPO / "tests" / "data" / "marc_ja" / "valid.jsonl"
ROWS_IN, ROWS_OUT = 11, 9
SUMMARY = f"rows in: {ROWS_IN}, rows out: {ROWS_OUT}, rows in error: 2"


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> Path:
    """MARC-ja rows as ``{"review_id", "sentence"}`` (9 good ones, twice the 8 of the file but the last)
    with an unreadable line (3) and a null sentence (7)."""
    good = [json.loads(line) for line in MARC.read_text(encoding="utf-8").splitlines()]
    good = [{"review_id": f"r{i}", "sentence": r["sentence"]} for i, r in enumerate((good * 2)[:ROWS_OUT])]
    lines = [json.dumps(r, ensure_ascii=False) for r in good]
    lines.insert(2, "{not json")
    lines.insert(6, json.dumps({"review_id": "bad", "sentence": None}))
    path = tmp_path_factory.mktemp("shards") / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _launch(args: list[str]) -> str:
    """``accelerate launch --config_file cpu_2proc.yaml -m jbert ARGS`` from the repo root, as a user
    would (no ACCELERATE_USE_CPU); stdout and stderr together. Tried once more on a new port where
    another process took the rendezvous port in between (a race of the harness, not of jbert)."""
    env = {k: v for k, v in os.environ.items() if k != "ACCELERATE_USE_CPU"}
    env.update(TOKENIZERS_PARALLELISM="false", PYTHONPATH=f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}")
    for attempt in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [sys.executable, "-m", "accelerate.commands.accelerate_cli", "launch", "--config_file",
               str(CPU_2PROC), "--main_process_port", str(port), "-m", "jbert", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
        if proc.returncode == 0 or attempt == 1 or "address already in use" not in proc.stderr.lower():
            break
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _errors(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_embed_two_processes_write_the_one_process_output(finetuned, rows, tmp_path):
    model = finetuned("embedding")
    one, two = tmp_path / "one.npy", tmp_path / "two.npy"
    summary = run_embed(EmbedConfig(model=str(model), inputs=[str(rows)], output=str(one), text_column="sentence",
                                    id_column="review_id", on_error="skip", chunk_size=4, batch_size=2, device="cpu"))
    assert (summary.rows_in, summary.rows_out, summary.rows_error) == (ROWS_IN, ROWS_OUT, 2)
    log = _launch(["-q", "embed", "--model", str(model), str(rows), "--output", str(two), "--text-column",
                   "sentence", "--id-column", "review_id", "--on-error", "skip", "--chunk-size", "4",
                   "--batch-size", "2"])
    assert log.count(SUMMARY) == 1, log[-3000:]  # printed by rank 0 alone
    assert np.load(two).shape == (ROWS_OUT, 32) and np.abs(np.load(two) - np.load(one)).max() <= 1e-5
    assert (tmp_path / "two.ids.jsonl").read_text() == (tmp_path / "one.ids.jsonl").read_text()
    assert _errors(Path(f"{two}.errors.jsonl")) == _errors(Path(f"{one}.errors.jsonl"))
    assert [e["line"] for e in _errors(Path(f"{two}.errors.jsonl"))] == [3, 7]
    assert hidden(tmp_path) == []  # no lock or temp file left by either rank


@pytest.mark.slow
def test_predict_two_processes_write_the_one_process_output(finetuned, rows, tmp_path):
    model = finetuned("classification")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    summary = run_predict(PredictConfig(model=str(model), inputs=[str(rows)], output=str(one), on_error="skip",
                                        chunk_size=4, batch_size=2, device="cpu"))
    assert (summary.rows_in, summary.rows_out, summary.rows_error) == (ROWS_IN, ROWS_OUT, 2)
    log = _launch(["-q", "predict", "--model", str(model), str(rows), "--output", str(two), "--on-error", "skip",
                   "--chunk-size", "4", "--batch-size", "2"])
    assert log.count(SUMMARY) == 1, log[-3000:]
    ours, theirs = _errors(two), _errors(one)
    assert [r["id"] for r in ours] == [r["id"] for r in theirs] == [f"r{i}" for i in range(ROWS_OUT)]
    for a, b in zip(ours, theirs, strict=True):
        assert a["label"] == b["label"] and a["sentence"] == b["sentence"]
        assert a["probabilities"] == pytest.approx(b["probabilities"], abs=1e-5)
    assert _errors(Path(f"{two}.errors.jsonl")) == _errors(Path(f"{one}.errors.jsonl"))
    assert hidden(tmp_path) == []


def test_one_process_is_a_run_of_its_own(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    shards = Shards.start("cpu", ["-"])
    assert (shards.rank, shards.world, shards.main, shards.device, shards.state) == (0, 1, True, "cpu", None)
    assert shards.total(3) == 3
    with shards.on_main(open(os.devnull)) as (stream,):  # noqa: SIM115 (entered by on_main)
        assert not stream.closed
    assert stream.closed


def test_stdin_cannot_be_shared(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match=r"stdin \(-\) cannot be shared by several processes"):
        Shards.start("cpu", ["a.jsonl", "-"])


def test_embed_refuses_an_output_another_process_is_writing(finetuned, rows, tmp_path):
    out = tmp_path / "v.npy"
    with holder(out) as proc:
        with pytest.raises(ConfigError, match=rf"v.npy is being written by another jbert process \(pid {proc.pid}"):
            run_embed(EmbedConfig(model=str(finetuned("embedding")), inputs=[str(rows)], output=str(out),
                                  text_column="sentence", on_error="skip", device="cpu"))
        assert not out.exists()


# --- the mechanism on its own: two gloo ranks (torch.multiprocessing.spawn), a stand-in predictor -------


class _Predictor:
    """Predictor.predict's contract: a row whose text is "bad" is one the head rejects (a DataFormatError
    at its line), dropped and reported with ``skip_errors``."""

    def predict(self, examples, skip_errors=False):
        from jbert.data import Prediction, RowError
        from jbert.errors import DataFormatError

        pairs, errors = [], []
        for ex in examples:
            if ex.text == "bad":
                error = DataFormatError(ex.source, ex.line, "the head rejects this row", "fix it")
                if not skip_errors:
                    raise error
                errors.append(RowError.from_error(error, ex.id))
            else:
                pairs.append((ex, Prediction(id=ex.id, line=ex.line, score=float(ex.line))))
        return pairs, errors


def _items() -> list:
    """11 rows: line 4 unreadable (every rank reads it), line 9 rejected by the head (one rank's block)."""
    from jbert.data import Example, RowError

    return [RowError("x.jsonl", n, "invalid JSON") if n == 4 else
            Example(id=f"r{n}", line=n, source="x.jsonl", text="bad" if n == 9 else "ok") for n in range(1, 12)]


def _rank(rank: int, port: int) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE="2", LOCAL_WORLD_SIZE="2", OMP_NUM_THREADS="1")
    shards = Shards.start("cpu", ["x.jsonl"])
    try:
        _check_rank(shards, rank)
    finally:  # a group left to the interpreter's exit can abort the process ("terminate called ...")
        dist.destroy_process_group()


def _check_rank(shards: Shards, rank: int) -> None:
    from contextlib import contextmanager

    from jbert.errors import DataFormatError

    assert (shards.rank, shards.world, shards.device) == (rank, 2, "cpu")
    out = list(shards.stream(_Predictor(), _items(), chunk_size=5, skip_errors=True))
    if rank == 0:  # chunks of 5 items: the pairs in input order, the errors of both kinds sorted by line
        assert [[ex.id for ex, _ in pairs] for pairs, _ in out] == [["r1", "r2", "r3", "r5"],
                                                                    ["r6", "r7", "r8", "r10"], ["r11"]]
        assert [[(e.line, e.id) for e in errors] for _, errors in out] == [[(4, None)], [(9, "r9")], []]
    else:
        assert out == []  # the other ranks predict their blocks and hand them over
    assert shards.total(rank + 1) == 3
    # --on-error fail: the head's error on one rank is raised on both (neither waits for the other)
    with pytest.raises(DataFormatError, match=r"^x.jsonl:9: the head rejects this row \(fix it\)$"):
        list(shards.stream(_Predictor(), _items(), chunk_size=5))

    @contextmanager
    def locked():
        raise ConfigError("out.jsonl is being written by another jbert process")
        yield

    # rank 0 failing to take the output is raised on rank 1 as well, which never enters the manager
    with pytest.raises(ConfigError, match="being written by another"), shards.on_main(locked()):
        pass
    assert shards.total(1) == 2  # both ranks still in step after the errors


def test_ranks_share_rows_errors_and_failures():
    import torch.multiprocessing

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_rank, args=(port,), nprocs=2, join=True)
