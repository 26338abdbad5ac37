"""The one training core, task-free: what fine-tuning (a head's model and collator) and pre-training
(a masked-LM model and collator) share around the loop in ``jbert.training.trainer``.

    output directory checks -> TrainingArguments -> tokenizer -> seeded model -> fit -> rank-0 save

Per-node work (encoding, tokenizing a corpus) runs under ``args.main_process_first(local=True)``
so ranks under ``accelerate launch`` do it once; only the process with ``args.should_save`` writes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from jbert.config.run import ModelConfig
from jbert.errors import ConfigError
from jbert.models.initialise import quiet_weight_saving
from jbert.models.inputs import (
    ModelInputs,
    align_tokenizer,
    attention_kwargs,
    clamp_max_length,
    read_model_inputs,
    set_positions,
)
from jbert.tokenization import load_tokenizer
from jbert.training.run_record import RUN_FILE, check_resume, write_record
from jbert.training.trainer import CHECKPOINTS, TRAIN_LOG, FitResult, fit, training_arguments
from jbert.writers.outputs import check_output_dir, check_writable
from jbert.writers.rundir import check_not_unfinished

__all__ = ["CACHE", "Run", "fit", "finish_run", "load_model", "prepare_output_dir", "start_run"]

C = TypeVar("C")  # a run config with training, model and encoding sections (finetune, pretrain)
CACHE = ".encoded"  # OUTPUT/.encoded: per-node caches, removed once the run is saved
# What a run that stopped before its first checkpoint leaves; a new run into that directory replaces it.
_LEFTOVERS = (CACHE, CHECKPOINTS, TRAIN_LOG, RUN_FILE)


@dataclass
class Run:
    """One training run's output directory, TrainingArguments, tokenizer and what the model takes."""

    out: Path
    args: Any  # transformers.TrainingArguments
    tokenizer: Any
    inputs: ModelInputs  # the architecture's inputs and longest sequence (jbert.models.inputs)

    @property
    def cache_dir(self) -> Path:
        return self.out / CACHE


def start_run(cfg: C, *, has_eval: bool, primary_metric: str | None, marker: str) -> tuple[Run, C]:
    """Check the output directory (``marker``: the file a finished run writes last) against ``cfg`` (the
    run's whole config: ``training``, ``model``, ``encoding`` ...), build the TrainingArguments, record the
    settings (``jbert.training.run_record``), load the model's fast tokenizer and read what the model takes.
    Returns the run and ``cfg`` resolved against the model: ``encoding.max_length`` clamped to its limit
    (here, once, where the model is first read) and ``model.position_ids`` decided; the run and its saved
    config both carry these, so eval and predict read them back."""
    training, model = cfg.training, cfg.model
    out = Path(training.output_dir)
    prepare_output_dir(out, cfg, marker)
    args = training_arguments(training, out, has_eval=has_eval, primary_metric=primary_metric)
    # the tokenizer returns exactly the inputs this architecture takes (jbert.models.inputs)
    check_not_unfinished(model.name_or_path)  # a killed run's directory as --model: say so, not "no tokenizer"
    tokenizer = load_tokenizer(model.name_or_path)  # first: its errors name the fix
    inputs = read_model_inputs(model.name_or_path, model.position_ids)
    if args.should_save and not (training.resume and (out / RUN_FILE).is_file()):
        out.mkdir(parents=True, exist_ok=True)
        write_record(out, cfg)  # the settings as given, before the first checkpoint: what a resume is compared with
    max_length = clamp_max_length(cfg.encoding.max_length, inputs, "--max-length")
    cfg = replace(cfg, encoding=replace(cfg.encoding, max_length=max_length),
                  model=replace(model, position_ids=inputs.positions))
    return Run(out, args, align_tokenizer(tokenizer, inputs), inputs), cfg


def prepare_output_dir(out: Path, config: Any, marker: str) -> None:
    """Refuse to mix two runs in one directory: finishing an unfinished run needs --resume, with the
    settings it was started with; a new run needs a new (or empty) directory in a writable place."""
    if config.training.resume:
        check_writable(out, f"--output {out}")
        check_resume(out, config, marker)
        return
    if (out / marker).is_file():
        raise ConfigError(f"{out} already holds a trained model; choose another --output or remove it")
    checkpoints = out / CHECKPOINTS
    if checkpoints.is_dir() and any(checkpoints.glob("checkpoint-*")):
        raise ConfigError(f"{out} holds checkpoints of an unfinished run: add --resume to continue it, "
                          "or choose another --output")
    check_output_dir(out, keep=_LEFTOVERS)
    (out / TRAIN_LOG).unlink(missing_ok=True)


def load_model(factory: Callable[..., Any], model: ModelConfig, seed: int, inputs: ModelInputs | None = None) -> Any:
    """``factory(name_or_path, **kwargs)`` (a head's ``model``, ``AutoModelForMaskedLM.from_pretrained``);
    seeded first, because a new head's random init must repeat run to run. ``inputs``: the run's, whose
    position setting is recorded on the model's config (saved in config.json)."""
    from transformers import set_seed

    set_seed(seed)
    kwargs = attention_kwargs(model.attn_implementation)
    try:
        with quiet_weight_saving():
            loaded = factory(model.name_or_path, **kwargs)
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = " (try --set model.attn_implementation=eager)" if "attn" in reason.lower() else ""
        raise ConfigError(f"cannot load model {model.name_or_path!r}: {reason}{hint}") from exc
    if inputs is not None:
        set_positions(loaded.config, inputs.positions)
    return loaded


def finish_run(run: Run, result: FitResult, save: Callable[[Path], None]) -> None:
    """Rank 0 only: ``save(out)`` writes the model directory, then the per-node caches go."""
    if result.is_main_process:
        save(run.out)
        shutil.rmtree(run.cache_dir, ignore_errors=True)
    # Every rank leaves once the directory is complete: a rank that exits while rank 0 is still saving
    # tears down its side of the process group under it (seen as an abort at exit under accelerate launch).
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
