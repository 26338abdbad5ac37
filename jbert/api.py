"""The callable core: the one place the pipeline stages are wired together.

reader -> head.encode (tokenizer) -> collate -> model -> trainer -> head.decode -> metrics / writers.
The CLI only parses flags, builds a config and calls these functions.
"""

from __future__ import annotations

from typing import Any


def finetune(cfg: Any) -> Any:
    """Fine-tune ``cfg.model`` on ``cfg.task`` (a ``jbert.config.JbertConfig``); writes the output
    directory (``jbert.modeldir``) and returns the final validation metrics."""
    from jbert.finetuning import run_finetune

    return run_finetune(cfg)


def evaluate(cfg: Any) -> Any:
    """Score against gold data. ``cfg`` picks the mode (``jbert.evaluation``): ``EvalConfig`` (a
    fine-tuned model on a gold file), ``ScoreConfig`` (another system's prediction file) or
    ``JglueConfig`` (every JGLUE task model on its valid split, beside the published baselines)."""
    from jbert.evaluation import run_evaluation

    return run_evaluation(cfg)


def predict(cfg: Any) -> Any:
    """Run a fine-tuned model directory over input files (a ``jbert.inference.PredictConfig``),
    streaming one output row per input row; returns a ``PredictSummary`` (rows in/out/in error)."""
    from jbert.inference import run_predict

    return run_predict(cfg)


def embed(cfg: Any) -> Any:
    """Embed every row of input files with an embedding model (a ``jbert.inference.embed.EmbedConfig``),
    streaming one vector per row to .npy / .parquet / .jsonl; returns an ``EmbedSummary`` (rows in/out/in
    error). For vectors in memory: ``jbert.inference.embedding.encode_texts``."""
    from jbert.inference.embed import run_embed

    return run_embed(cfg)


def pretrain(cfg: Any) -> Any:
    """Masked-LM pre-training (from ``jbert model init``) or continued pre-training of ``cfg.model`` on
    ``cfg.corpus`` (a ``jbert.pretraining.PretrainConfig``); writes a plain model directory and returns
    the final held-out metrics (mlm_loss, perplexity, accuracy)."""
    from jbert.pretraining.run import run_pretrain

    return run_pretrain(cfg)


def fill_mask(model_dir: Any, text: str, top_k: int = 5) -> Any:
    """Top-k fillers (token, score, sequence) for each mask token of ``text``."""
    from jbert.pretraining.fill_mask import fill_mask as fill

    return fill(model_dir, text, top_k)


def check_data(cfg: Any) -> Any:
    """Every problem of the task's train/valid files at once, with statistics (``jbert data check``):
    ``cfg`` is a ``JbertConfig`` as for ``finetune`` (``model.name_or_path`` adds token lengths);
    returns a ``jbert.datacheck.DataReport`` (``report.errors`` > 0: finetune would stop)."""
    from jbert.datacheck import check_data as run_check

    return run_check(cfg)


def export(cfg: Any) -> Any:
    """Export a fine-tuned model directory (a ``jbert.export.ExportConfig``: ONNX fp32/int8 or torch int8)
    after measuring its agreement with the original; returns a ``jbert.export.ExportResult``."""
    from jbert.export import run_export

    return run_export(cfg)


def sweep(cfg: Any) -> Any:
    """Fine-tune a grid of configurations (a ``jbert.sweep.SweepConfig``), select the best by the task's
    primary metric on the validation set, link it as OUTPUT/best; returns the sweep record."""
    from jbert.sweep import run_sweep

    return run_sweep(cfg)


def report(cfg: Any) -> Any:
    """Write one self-contained HTML report for run directories (a ``jbert.report.ReportConfig``);
    returns the path written."""
    from jbert.report import write_report

    return write_report(cfg)
