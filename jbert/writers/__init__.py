"""Predictions and metrics out, keyed by the input's ids.

* ``prediction_row(example, prediction)``: one flat output row: ``id``, the input's own fields,
  then the prediction (``label``/``score``/``probabilities``, ``entities``, ``answer`` ...).
* ``open_rows(path, fmt)``: a writer for JSONL (default), CSV or TSV; ``-`` is stdout. Files are
  written atomically: a temp file beside the target is renamed over it at the end and removed
  on failure, so a failed run never leaves a half-written file; a lock beside it keeps a second
  process from writing the same file meanwhile (``jbert.writers.outputs``).
* ``write_metrics_json``, ``markdown_table``, ``metrics_table``, ``confusion_table``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from jbert.data import Example, Prediction
from jbert.errors import ConfigError
from jbert.registry import Registry
from jbert.writers.outputs import check_writable, output_lock, temp_file

Row = dict[str, Any]
FORMATS: Registry[type[RowWriter]] = Registry("output format")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}
_PREDICTION_KEYS = ("label", "score", "probabilities", "entities", "answer", "start", "end", "n_best", "vector")


# --- rows ---------------------------------------------------------------------------------------
def prediction_fields(prediction: Prediction) -> Row:
    """The set fields of a Prediction as plain JSON-ready values (entities as dicts)."""
    out: Row = {}
    for key in _PREDICTION_KEYS:
        value = getattr(prediction, key)
        if value is None:
            continue
        if key == "entities":
            value = [_entity_dict(e) for e in value]
        elif key == "probabilities":
            value = dict(value)
        elif key == "n_best":
            value = [dict(x) for x in value]
        elif key == "vector":
            value = value.tolist()
        out[key] = value
    return out


def prediction_row(example: Example, prediction: Prediction) -> Row:
    """``{"id": ..., **input fields, **prediction}``. An input field whose name a prediction key
    takes (a gold ``label`` column, say) is kept as ``input_<name>`` instead of being overwritten."""
    pred = prediction_fields(prediction)
    if example.token_spans and "entities" in pred:
        pred["entities"] = [_with_tokens(e, example.token_spans) for e in pred["entities"]]
    row: Row = {"id": example.id}
    for key, value in example.fields.items():
        clash = key in pred or (key == "id" and value != example.id)
        row[f"input_{key}" if clash else key] = value
    row.update(pred)
    return row


def _with_tokens(entity: Row, spans: Sequence[tuple[int, int]]) -> Row:
    """Pre-tokenized input: add the first and last input token (0-based, inclusive) the entity's
    characters overlap, so it can be laid back on the CoNLL tokens."""
    covered = [i for i, (start, end) in enumerate(spans) if start < entity["end"] and end > entity["start"]]
    if covered:
        entity = {**entity, "first_token": covered[0], "last_token": covered[-1]}
    return entity


def _entity_dict(entity: Any) -> Row:
    out = {"text": entity.text, "label": entity.label, "start": entity.start, "end": entity.end}
    if entity.score is not None:
        out["score"] = entity.score
    return out


# --- row writers ----------------------------------------------------------------------------------
class RowWriter:
    """Writes dict rows to an open text stream. Subclasses register in FORMATS by name."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.rows = 0

    def write(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.write_row(row)
            self.rows += 1

    def write_row(self, row: Row) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called once after the last row (formats with a footer override it)."""


@FORMATS.register("jsonl")
class JsonlWriter(RowWriter):
    def write_row(self, row: Row) -> None:
        self.stream.write(to_json(row) + "\n")


@FORMATS.register("csv")
class CsvWriter(RowWriter):
    """Header from the first row's keys; nested values (probabilities, entities) as JSON cells.
    A later row with other keys fills the missing cells with "" and drops unknown keys."""

    delimiter = ","

    def __init__(self, stream: IO[str]):
        super().__init__(stream)
        self._writer: csv.DictWriter | None = None

    def write_row(self, row: Row) -> None:
        if self._writer is None:
            self._writer = csv.DictWriter(
                self.stream,
                fieldnames=list(row),
                delimiter=self.delimiter,
                extrasaction="ignore",
                lineterminator="\n",
            )
            self._writer.writeheader()
        self._writer.writerow({k: _cell(v) for k, v in row.items()})


@FORMATS.register("tsv")
class TsvWriter(CsvWriter):
    delimiter = "\t"


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return to_json(value)
    return "" if value is None else value


def output_format(path: str | Path | None, fmt: str | None = None) -> str:
    """The explicit ``--format``, else the output file's extension, else JSONL."""
    if fmt:
        FORMATS.get(fmt)
        return fmt
    if path and str(path) != "-":
        return _EXTENSIONS.get(Path(str(path)).suffix.lower(), "jsonl")
    return "jsonl"


@contextmanager
def open_rows(path: str | Path | None, fmt: str | None = None) -> Iterator[RowWriter]:
    """A row writer on ``path`` (``-`` or None: stdout), written atomically."""
    writer_cls = FORMATS.get(output_format(path, fmt))
    with atomic_output(path, newline="") as stream:
        writer = writer_cls(stream)
        yield writer
        writer.close()


@contextmanager
def atomic_output(path: str | Path | None, newline: str | None = None) -> Iterator[IO[str]]:
    """Open ``path`` for writing through a temp file beside it, renamed over it on success and
    removed on any failure. ``-``/None yields stdout (which cannot be rolled back)."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = check_output_path(path)
    with output_lock(target):  # one writer per file; stale temps of killed runs go
        fd, tmp = temp_file(target)
        try:
            with open(fd, "w", encoding="utf-8", newline=newline) as stream:
                yield stream
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def check_output_path(path: str | Path | None) -> Path | None:
    """The output file as a Path (None for stdout), or a ConfigError saying why it cannot be written."""
    if path is None or str(path) == "-":
        return None
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{target}: is a directory; give a file name for the output")
    if target.exists() and not target.is_file():  # a device or a pipe would be replaced by a plain file
        raise ConfigError(f"{target}: is not a regular file; give a file name for the output (or - for stdout)")
    if not target.parent.is_dir():
        raise ConfigError(f"{target}: the folder {target.parent} does not exist; create it first")
    check_writable(target.parent, str(target))
    return target


# --- metrics ----------------------------------------------------------------------------------------
def to_json(value: Any, indent: int | None = None) -> str:
    """JSON with Japanese kept readable and NaN/inf written as null (strict JSON readers refuse NaN)."""
    return json.dumps(_finite(value), ensure_ascii=False, indent=indent)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_metrics_json(path: str | Path, metrics: Mapping[str, Any]) -> None:
    """Metrics (and any extra JSON-ready sections) to ``path`` atomically; ``-`` is stdout."""
    with atomic_output(path) as stream:
        stream.write(to_json(metrics, indent=2) + "\n")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 4) -> str:
    """A GitHub-markdown table; floats rounded to ``digits``, None as ``-``."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(v, digits) for v in row) + " |")
    return "\n".join(lines)


def metrics_table(metrics: Mapping[str, float], digits: int = 4) -> str:
    """``| metric | value |`` for a flat metrics dict."""
    return markdown_table(["metric", "value"], sorted(metrics.items()), digits)


def confusion_table(cm: Mapping[str, Any]) -> str:
    """A confusion matrix (``jbert.metrics.confusion_matrix``) as markdown: rows gold, columns predicted."""
    labels = cm["labels"]
    header = ["gold \\ predicted", *labels]
    return markdown_table(header, ([label, *row] for label, row in zip(labels, cm["matrix"], strict=True)))


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value).replace("|", "\\|")


def per_type_table(
    metrics: Mapping[str, float], keys: Sequence[str] = ("precision", "recall", "f1")
) -> str | None:
    """``| type | precision | recall | f1 |`` from per-type keys such as ``f1_LOC`` (NER); None if none."""
    types = sorted({k[len(keys[-1]) + 1 :] for k in metrics if k.startswith(f"{keys[-1]}_")})
    if not types:
        return None
    return markdown_table(["type", *keys], ([t, *(metrics.get(f"{k}_{t}") for k in keys)] for t in types))
