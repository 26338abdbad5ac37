"""``jbert eval --model DIR --data FILE``: a fine-tuned model against a gold file.

Task, columns and labels come from the model's ``jbert_config.yaml``. The gold file streams
through the same prediction core as ``jbert predict``; only the metric inputs (one value per
row) are kept in memory.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

from jbert.config.inference import RunSettings
from jbert.evaluation.common import EvalResult, jsonable, require_references, score_values
from jbert.inference import Predictor, resolve_device
from jbert.inference.inputs import input_reader
from jbert.readers import read
from jbert.writers import RowWriter, open_rows, prediction_row


@dataclass(kw_only=True)
class EvalConfig(RunSettings):
    model: str
    data: str
    output: str | None = None  # metrics JSON
    predictions: str | None = None  # per-example predictions beside the gold values (jsonl/csv/tsv)
    input_format: str | None = None  # a reader name; None: by extension, else the task's reader
    encoding: str = "utf-8"  # the gold file's text encoding


def evaluate_model(cfg: EvalConfig, finetuned: Any = None) -> EvalResult:
    """Predict every row of ``cfg.data`` and score it with the task's metrics."""
    from jbert.inference.loading import load_finetuned

    # an explicit --device is checked before the model loads; auto waits for it (an ONNX model needs no torch)
    cfg.check()
    device = resolve_device(cfg.device) if cfg.device else None
    ft = finetuned or load_finetuned(cfg.model, device=device)
    predictor = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, replace(cfg, device=device))
    items = read(cfg.data, ft.spec, input_reader(cfg.data, ft.spec, cfg.input_format), ft.config.data.iob,
                 cfg.encoding)
    predicted: list[Any] = []
    gold: list[Any] = []
    with open_rows(cfg.predictions) if cfg.predictions else nullcontext() as out:
        for pairs, _ in predictor.stream(items, cfg.chunk_size):
            examples, predictions = [e for e, _ in pairs], [p for _, p in pairs]
            refs = ft.head.reference_values(examples)
            require_references(examples, refs)
            predicted += ft.head.prediction_values(predictions)
            gold += refs
            if out is not None:
                _write_rows(out, pairs, refs)
    metrics, confusion = score_values(ft.spec, ft.labels, predicted, gold)
    return EvalResult(
        task=ft.spec.name,
        data=str(cfg.data),
        examples=len(gold),
        metrics=metrics,
        model=str(cfg.model),
        predictions=cfg.predictions,
        confusion=confusion,
        truncated=predictor.truncated,
    )


def _write_rows(out: RowWriter, pairs: list, refs: list[Any]) -> None:
    out.write(
        {**prediction_row(ex, pred), "gold": jsonable(ref)}
        for (ex, pred), ref in zip(pairs, refs, strict=True)
    )
