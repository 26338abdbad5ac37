"""Vector writers: npy streamed with its header filled in at the end, parquet and JSON Lines; a failed
run leaves no file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jbert.errors import ConfigError
from jbert.writers.vectors import npy_header, open_vectors, vector_format


def _chunks():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((n, 8)).astype(np.float32) for n in (3, 0, 5)]


def _keys(start, n):
    return [{"id": f"r{i}", "line": i + 1} for i in range(start, start + n)]


def _write(path, fmt=None):
    chunks, start = _chunks(), 0
    with open_vectors(str(path), 8, fmt) as out:
        for chunk in chunks:
            out.write(_keys(start, len(chunk)), chunk)
            start += len(chunk)
    return np.concatenate(chunks)


def test_npy_streams_and_loads(tmp_path):
    expected = _write(tmp_path / "v.npy")
    loaded = np.load(tmp_path / "v.npy")
    assert loaded.dtype == np.float32 and np.array_equal(loaded, expected)
    ids = [json.loads(line) for line in (tmp_path / "v.ids.jsonl").read_text().splitlines()]
    assert ids == _keys(0, 8)
    assert np.load(tmp_path / "v.npy", mmap_mode="r").shape == (8, 8)


def test_npy_header_has_room_for_any_count():
    assert len(npy_header(0, 8)) == len(npy_header(10**15, 4096)) == 128


def test_parquet_and_jsonl(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    expected = _write(tmp_path / "v.parquet")
    table = pq.read_table(tmp_path / "v.parquet")
    assert table.column("id").to_pylist() == [k["id"] for k in _keys(0, 8)]
    assert np.array_equal(np.array(table.column("vector").to_pylist(), dtype=np.float32), expected)
    _write(tmp_path / "v.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [k["id"] for k in _keys(0, 8)]
    assert np.array_equal(np.array([r["vector"] for r in rows], dtype=np.float32), expected)


def test_empty_outputs_are_valid(tmp_path):
    with open_vectors(str(tmp_path / "e.npy"), 8):
        pass
    assert np.load(tmp_path / "e.npy").shape == (0, 8)
    pq = pytest.importorskip("pyarrow.parquet")
    with open_vectors(str(tmp_path / "e.parquet"), 8):
        pass
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0


def test_a_failed_run_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), open_vectors(str(tmp_path / "v.npy"), 8) as out:
        out.write(_keys(0, 3), _chunks()[0])
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_formats_by_extension():
    assert vector_format("a.npy") == "npy" and vector_format("-") == "jsonl"
    with pytest.raises(ConfigError, match="use .npy, .parquet or .jsonl"):
        vector_format("a.csv")
    with pytest.raises(ConfigError, match="needs a file"):
        with open_vectors("-", 8, "npy"):
            pass
