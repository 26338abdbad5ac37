"""The feature cache under OUTPUT/.encoded: features encoded once per machine, read by the other
ranks of an ``accelerate launch`` run.

Stored as an Arrow IPC file (pyarrow, which ``datasets`` brings): plain columns of numbers and
lists, so reading a cache can never run code. pickle could: a file planted in the output
directory would have run in every rank. Arrow also keeps a large cache cheap to open (memory
mapped). A feature is a dict of ints, floats, strings and (nested) lists of them, with None
allowed (``offset_mapping`` holds None for special tokens); tuples come back as lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SUFFIX = ".arrow"


def cache_file(folder: Path, split: str, key: dict[str, Any]) -> Path:
    """The cache file for ``split`` encoded under ``key`` (what decides the features: source file
    and its mtime, spec, labels, options, tokenizer); another key gives another file."""
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return folder / f"{split}-{digest}{SUFFIX}"


def save_features(path: Path, features: Sequence[dict[str, Any]], writer_id: str = "0") -> None:
    """Write atomically: a temporary file per writer, then renamed, so a reader never sees half a file."""
    import pyarrow as pa

    keys = list(features[0]) if features else []
    if any(list(f) != keys for f in features):
        raise ValueError("every feature of a split must have the same keys to be cached")
    table = pa.table({key: [f[key] for f in features] for key in keys})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{writer_id}.tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    tmp.replace(path)


def load_features(path: Path) -> list[dict[str, Any]]:
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all().to_pylist()
