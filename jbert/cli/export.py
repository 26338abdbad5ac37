"""`jbert export --model DIR --output DIR`: parse -> ExportConfig -> ``api.export``; the agreement on stderr."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, batch_size_option, cli_errors, echo, progress_flag
from jbert.export import ExportConfig
from jbert.writers.progress import show_progress

_HELP = """Export a fine-tuned model for fast CPU prediction: ONNX (fp32 or
int8) or torch int8. The exported directory works with `jbert predict
--model OUT` and `jbert eval --model OUT` like the original.

\b
Accuracy is measured, not assumed: the original (fp32) and the export
predict the model's validation rows (its jbert_config.yaml's validation
file, or --data) and their agreement is recorded in OUT/jbert_export.json:
  classification, pair, choice   label agreement (share of same labels)
  regression                     rows within --tolerance, max/mean |delta|
  QA                             EM agreement (same answer text)
  NER                            entity agreement (entity F1 vs original)
An export that agrees less than --min-agreement is refused and nothing is
written. ONNX needs `pip install 'jbert[onnx]'`.
"""


@app.command(name="export", help=_HELP)
@cli_errors
def export(
    model: Path = typer.Option(..., "--model", "-m", help="Fine-tuned model directory (from `jbert finetune`)."),
    output: Path = typer.Option(..., "--output", "-o", help="New directory for the export."),
    fmt: str = typer.Option("onnx", "--format", "-f", help="onnx | torch."),
    quantize: str | None = typer.Option(None, "--quantize", help="int8 (dynamic int8 weights); default: none."),
    data: str | None = typer.Option(
        None, "--data", help="Rows to measure agreement on (default: the model's validation file)."
    ),
    min_agreement: float = typer.Option(
        0.99, "--min-agreement", help="Refuse the export below this agreement (0.99 = 99%)."
    ),
    tolerance: float | None = typer.Option(
        None, "--tolerance", help="Regression: |delta| a row may differ by and agree (default: 1% of the score range)."
    ),
    batch_size: int = batch_size_option(),
) -> None:
    cfg = ExportConfig(model=str(model), output=str(output), format=fmt, quantize=quantize, data=data,
                       min_agreement=min_agreement, tolerance=tolerance, batch_size=batch_size,
                       progress=show_progress(progress_flag()))
    result = api.export(cfg)
    speed = result.record["rows_per_second"]
    echo(f"exported {fmt} {quantize or 'fp32'} to {result.output}: {result.summary}; "
         f"{speed['export']:.1f} rows/s vs {speed['original_fp32']:.1f} rows/s original fp32", err=True)
