"""`jbert embed --model DIR INPUT... --output vectors.npy`: parse -> EmbedConfig -> ``api.embed``; summary on stderr."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, batch_size_option, cli_errors, device_option, precision_option, progress_flag
from jbert.cli.predict import print_row_summary
from jbert.inference.embed import EmbedConfig
from jbert.inference.shards import is_main_process
from jbert.writers.progress import show_progress

_HELP = """Embed texts with an embedding model (from `jbert finetune embedding`, or
any sentence-transformers directory): one vector per input row, in input
order; the same vectors as SentenceTransformer(MODEL).encode.

\b
Inputs (format from the extension, or --input-format):
  .jsonl / .json    JSON Lines; the text is --text-column (default: the
                    first of anchor, sentence1, text)
  .csv / .tsv       with a header row, same columns
  .txt              one text a line
  -                 stdin (JSON Lines)

\b
Outputs (format from --output's extension, or --format):
  .npy       float32 [rows, dim]; ids and lines in OUTPUT.ids.jsonl
  .parquet   id, line, vector
  .jsonl     {"id", "line", "vector"} a line (- for stdout)

A model with query/document prefixes needs --as query or --as document
(--as none: no prefix). Bad rows: --on-error fail (default) stops at the
first one and leaves no output; --on-error skip writes each to the
errors file and carries on. The summary on stderr counts rows in, rows
out and rows in error.

\b
Many processes (GPUs, or CPU processes): the rows are shared out and
one output is written, in input order, by the first process:
  accelerate launch --multi_gpu --num_processes 4 -m jbert embed ...
(on a machine without a GPU the processes run on the CPU).
"""


@app.command(help=_HELP)
@cli_errors
def embed(
    inputs: list[str] = typer.Argument(..., help="Input files (- for stdin).", show_default=False),
    model: Path = typer.Option(..., "--model", "-m", help="Embedding model directory."),
    output: str = typer.Option("-", "--output", "-o", help="vectors.npy | .parquet | .jsonl (- for stdout)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="npy | parquet | jsonl (default: by extension)."),
    input_format: str | None = typer.Option(None, "--input-format", help="jsonl | csv | tsv | text (default: by extension)."),
    text_column: str | None = typer.Option(None, "--text-column", help="Column holding the text."),
    id_column: str | None = typer.Option(None, "--id-column", help="Column holding the row id (default: id, else the line)."),
    as_: str | None = typer.Option(None, "--as", help="query | document | none: which of the model's prefixes the texts get."),
    normalize: bool | None = typer.Option(None, "--normalize/--no-normalize", help="L2-normalise the vectors (default: as the model does)."),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
    precision: str = precision_option(),
    max_length: int | None = typer.Option(None, "--max-length", help="Tokens per text (default: the model's); cut rows are counted."),
    on_error: str = typer.Option("fail", "--on-error", help="fail | skip (see above)."),
    errors: str | None = typer.Option(None, "--errors", help="With --on-error skip: where bad rows go (JSON Lines)."),
    chunk_size: int = typer.Option(10_000, "--chunk-size", help="Rows read, embedded and written at a time (memory use)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."),
) -> None:
    cfg = EmbedConfig(
        model=str(model), inputs=list(inputs), output=output, format=fmt, input_format=input_format,
        text_column=text_column, id_column=id_column, as_=as_, normalize=normalize, batch_size=batch_size,
        device=device, precision=precision, max_length=max_length, on_error=on_error, errors=errors,
        chunk_size=chunk_size, progress=progress if progress is not None else show_progress(progress_flag()),
    )
    s = api.embed(cfg)
    if is_main_process():  # under accelerate launch, rank 0 wrote the output and holds the counts
        print_row_summary(s, f"{s.dimension}-dim vectors; ")
