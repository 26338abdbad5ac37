"""The teacher's outputs, cached on disk: computed once per teacher and data, then read by every epoch,
every resumed run, every rank of an ``accelerate launch`` run and (with ``distill.teacher_cache``) every
later student.

A split is cached as two Arrow IPC files under one key (``jbert.training.feature_cache.cache_file``):
its features (the feature cache's format) and the teacher's arrays for them. The key holds everything
that decides them: the teacher's fingerprint (a hash of its weights, of its ``jbert_config.yaml`` and
its tokenizer's fingerprint), the data file (path, size, mtime), the task's columns, the encoding
options and what is kept of the outputs; a change in any gives another file, so a stale cache is never
read.

The arrays are stored flat (one Arrow list column per name, plus each row's shape), so reading them is a
memory map and a slice, not a Python list per number, and written batch by batch as the teacher runs
(each row names its feature), so hidden states of a large split never sit in memory whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jbert.models.directory import CONFIG_FILE, tokenizer_fingerprint
from jbert.models.st_format import MODULES_FILE, POOLING_DIR, SBERT_CONFIG_FILE, ST_CONFIG_FILE
from jbert.tokenization.fingerprint import COMPARED
from jbert.training.feature_cache import cache_file

_WEIGHTS = ("*.safetensors", "*.bin")
FORMAT = 1  # bump when what is cached, or how, changes


def teacher_fingerprint(path: Path) -> dict[str, Any]:
    """What makes a teacher this teacher: its weights, its saved config (``jbert_config.yaml``, or a
    sentence-transformers directory's module files: pooling, prompts) and its tokenizer."""
    weights = hashlib.sha256()
    files = sorted(f for pattern in _WEIGHTS for f in path.glob(pattern) if f.is_file())
    for f in files:
        weights.update(f.name.encode())
        with f.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                weights.update(block)
    tokenizer = tokenizer_fingerprint(path) or {}
    return {
        "path": str(path.resolve()),
        "weights_sha256": weights.hexdigest(),
        "config_sha256": _config_hash(path),
        "tokenizer": {k: tokenizer.get(k) for k in COMPARED},
    }


def _config_hash(path: Path) -> str:
    if (path / CONFIG_FILE).is_file():
        return hashlib.sha256((path / CONFIG_FILE).read_bytes()).hexdigest()
    digest = hashlib.sha256()  # a sentence-transformers directory jbert did not write
    for f in (path / MODULES_FILE, path / ST_CONFIG_FILE, path / SBERT_CONFIG_FILE, path / POOLING_DIR / "config.json"):
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def data_key(source: Path) -> dict[str, Any]:
    stat = source.stat()
    return {"path": str(source.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def split_files(folder: Path, split: str, key: dict[str, Any]) -> tuple[Path, Path]:
    """(features file, teacher outputs file) of ``split`` under ``key``."""
    key = {**key, "format": FORMAT}
    return cache_file(folder, f"{split}-features", key), cache_file(folder, f"{split}-teacher", key)


class TargetsWriter:
    """Writes a split's teacher arrays batch by batch, in any order (each row names its feature), so a
    large split never sits in memory whole; a temporary file is renamed into place on success only.

    >>> with TargetsWriter(path) as writer:       # doctest: +SKIP
    ...     writer.write([3, 0], [{"logits": a3}, {"logits": a0}])
    """

    def __init__(self, path: Path, writer_id: str = "0"):
        self.path, self.tmp = path, path.with_suffix(f".{writer_id}.tmp")
        self._sink: Any = None
        self._writer: Any = None

    def __enter__(self) -> TargetsWriter:
        import pyarrow as pa

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sink = pa.OSFile(str(self.tmp), "wb")
        return self

    def write(self, feature_ids: Sequence[int], rows: Sequence[dict[str, np.ndarray]]) -> None:
        import pyarrow as pa

        batch = _record_batch(feature_ids, rows)
        if self._writer is None:
            self._writer = pa.ipc.new_file(self._sink, batch.schema)
        self._writer.write_batch(batch)

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self._writer is None and kind is None:
            self.write([], [])  # an empty split still gets a readable file
        if self._writer is not None:
            self._writer.close()
        self._sink.close()
        if kind is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _record_batch(feature_ids: Sequence[int], rows: Sequence[dict[str, np.ndarray]]) -> Any:
    """Arrow columns: ``feature``, and per array name a flat list column plus each row's shape."""
    import pyarrow as pa

    columns: dict[str, Any] = {"feature": pa.array(np.asarray(feature_ids, dtype=np.int64))}
    for name in (list(rows[0]) if rows else []):
        arrays = [np.ascontiguousarray(r[name]) for r in rows]
        offsets = np.cumsum([0] + [a.size for a in arrays]).astype(np.int64)
        columns[name] = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate([a.ravel() for a in arrays])))
        columns[f"{name}.shape"] = pa.array([list(a.shape) for a in arrays], type=pa.list_(pa.int64()))
    return pa.RecordBatch.from_pydict(columns)


def save_targets(path: Path, rows: Sequence[dict[str, np.ndarray]], writer_id: str = "0") -> None:
    """All of a split's rows at once, in feature order."""
    with TargetsWriter(path, writer_id) as writer:
        writer.write(range(len(rows)), rows)


class CachedTargets:
    """The teacher's arrays of one split, memory-mapped: ``targets[i]`` -> ``{name: array}`` of feature i."""

    def __init__(self, path: Path):
        import pyarrow as pa

        table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        self.names = [n for n in table.column_names if not n.endswith(".shape") and n != "feature"]
        self._values, self._offsets, self._shapes = {}, {}, {}
        for name in self.names:
            column = table.column(name).combine_chunks()
            self._values[name] = column.values.to_numpy(zero_copy_only=False)
            self._offsets[name] = column.offsets.to_numpy()
            self._shapes[name] = table.column(f"{name}.shape").to_pylist()
        order = table.column("feature").to_numpy()
        self._row = np.empty(len(order), dtype=np.int64)  # feature -> stored row
        self._row[order] = np.arange(len(order))

    def __len__(self) -> int:
        return len(self._row)

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        j = self._row[i]
        return {name: self._values[name][self._offsets[name][j]: self._offsets[name][j + 1]].reshape(self._shapes[name][j])
                for name in self.names}

    def nbytes(self) -> int:
        return sum(v.nbytes for v in self._values.values())
