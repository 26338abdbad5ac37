"""The callable core: the one place the pipeline stages are wired together.

reader -> head.encode (tokenizer) -> collate -> model -> trainer -> head.decode -> metrics / writers.
The CLI only parses flags, builds a config and calls these functions; a Python caller gets exactly what
the CLI gets (recipes included: each run applies its task's recipe itself).

>>> from jbert import api
>>> from jbert.config import build_config
>>> cfg = build_config("jsts", {"model.name_or_path": "DIR", "data.jglue_dir": "JGLUE/datasets",
...                             "training.output_dir": "runs/jsts"})   # doctest: +SKIP
>>> api.finetune(cfg)["pearson"]                                          # doctest: +SKIP

Each stage is imported when called: ``jbert --help`` and an ONNX ``predict`` do not pay for torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jbert.config import JbertConfig
    from jbert.datacheck import DataReport
    from jbert.distillation import DistillConfig
    from jbert.evaluation import EvalConfig, EvalResult, JglueConfig, ScoreConfig
    from jbert.export import ExportConfig, ExportResult
    from jbert.finetuning.sweep import SweepConfig
    from jbert.inference import PredictConfig, PredictSummary
    from jbert.inference.embed import EmbedConfig, EmbedSummary
    from jbert.pretraining import PretrainConfig
    from jbert.pretraining.fill_mask import Filler
    from jbert.report import ReportConfig
    from jbert.retrieval.mine import MineConfig, Mined


def finetune(cfg: JbertConfig) -> dict[str, float]:
    """Fine-tune ``cfg.model`` on ``cfg.task``; writes the output directory (``jbert.models.directory``)
    and returns the final validation metrics."""
    from jbert.finetuning.run import run_finetune

    return run_finetune(cfg)


def distill(cfg: DistillConfig) -> dict[str, float]:
    """Distil the fine-tuned teacher ``cfg.distill.teacher`` into a smaller student (its own layers, or
    a model directory with its tokenizer); writes a fine-tuned model directory and returns the student's
    final validation metrics."""
    from jbert.distillation.run import run_distill

    return run_distill(cfg)


def resolve_config(cfg: JbertConfig) -> JbertConfig:
    """``cfg`` with its task's bundled recipe laid under what the caller set: every setting ``finetune``
    runs with (the model's length limit is applied when the model is read)."""
    from jbert.finetuning.run import with_task_recipe

    return with_task_recipe(cfg)


def evaluate(cfg: EvalConfig | ScoreConfig | JglueConfig) -> EvalResult | Any:
    """Score against gold data. ``cfg`` picks the mode (``jbert.evaluation``): ``EvalConfig`` (a
    fine-tuned model on a gold file), ``ScoreConfig`` (another system's prediction file) or
    ``JglueConfig`` (every JGLUE task model on its valid split, beside the published baselines: a
    ``JglueResult``)."""
    from jbert.evaluation import run_evaluation

    return run_evaluation(cfg)


def mine_negatives(cfg: MineConfig) -> Mined:
    """Training rows for ``finetune embedding`` / ``finetune reranker`` from a retrieval set: each
    query and relevant document with the first stage's (BM25 or a bi-encoder) hardest negatives."""
    from jbert.retrieval.mine import mine_negatives

    return mine_negatives(cfg)


def predict(cfg: PredictConfig) -> PredictSummary:
    """Run a fine-tuned model directory over input files, streaming one output row per input row;
    returns the counts (rows in/out/in error)."""
    from jbert.inference import run_predict

    return run_predict(cfg)


def embed(cfg: EmbedConfig) -> EmbedSummary:
    """Embed every row of input files with an embedding model, streaming one vector per row to .npy /
    .parquet / .jsonl; returns the counts (rows in/out/in error). For vectors in memory:
    ``jbert.inference.embedding.encode_texts``."""
    from jbert.inference.embed import run_embed

    return run_embed(cfg)


def pretrain(cfg: PretrainConfig) -> dict[str, float]:
    """Masked-LM pre-training (from ``jbert model init``) or continued pre-training of ``cfg.model`` on
    ``cfg.corpus``; writes a plain model directory and returns the final held-out metrics (mlm_loss,
    perplexity, accuracy)."""
    from jbert.pretraining.run import run_pretrain

    return run_pretrain(cfg)


def fill_mask(model_dir: str | Path, text: str, top_k: int = 5) -> list[list[Filler]]:
    """Top-k fillers (token, score, sequence) for each mask token of ``text``."""
    from jbert.pretraining.fill_mask import fill_mask as fill

    return fill(model_dir, text, top_k)


def check_data(cfg: JbertConfig) -> DataReport:
    """Every problem of the task's train/valid files at once, with statistics (``jbert data check``):
    ``cfg`` is a ``JbertConfig`` as for ``finetune`` (``model.name_or_path`` adds token lengths);
    ``report.errors`` > 0: finetune would stop."""
    from jbert.datacheck import check_data as run_check

    return run_check(cfg)


def export(cfg: ExportConfig) -> ExportResult:
    """Export a fine-tuned model directory (ONNX fp32/int8 or torch int8) after measuring its agreement
    with the original."""
    from jbert.export import run_export

    return run_export(cfg)


def sweep(cfg: SweepConfig) -> dict[str, Any]:
    """Fine-tune (or, when ``cfg.base`` is a ``DistillConfig``, distil) a grid of configurations,
    select the best by the task's primary metric on the validation set, link it as OUTPUT/best;
    returns the sweep record."""
    from dataclasses import replace

    from jbert.distillation import DistillConfig
    from jbert.finetuning.sweep import SweepTarget, run_sweep

    if isinstance(cfg.base, DistillConfig) and cfg.target is None:
        from jbert.distillation.run import run_distill
        from jbert.distillation.settings import SWEEP_CACHE, recorded_settings, sweep_base

        target = SweepTarget(run=run_distill, recorded=recorded_settings, keep=(SWEEP_CACHE,))
        cfg = replace(cfg, base=sweep_base(cfg.base), target=target)
    return run_sweep(cfg)


def report(cfg: ReportConfig) -> Path:
    """Write one self-contained HTML report for run directories; returns the path written."""
    from jbert.report import write_report

    return write_report(cfg)
