"""The training flags `jbert finetune` and `jbert pretrain` share: one definition of each option, one
mapping onto config keys and one closing summary, so the two commands cannot drift apart."""

from __future__ import annotations

import os
from typing import Any

import typer

from jbert.cli._app import echo, progress_flag


def default_texts(cfg: Any, per_task: bool) -> dict[str, str]:
    """What ``--help`` shows as each training flag's default: the value of ``cfg`` (the defaults with any
    fixed recipe laid in); ``per_task``: each task's bundled recipe (configs/jglue/) may set its own."""
    t = cfg.training
    values = {"epochs": f"{t.epochs:g}", "batch_size": t.batch_size, "learning_rate": f"{t.learning_rate:g}",
              "max_length": cfg.encoding.max_length, "seed": t.seed, "precision": t.precision}
    recipe_keys = ("epochs", "batch_size", "learning_rate", "max_length")  # what configs/jglue/*.yaml set
    return {k: f"the task recipe's value, else {v}" if per_task and k in recipe_keys else str(v)
            for k, v in values.items()}


def epochs_option(default: str) -> Any:
    return typer.Option(None, "--epochs", help=f"Training epochs (default: {default}).")


def max_steps_option() -> Any:
    return typer.Option(None, "--max-steps", help="Stop after this many optimizer steps (default: none, --epochs "
                                                  "decides; given, it overrides --epochs).")


def train_batch_size_option(default: str, help: str = "Per-device batch size") -> Any:
    return typer.Option(None, "--batch-size", help=f"{help} (default: {default}).")


def learning_rate_option(default: str) -> Any:
    return typer.Option(None, "--learning-rate", "--lr", help=f"Peak learning rate (default: {default}).")


def max_length_option(default: str, help: str = "Maximum tokens per input") -> Any:
    return typer.Option(None, "--max-length", help=f"{help} (default: {default}).")


def seed_option(default: str, help: str = "Random seed") -> Any:
    return typer.Option(None, "--seed", help=f"{help} (default: {default}).")


def train_precision_option(default: str) -> Any:
    return typer.Option(None, "--precision", help=f"auto | fp32 | bf16 | fp16; auto: bf16 on a GPU that has it "
                                                  f"(default: {default}).")


def resume_option() -> Any:
    return typer.Option(False, "--resume", help="Continue from the last checkpoint in --output.")


def report_to_option() -> Any:
    return typer.Option(None, "--report-to",
                        help="Experiment trackers: none (default), tensorboard, wandb, mlflow; comma-separated.")


def sweep_option() -> Any:
    return typer.Option(None, "--sweep", metavar="KEY=V1,V2",
                        help="Grid axis key=v1,v2,... (repeatable): runs every combination under OUTPUT/runs, links "
                             "the best as OUTPUT/best.")


def seeds_option() -> Any:
    return typer.Option(None, "--seeds", help="With --sweep: seeds per configuration (training.seed, +1, ...); "
                                              "selects by the mean.")


def shard_option() -> Any:
    return typer.Option(None, "--shard", help="With --sweep: run only shard i/n of the runs (one per process or GPU); "
                                              "rerun without it to select.")


def sweep_if_asked(cfg: Any, sweep: list[str] | None, seeds: int | None, shard: str | None) -> bool:
    """Run ``cfg`` as a sweep when any sweep flag was given (and print its table); False: it is one run."""
    if not (sweep or seeds or shard):
        return False
    from jbert import api
    from jbert.finetuning.sweep import SweepConfig, sweep_markdown

    record = api.sweep(SweepConfig(base=cfg, axes=sweep or [], seeds=seeds or 1, shard=shard,
                                   progress=lambda line: echo(line, err=True)))
    if os.environ.get("RANK", "0") != "0":
        return True
    if "shard" in record:
        echo(f"shard {record['shard']} done ({record['runs']} runs in the grid); rerun without --shard to select")
        return True
    echo(sweep_markdown(record))
    echo(f"best: {record['selected']['best_run']} (linked as best/)")
    return True


def training_flags(*, epochs: float | None, max_steps: int | None, batch_size: int | None,
                   learning_rate: float | None, max_length: int | None, seed: int | None,
                   precision: str | None, resume: bool, report_to: str | None) -> dict[str, Any]:
    """The shared flags as dotted config keys (None: not given, the recipe's value stays)."""
    return {
        "training.epochs": epochs,
        "training.max_steps": max_steps,
        "training.batch_size": batch_size,
        "training.learning_rate": learning_rate,
        "encoding.max_length": max_length,
        "training.seed": seed,
        "training.precision": precision,
        "training.resume": resume or None,
        "training.report_to": report_to,
        "training.progress_bar": progress_flag(),  # --quiet: no bar (None: the config's, on a terminal)
    }


def print_summary(message: str, metrics: dict[str, float]) -> None:
    """The closing lines of a training run. Under `accelerate launch` every process returns here; only
    global rank 0 (RANK, set by the launcher) speaks, as only it wrote the directory."""
    if os.environ.get("RANK", "0") != "0":
        return
    echo(message)
    for key, value in metrics.items():
        if key not in ("epoch", "step"):
            echo(f"  {key:<20} {value:.4f}")
