"""`jbert predict --model DIR INPUT...`: parse -> PredictConfig -> ``api.predict``; summary on stderr."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import (
    app,
    batch_size_option,
    cli_errors,
    device_option,
    echo,
    precision_option,
    progress_flag,
)
from jbert.cli._data import encoding_option
from jbert.config.inference import RunSettings
from jbert.inference import PredictConfig, PredictSummary
from jbert.inference.shards import is_main_process
from jbert.writers.progress import show_progress

_HELP = """Run a fine-tuned model over input files: one output row per input
row, in input order.

\b
Inputs (format from the extension, or --input-format):
  .jsonl (and JGLUE's .json)  JSON Lines
  .csv / .tsv                 CSV / TSV with a header row
  .txt                        one text a line (text<TAB>text_pair for pairs)
  .json (QA tasks)            SQuAD JSON
  .conll                      CoNLL / IOB2 (NER)
  -                           stdin: one text a line for a one-text task
                              (classification, NER), else the task's format
Label columns are not needed; the columns are the model's (fine-tuning).

\b
Each output row carries the input's "id" (its id column, else the line
number), the input's fields, and the prediction:
  classification   label, score, probabilities (per label)
  regression       score
  NER              entities: [{text, label, start, end, score}]
                   (character offsets in the original text; CoNLL input
                   adds the joined "text" and first_token/last_token)
  QA               answer, start, end, score (n_best with --n-best K)
  multiple choice  label (the chosen index), score, probabilities
An input field a prediction key would overwrite (a gold "label") is kept
as input_<name>.

\b
Bad rows: --on-error fail (default) stops at the first one with its
file:line and leaves no output file. --on-error skip writes each bad row
to the errors file (--errors; default OUTPUT.errors.jsonl, or stderr when
the output is stdout) and carries on; rows are isolated in every format
(a CoNLL sentence, a SQuAD question); a file that is not UTF-8, not
JSON at all or has broken CSV quoting still stops.
The summary on stderr counts rows in, rows out and rows in error.

\b
Many processes (GPUs, or CPU processes): the rows are shared out and
one output is written, in input order, by the first process:
  accelerate launch --multi_gpu --num_processes 4 -m jbert predict ...
(on a machine without a GPU the processes run on the CPU).
"""


@app.command(help=_HELP)
@cli_errors
def predict(
    inputs: list[str] = typer.Argument(..., metavar="INPUT...", help="Input files (- for stdin).", show_default=False),
    model: Path = typer.Option(
        ..., "--model", "-m", help="Fine-tuned model directory (from `jbert finetune`)."
    ),
    output: str = typer.Option("-", "--output", "-o", help="Output file (- for stdout)."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="jsonl | csv | tsv (default: by --output's extension, else jsonl)."
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", "--reader",
        help="jsonl | csv | tsv | text | squad | conll (default: by extension; stdin: text lines for a "
             "one-text task, else the task's format).",
    ),
    encoding: str | None = encoding_option(),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
    precision: str = precision_option(),
    max_length: int | None = typer.Option(
        None, "--max-length", help="Tokens per input (default: the model's); cut rows are counted."
    ),
    n_best: int | None = typer.Option(
        None, "--n-best", help="QA: also output the K best answers per question."
    ),
    on_error: str = typer.Option("fail", "--on-error", help="fail | skip (see above)."),
    errors: str | None = typer.Option(
        None, "--errors", help="With --on-error skip: where bad rows go (JSON Lines)."
    ),
    chunk_size: int = typer.Option(
        RunSettings.chunk_size, "--chunk-size", help="Rows read, encoded and written at a time (memory use)."
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Progress bar on stderr (default: when stderr is a terminal)."
    ),
) -> None:
    cfg = PredictConfig(
        model=str(model),
        inputs=list(inputs),
        output=output,
        format=fmt,
        input_format=input_format,
        batch_size=batch_size,
        device=device,
        precision=precision,
        max_length=max_length,
        n_best=n_best,
        on_error=on_error,
        errors=errors,
        chunk_size=chunk_size,
        progress=progress if progress is not None else show_progress(progress_flag()),
        encoding=encoding or "utf-8",
    )
    summary = api.predict(cfg)
    if is_main_process():  # under accelerate launch, rank 0 wrote the output and holds the counts
        print_row_summary(summary)


def print_row_summary(s: PredictSummary, detail: str = "") -> None:
    """The closing line of predict and embed on stderr: the row counts always add up. ``detail``: what the
    command adds before the timing (embed: the vectors' width)."""
    rate = s.rows_out / s.seconds if s.seconds > 0 else 0.0
    line = f"rows in: {s.rows_in}, rows out: {s.rows_out}, rows in error: {s.rows_error}"
    if s.rows_error and s.errors_path:
        line += f" (see {s.errors_path})"
    echo(f"{line}; {detail}{s.seconds:.1f}s, {rate:.1f} rows/s", err=True)
    if s.truncated:
        echo(f"{s.truncated} rows were cut to --max-length (raise it to keep the whole text)", err=True)
