"""`jbert eval`: a fine-tuned model on gold data (`jbert eval --model DIR --data FILE`), any system's
prediction file (`jbert eval score`), or the JGLUE table (`jbert eval jglue`). Parse -> config -> api."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, batch_size_option, cli_errors, device_option, echo, fail, precision_option
from jbert.cli._data import encoding_option
from jbert.evaluation import (
    BASELINES,
    EvalConfig,
    EvalResult,
    JglueConfig,
    ScoreConfig,
    partial_note,
    selection_rows,
    table_rows,
)
from jbert.writers import confusion_table, markdown_table, metrics_table, per_type_table, to_json

eval_app = typer.Typer(
    help="Score a fine-tuned model (or any system's predictions) against gold data.",
    invoke_without_command=True,
    add_completion=False,
)
app.add_typer(eval_app, name="eval")

_SCORE_HELP = """Score a prediction file from any system against a gold file,
with jbert's metrics.

\b
Prediction files (rows are matched to the gold file by id):
  .json   JSQuAD / qa: {"question id": "answer text", ...}, the
          eval_predictions.json that Hugging Face's run_qa.py writes.
  .jsonl  any task: one JSON object a line with the gold file's id
          field and the prediction. The id field is the task's id
          column (sentence_pair_id: JSTS, JNLI; q_id: JCommonsenseQA;
          review_id: MARC-ja; id: JSQuAD) or "id" (the line number
          when the gold file has no id column). The prediction is
          "label" (a class, a choice index, or the JSTS score),
          "score", "answer" (QA) or "entities" (NER: a list of
          {"start", "end", "label"}, character offsets).
          `jbert predict` output can be scored as it is.
A gold id with no prediction, an id not in the gold file and a repeated
id are errors that name the id.
"""


@eval_app.callback(invoke_without_command=True)
@cli_errors
def evaluate(
    ctx: typer.Context,
    model: Path | None = typer.Option(
        None, "--model", "-m", help="Fine-tuned model directory (from `jbert finetune`)."
    ),
    data: Path | None = typer.Option(
        None, "--data", "-d", help="Gold file (the task's format; - for stdin)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the metrics as JSON here."),
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        help="Write per-example predictions beside the gold values (.jsonl, .csv, .tsv).",
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", "--reader", help="Reader for --data (default: by extension)."
    ),
    encoding: str | None = encoding_option(),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
    precision: str = precision_option(),
    max_length: int | None = typer.Option(
        None, "--max-length", help="Tokens per input (default: the model's)."
    ),
) -> None:
    """Evaluate a fine-tuned model: `jbert eval --model DIR --data FILE` prints the task's metrics (label tasks: also macro-F1 and a confusion matrix; NER: per entity type)."""
    if ctx.invoked_subcommand is not None:
        return
    if model is None or data is None:
        fail("give --model DIR and --data FILE (or a subcommand: `jbert eval score`, `jbert eval jglue`)")
    cfg = EvalConfig(
        model=str(model),
        data=str(data),
        output=_str(output),
        predictions=_str(predictions),
        input_format=input_format,
        batch_size=batch_size,
        device=device,
        precision=precision,
        max_length=max_length,
        encoding=encoding or "utf-8",
    )
    show(api.evaluate(cfg))


@eval_app.command("score", help=_SCORE_HELP)
@cli_errors
def score(
    task: str = typer.Option(
        ..., "--task", "-t", help="Task name (jsts, jnli, jsquad ...) or a task spec YAML."
    ),
    gold: Path = typer.Option(..., "--gold", help="Gold file in the task's format."),
    predictions: Path = typer.Option(
        ..., "--predictions", "-p", help="The system's predictions (see above)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the metrics as JSON here."),
    gold_format: str | None = typer.Option(
        None, "--gold-format", help="Reader for --gold (default: by extension)."
    ),
) -> None:
    cfg = ScoreConfig(
        task=task, gold=str(gold), predictions=str(predictions), output=_str(output), input_format=gold_format
    )
    show(api.evaluate(cfg))


@eval_app.command("jglue")
@cli_errors
def jglue(
    model_dir: list[Path] = typer.Option(
        ...,
        "--model-dir",
        metavar="DIR",
        help="A fine-tuned JGLUE model, or a folder with one per task in subfolders (repeatable).",
    ),
    jglue_dir: Path | None = typer.Option(
        None, "--jglue-dir", help="JGLUE datasets folder (default: the one each model was fine-tuned with)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the full results as JSON here."),
    batch_size: int = batch_size_option(),
    device: str | None = device_option(),
    precision: str = precision_option(),
) -> None:
    """Evaluate every JGLUE task model found on its valid split; print the JGLUE table beside the published Tohoku BERT base baselines (dev set)."""
    cfg = JglueConfig(
        model_dirs=[str(p) for p in model_dir],
        jglue_dir=_str(jglue_dir),
        output=_str(output),
        batch_size=batch_size,
        device=device,
        precision=precision,
    )
    result = api.evaluate(cfg)
    header, rows = table_rows(result)
    echo(markdown_table(header, rows))
    if partial := partial_note(result):  # a score on a slice must not pass for a JGLUE score
        echo(partial)
    echo()
    if selected := selection_rows(result):  # models picked by `jbert finetune --sweep`
        echo(markdown_table(*selected))
        echo()
    echo(to_json({"jbert": result.scores(), "baselines": BASELINES}, indent=2))
    for path, why in result.skipped.items():
        echo(f"skipped {path}: {why}", err=True)


def show(result: EvalResult) -> None:
    """The metrics table, then (label tasks) the confusion matrix or (NER) the per-type table."""
    overall = {k: v for k, v in result.metrics.items() if not _per_type(k)}
    echo(f"{result.task}: {result.examples} examples from {result.data}")
    echo(metrics_table(overall))
    per_type = per_type_table(result.metrics)
    if per_type:
        echo()
        echo(per_type)
    if result.confusion:
        echo()
        echo(confusion_table(result.confusion))
    if result.truncated:
        echo(f"{result.truncated} examples were cut to --max-length", err=True)


def _per_type(key: str) -> bool:
    return key.startswith(("precision_", "recall_", "f1_"))


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None
