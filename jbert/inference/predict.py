"""``jbert predict``: a fine-tuned model over input files, streamed chunk by chunk to one output.

One output row per input row, in input order, with the input's id and fields and the prediction
(see ``jbert.writers.prediction_row``). Bad rows stop the run (``on_error="fail"``: the output file
is not created) or go to an errors file (``"skip"``). The summary's counts always add up:
``rows_in == rows_out + rows_error``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from jbert.config.inference import RunSettings
from jbert.data import Prediction
from jbert.errors import ConfigError
from jbert.inference.core import Predictor, RowError
from jbert.inference.inputs import count_rows, input_reader, read_items
from jbert.inference.shards import Shards
from jbert.readers import ReadContext
from jbert.writers import JsonlWriter, RowWriter, check_output_path, open_rows, output_format, prediction_row
from jbert.writers.outputs import output_lock
from jbert.writers.progress import progress_bar

ON_ERROR = ("fail", "skip")


@dataclass(kw_only=True)
class PredictConfig(RunSettings):
    model: str
    inputs: list[str]
    output: str = "-"
    format: str | None = None  # jsonl | csv | tsv; None: by the output's extension
    input_format: str | None = None  # a reader name; None: by each input's extension
    n_best: int | None = None  # QA: keep the K best answers per question
    on_error: str = "fail"
    errors: str | None = None  # skip mode: where bad rows go (default OUTPUT.errors.jsonl, or stderr)
    progress: bool = False  # a tqdm bar (rows/s) on stderr
    encoding: str = "utf-8"  # the input files' text encoding (cp932: Excel's Japanese CSV)


@dataclass
class PredictSummary:
    rows_in: int = 0
    rows_out: int = 0
    rows_error: int = 0
    truncated: int = 0
    seconds: float = 0.0  # the predict stage (model loading excluded)
    output: str = "-"
    errors_path: str | None = None


def run_predict(cfg: PredictConfig) -> PredictSummary:
    """Predict every row of ``cfg.inputs`` with the model in ``cfg.model``; see the module docstring."""
    _check(cfg)
    shards = Shards.start(cfg.device, cfg.inputs)  # one process, or this one's part under accelerate launch
    # the outputs are ours from here to the end: a second run on them refuses at once, not at the rename
    with shards.on_main(output_lock(cfg.output), output_lock(_errors_path(cfg))):
        return _predict(cfg, shards)


def _predict(cfg: PredictConfig, shards: Shards) -> PredictSummary:
    from jbert.inference.loading import load_finetuned

    # an explicit --device is checked before the model loads; auto waits for it (an ONNX model needs no torch)
    device = shards.device
    ft = load_finetuned(cfg.model, device=device)
    started = time.perf_counter()  # the predict stage: read, encode, forward, decode, write
    options = replace(ft.options, n_best_size=max(ft.options.n_best_size, cfg.n_best or 0))
    predictor = Predictor(ft.head, ft.tokenizer, ft.model, options, replace(cfg, device=device))
    readers = [input_reader(path, ft.spec, cfg.input_format, unlabeled=True) for path in cfg.inputs]
    skip = cfg.on_error == "skip"
    summary = PredictSummary(output=cfg.output, errors_path=_errors_path(cfg))
    # rank 0 alone writes (the only process, but for accelerate launch); the loop body runs there only
    with shards.on_main(open_rows(cfg.output, cfg.format), _error_sink(summary.errors_path, skip),
                        _progress(cfg, readers)) as (out, err, bar):
        for path, reader in zip(cfg.inputs, readers, strict=True):
            items = read_items(path, ft.spec, reader, skip, ft.config.data.iob, cfg.encoding)
            for pairs, errors in shards.stream(predictor, items, cfg.chunk_size, skip):
                rows = [prediction_row(ex, _trim(pred, cfg.n_best)) for ex, pred in pairs]
                if len(cfg.inputs) > 1:
                    rows = [{"source": path, **row} for row in rows]
                out.write(rows)
                err.write(e.to_row() for e in errors)
                count_rows_into(summary, len(pairs), len(errors))
                bar.update(len(pairs) + len(errors))
    summary.truncated, summary.seconds = shards.total(predictor.truncated), time.perf_counter() - started
    return summary


def check_streaming(cfg: PredictConfig | Any) -> None:
    """What ``predict`` and ``embed`` both take: inputs (stdin once), ``--on-error`` and the run settings."""
    if not cfg.inputs:
        raise ConfigError("no input files; give one or more paths (or - for stdin)")
    if cfg.on_error not in ON_ERROR:
        raise ConfigError(f"--on-error must be one of {', '.join(ON_ERROR)}, got {cfg.on_error!r}")
    cfg.check()
    if cfg.inputs.count("-") > 1:
        raise ConfigError("stdin (-) can be read only once")


def _check(cfg: PredictConfig) -> None:
    check_streaming(cfg)
    if cfg.n_best is not None and cfg.n_best < 1:
        raise ConfigError(f"--n-best must be at least 1, got {cfg.n_best}")
    ReadContext(encoding=cfg.encoding)  # an unknown --encoding fails before the model loads
    output_format(cfg.output, cfg.format)  # an unknown --format fails before the model loads
    check_output_path(cfg.output)  # and so does an output that cannot be written
    check_output_path(_errors_path(cfg))


def _trim(prediction: Prediction, n_best: int | None) -> Prediction:
    """Keep ``n_best`` QA candidates when asked, none otherwise (heads may always compute them)."""
    if prediction.n_best is None:
        return prediction
    return replace(prediction, n_best=tuple(prediction.n_best[:n_best]) if n_best else None)


def count_rows_into(summary: PredictSummary, ok: int, bad: int) -> None:
    summary.rows_in += ok + bad
    summary.rows_out += ok
    summary.rows_error += bad


def _errors_path(cfg: PredictConfig) -> str | None:
    if cfg.on_error != "skip":
        return None
    if cfg.errors:
        return cfg.errors
    return f"{cfg.output}.errors.jsonl" if cfg.output not in ("-", "") else None


@contextmanager
def _error_sink(path: str | None, skip: bool) -> Iterator[RowWriter]:
    """Skip mode: JSONL rows {source, line, id, error} to ``path`` (atomically) or, without one, stderr."""
    if not skip or path is None:
        yield JsonlWriter(sys.stderr)
        return
    with open_rows(path, "jsonl") as writer:
        yield writer


@contextmanager
def _progress(cfg: PredictConfig, readers: list[str], desc: str = "predict") -> Iterator[object]:
    """A rows bar on stderr; with a total (and so an ETA) when every input's row count can be known."""
    counts = [count_rows(path, reader) for path, reader in zip(cfg.inputs, readers, strict=True)] \
        if cfg.progress else [None]
    total = None if None in counts else sum(counts)  # type: ignore[arg-type]
    bar = progress_bar(total, desc, "rows", enabled=cfg.progress)
    try:
        yield bar
    finally:
        bar.close()


__all__ = ["PredictConfig", "PredictSummary", "RowError", "run_predict"]
