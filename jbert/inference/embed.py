"""``jbert embed``: an embedding model over input files, one vector per input row, streamed to one output.

Rows are read, encoded, embedded and written a chunk at a time (``jbert.inference.core.Predictor``,
length-sorted batches put back in input order), so memory stays flat on any file size. Each row's
text is its text column (``--text-column``; the embedding task's ``anchor``/``sentence1``/``text``
otherwise; a line of a ``.txt`` file). Bad rows stop the run (``on_error="fail"``: no output file is
left) or go to the errors file (``"skip"``); the counts always add up: ``rows_in == rows_out + rows_error``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from jbert.config.inference import RunSettings
from jbert.config.tasks import TaskSpec
from jbert.inference.core import Predictor
from jbert.inference.embedding import dimension, l2_normalize, load_embedder, prefix_role
from jbert.inference.inputs import input_reader, read_items
from jbert.inference.predict import (
    PredictSummary,
    _error_sink,
    _errors_path,
    _progress,
    check_streaming,
    count_rows_into,
)
from jbert.inference.shards import Shards
from jbert.writers import check_output_path
from jbert.writers.outputs import output_lock
from jbert.writers.vectors import open_vectors, vector_format


@dataclass(kw_only=True)
class EmbedConfig(RunSettings):  # batch_size, device, precision, max_length, chunk_size
    model: str
    inputs: list[str]
    output: str = "-"
    format: str | None = None  # npy | parquet | jsonl; None: by the output's extension
    input_format: str | None = None  # a reader name; None: by each input's extension
    text_column: str | None = None  # None: the embedding task's (anchor, sentence1 or text)
    id_column: str | None = None
    as_: str | None = None  # query | document | none: the model's prefix for the texts
    normalize: bool | None = None  # None: as the model does
    on_error: str = "fail"
    errors: str | None = None  # skip mode: where bad rows go (default OUTPUT.errors.jsonl, or stderr)
    progress: bool = False


@dataclass
class EmbedSummary(PredictSummary):  # the same counts, and the vectors' width
    dimension: int = 0


def run_embed(cfg: EmbedConfig) -> EmbedSummary:
    """Embed every row of ``cfg.inputs`` with ``cfg.model``; see the module docstring."""
    _check(cfg)
    shards = Shards.start(cfg.device, cfg.inputs)  # one process, or this one's part under accelerate launch
    # the outputs are ours from here to the end, as predict's: a second run on them refuses at once
    with shards.on_main(output_lock(cfg.output), output_lock(_errors_path(cfg))):
        return _embed(cfg, shards)


def _embed(cfg: EmbedConfig, shards: Shards) -> EmbedSummary:
    device = shards.device
    loaded = load_embedder(cfg.model, device)
    loaded.head.embed_as = prefix_role(loaded.head, cfg.as_, "--as")
    loaded.head.negative_columns = []  # one text a row: negative columns, if the file has any, are not read
    started = time.perf_counter()
    predictor = Predictor(loaded.head, loaded.tokenizer, loaded.model, loaded.options, replace(cfg, device=device))
    spec = _single_text(loaded.spec, cfg)
    readers = [input_reader(path, spec, cfg.input_format) for path in cfg.inputs]
    skip = cfg.on_error == "skip"
    summary = EmbedSummary(output=cfg.output, errors_path=_errors_path(cfg), dimension=dimension(loaded))
    # rank 0 alone writes (the only process, but for accelerate launch); the loop body runs there only
    with shards.on_main(open_vectors(cfg.output, summary.dimension, cfg.format),
                        _error_sink(summary.errors_path, skip), _progress(cfg, readers, "embed")) as (out, err, bar):
        for path, reader in zip(cfg.inputs, readers, strict=True):
            items = read_items(path, spec, reader, skip)
            for pairs, errors in shards.stream(predictor, items, cfg.chunk_size, skip):
                keys = [{"id": ex.id, "line": ex.line, **({"source": path} if len(cfg.inputs) > 1 else {})}
                        for ex, _ in pairs]
                vectors = np.stack([p.vector for _, p in pairs]) if pairs else np.zeros((0, summary.dimension))
                out.write(keys, l2_normalize(vectors) if cfg.normalize else vectors)
                err.write(e.to_row() for e in errors)
                count_rows_into(summary, len(pairs), len(errors))
                bar.update(len(pairs) + len(errors))
    summary.truncated, summary.seconds = shards.total(predictor.truncated), time.perf_counter() - started
    return summary


def _single_text(spec: TaskSpec, cfg: EmbedConfig) -> TaskSpec:
    """The model's spec reading one text a row (a pair's second text and labels are not read)."""
    columns = {"id": cfg.id_column or spec.column("id", "id"), "text": cfg.text_column or spec.column("text", "text")}
    return replace(spec, columns=columns)


def _check(cfg: EmbedConfig) -> None:
    check_streaming(cfg)
    vector_format(cfg.output, cfg.format)  # an unknown format fails before the model loads
    check_output_path(cfg.output)  # and so does an output that cannot be written (the lock needs its folder)
    check_output_path(_errors_path(cfg))


__all__ = ["EmbedConfig", "EmbedSummary", "run_embed"]
