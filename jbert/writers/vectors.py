"""Vectors out, one row per input row, in input order, streamed chunk by chunk (``jbert embed``).

  npy       one float32 ``[rows, dim]`` array; the ids (and lines) go to ``OUTPUT.ids.jsonl`` beside it.
            The header is written first with room for any row count and filled in at the end, so
            the vectors stream to disk and memory stays flat whatever the file's size.
  parquet   columns ``id``, ``line`` (``source`` with several inputs) and ``vector`` (fixed-size list of
            float32), one row group per chunk (pyarrow)
  jsonl     ``{"id", "line", "vector": [...]}`` a line (``-``: stdout)

Files are written through temp files beside the target and renamed into place at the end; a run that
fails leaves no output.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from jbert.errors import ConfigError
from jbert.registry import Registry
from jbert.writers import check_output_path, to_json

VECTOR_FORMATS: Registry[type[VectorWriter]] = Registry("vector format")
_EXTENSIONS = {".npy": "npy", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_NPY_HEADER = 128  # bytes: magic, version, length and a dict padded so any [rows, dim] shape fits
IDS_SUFFIX = ".ids.jsonl"


class VectorWriter:
    """``write(keys, vectors)``: ``keys`` one dict per row (id, line[, source]), ``vectors`` ``[rows, dim]``."""

    def __init__(self, path: Path | None, dimension: int):
        self.path, self.dimension, self.rows = path, dimension, 0
        self._temps: list[tuple[Path, Path]] = []  # (temp, target)

    def _temp(self, target: Path, mode: str) -> IO[Any]:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        self._temps.append((Path(name), target))
        return open(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {}))  # noqa: SIM115

    def write(self, keys: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the files (called once, on success)."""

    def commit(self) -> None:
        for temp, target in self._temps:
            os.replace(temp, target)

    def discard(self) -> None:
        for temp, _ in self._temps:
            temp.unlink(missing_ok=True)


@VECTOR_FORMATS.register("npy")
class NpyWriter(VectorWriter):
    def __init__(self, path: Path | None, dimension: int):
        super().__init__(path, dimension)
        if path is None:
            raise ConfigError("npy output needs a file (--output vectors.npy); stdout takes --format jsonl")
        self.stream = self._temp(path, "wb")
        self.ids = self._temp(path.with_name(path.name.removesuffix(".npy") + IDS_SUFFIX), "w")
        self.stream.write(npy_header(0, dimension))

    def write(self, keys: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
        self.stream.write(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
        self.ids.write("".join(to_json(k) + "\n" for k in keys))
        self.rows += len(keys)

    def close(self) -> None:
        self.stream.seek(0)
        self.stream.write(npy_header(self.rows, self.dimension))  # the real row count, same length
        self.stream.close()
        self.ids.close()


@VECTOR_FORMATS.register("parquet")
class ParquetWriter(VectorWriter):
    def __init__(self, path: Path | None, dimension: int):
        super().__init__(path, dimension)
        if path is None:
            raise ConfigError("parquet output needs a file (--output vectors.parquet); stdout takes --format jsonl")
        self.stream = self._temp(path, "wb")
        self.writer: Any = None

    def write(self, keys: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not keys:
            return
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
        columns = {name: pa.array([k[name] for k in keys]) for name in keys[0]}
        columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, self.dimension)
        table = pa.table(columns)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.stream, table.schema)
        self.writer.write_table(table)
        self.rows += len(keys)

    def close(self) -> None:
        if self.writer is None:  # no rows: an empty table with the columns it would have had
            self.write_empty()
        self.writer.close()
        self.stream.close()

    def write_empty(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("line", pa.int64()),
                            ("vector", pa.list_(pa.float32(), self.dimension))])
        self.writer = pq.ParquetWriter(self.stream, schema)


@VECTOR_FORMATS.register("jsonl")
class JsonlVectorWriter(VectorWriter):
    def __init__(self, path: Path | None, dimension: int):
        super().__init__(path, dimension)
        self.stream = self._temp(path, "w") if path is not None else sys.stdout

    def write(self, keys: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
        for key, vector in zip(keys, vectors.tolist(), strict=True):
            self.stream.write(json.dumps({**key, "vector": vector}, ensure_ascii=False) + "\n")
        self.rows += len(keys)

    def close(self) -> None:
        if self.stream is sys.stdout:
            sys.stdout.flush()
        else:
            self.stream.close()


def vector_format(path: str | None, fmt: str | None = None) -> str:
    """``--format``, else the output's extension, else (stdout) jsonl."""
    if fmt:
        VECTOR_FORMATS.get(fmt)
        return fmt
    if path in (None, "", "-"):
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ConfigError(f"--output {path}: unknown vector format {suffix or '(no extension)'!r}; use .npy, "
                          ".parquet or .jsonl, or --format npy|parquet|jsonl")
    return _EXTENSIONS[suffix]


@contextmanager
def open_vectors(path: str | None, dimension: int, fmt: str | None = None) -> Iterator[VectorWriter]:
    """A vector writer on ``path`` (``-``/None: stdout, JSON Lines only), renamed into place on success."""
    target = check_output_path(path)
    writer = VECTOR_FORMATS.get(vector_format(path, fmt))(target, dimension)
    try:
        yield writer
        writer.close()
        writer.commit()
    except BaseException:
        writer.discard()
        raise


def npy_header(rows: int, dimension: int) -> bytes:
    """A ``.npy`` (version 1.0) header for a float32 ``[rows, dimension]`` array, always ``_NPY_HEADER``
    bytes long (the format allows padding the header dict with spaces), so it can be rewritten in place."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dimension}), }}"
    body = text.ljust(_NPY_HEADER - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")
