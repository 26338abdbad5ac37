"""The JGLUE selection protocol: fine-tune a grid of configurations (times seeds), pick the best on
the validation set by the task's primary metric (mean over seeds), link it as ``OUTPUT/best``.

    OUTPUT/
      runs/learning_rate=3e-05,epochs=4/seed=42/   one fine-tuned model directory per run (kept)
      best -> runs/.../seed=N                      the best seed of the selected configuration
      sweep.json, sweep.md                         every run, every configuration's mean ± std

Runs go one after the other. A finished run (its ``jbert_config.yaml`` exists) is not run again
and an interrupted one resumes from its last checkpoint, so the same command also continues a
sweep, and ``--shard i/n`` splits the grid over processes or GPUs (run each shard, then the
command without ``--shard`` to select). ``run_sweep`` runs ``jbert.finetuning.run.run_finetune`` for each run,
or what ``SweepConfig.target`` names (``jbert.api`` passes distillation's: the same grid, record and
selection over ``jbert distill`` runs).
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import os
import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.config.run import JbertConfig, with_recipe
from jbert.config.sections import parse_override, set_dotted
from jbert.config.tasks import TaskSpec
from jbert.errors import ConfigError
from jbert.writers.outputs import check_output_dir

logger = logging.getLogger(__name__)
SWEEP_FILE = "sweep.json"
SWEEP_TABLE = "sweep.md"
BEST = "best"
RUNS = "runs"


@dataclass(frozen=True)
class SweepTarget:
    """What one run of the grid is: the function that runs a configuration, and the task spec and
    settings that run records for it (``jbert_run.yaml``), so a finished or half-run directory made
    with other settings is refused instead of reused."""

    run: Callable[[JbertConfig], Any]
    recorded: Callable[[JbertConfig], tuple[TaskSpec, JbertConfig]]
    keep: tuple[str, ...] = ()  # what else OUTPUT may hold besides the runs and the record (a shared cache)


def finetune_target() -> SweepTarget:
    from jbert.finetuning.run import resolve_spec, run_finetune

    def recorded(cfg: JbertConfig) -> tuple[TaskSpec, JbertConfig]:
        spec = resolve_spec(cfg)
        return spec, with_recipe(cfg, spec.recipe)  # as finetune records it

    return SweepTarget(run=run_finetune, recorded=recorded)


@dataclass
class SweepConfig:
    base: JbertConfig  # the finetune config every run starts from (its output_dir is the sweep's)
    axes: list[str]  # "training.learning_rate=5e-5,3e-5,2e-5" ...
    seeds: int = 1  # seeds per configuration: training.seed, training.seed + 1, ...
    shard: str | None = None  # "i/n": run only every n-th run starting at i, do not select
    progress: Callable[[str], None] | None = None  # told "run 2/12: PATH" as each run starts
    target: SweepTarget | None = None  # what each run is (default: finetune_target())


@dataclass
class Run:
    params: dict[str, Any]
    seed: int
    path: Path
    metrics: dict[str, float] = field(default_factory=dict)


def parse_axes(axes: list[str]) -> list[tuple[str, list[Any]]]:
    """``["training.epochs=3,4"]`` -> ``[("training.epochs", [3, 4])]`` (values as YAML scalars)."""
    parsed = []
    for item in axes:
        key, raw = item.split("=", 1) if "=" in item else (item, "")
        if not key.strip() or not raw.strip(", "):  # checked first: parse_override's own error names --set
            raise ConfigError(f"--sweep expects key=v1,v2,... (e.g. training.learning_rate=5e-5,3e-5), got {item!r}")
        values = [parse_override(f"{key}={v}")[1] for v in raw.split(",") if v.strip()]
        if key == "training.seed":
            raise ConfigError("--sweep training.seed=...: use --seeds N for several seeds per configuration")
        parsed.append((key.strip(), values))
    return parsed


def plan(cfg: SweepConfig) -> list[tuple[JbertConfig, Run]]:
    """Every (configuration, seed) as a ready finetune config and its Run record, in grid order."""
    if cfg.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {cfg.seeds}")
    out = Path(cfg.base.training.output_dir or ".")
    axes = parse_axes(cfg.axes)
    _warn_steps_over_epochs(cfg.base, axes)
    runs = []
    for values in itertools.product(*(v for _, v in axes)):
        params = {key: value for (key, _), value in zip(axes, values, strict=True)}
        for seed in range(cfg.base.training.seed, cfg.base.training.seed + cfg.seeds):
            run_cfg = copy.deepcopy(cfg.base)
            for key, value in params.items():
                set_dotted(run_cfg, key, value, source="--sweep")
            params = {key: _value(run_cfg, key, value) for key, value in params.items()}
            run_cfg.training.seed = seed
            path = out / RUNS / _slug(params) / f"seed={seed}"
            run_cfg.training.output_dir = str(path)
            run_cfg.validate()
            runs.append((run_cfg, Run(params, seed, path)))
    return runs


def _warn_steps_over_epochs(base: JbertConfig, axes: list[tuple[str, list[Any]]]) -> None:
    """max_steps > 0 overrides epochs: an epochs axis would then run the same configuration again."""
    epochs = [values for key, values in axes if key == "training.epochs"]
    if epochs and base.training.max_steps > 0 and len(epochs[0]) > 1:
        logger.warning("--sweep training.epochs=%s with --max-steps %d: every run stops after %d steps whatever its "
                       "epochs, so the epochs axis runs identical configurations; leave --max-steps out, or sweep "
                       "training.max_steps instead", ",".join(map(str, epochs[0])), base.training.max_steps,
                       base.training.max_steps)


def _value(cfg: JbertConfig, key: str, raw: Any) -> Any:
    """The value as the config holds it after type coercion ("5e-5" from YAML -> 5e-05)."""
    section, _, name = key.partition(".")
    return getattr(getattr(cfg, section), name, raw) if "." not in name else raw


def _slug(params: dict[str, Any]) -> str:
    return ",".join(f"{key.split('.')[-1]}={value}" for key, value in params.items()) or "base"


def run_sweep(cfg: SweepConfig) -> dict[str, Any]:
    """Run (or reuse) every run of the grid; unless sharded, select and write the sweep record."""
    from jbert.finetuning.datafiles import resolve_data_files
    from jbert.models.directory import CONFIG_FILE

    target = cfg.target or finetune_target()
    index, count = _shard(cfg.shard)
    if not cfg.base.training.output_dir:
        raise ConfigError("missing --output: a sweep keeps its runs under OUTPUT/runs and links OUTPUT/best")
    # a rerun continues
    check_output_dir(cfg.base.training.output_dir, keep=(RUNS, BEST, SWEEP_FILE, SWEEP_TABLE, *target.keep))
    spec, settings = target.recorded(cfg.base)
    if resolve_data_files(settings.data, spec)[1] is None:
        raise ConfigError("a sweep selects on the validation set: pass --valid FILE (or --jglue-dir DIR)")
    planned = plan(cfg)
    refuse_stale_runs(Path(cfg.base.training.output_dir), planned, target)
    for i, (run_cfg, run) in enumerate(planned):
        if i % count != index or (run.path / CONFIG_FILE).is_file():
            continue
        run_cfg.training.resume = (run.path / "checkpoints").is_dir()
        (cfg.progress or logger.info)(f"sweep run {i + 1}/{len(planned)}: {run.path}")
        target.run(run_cfg)
    if cfg.shard or os.environ.get("RANK", "0") != "0":  # under accelerate launch only rank 0 selects
        return {"shard": cfg.shard or "all", "runs": len(planned)}
    for _, run in planned:
        run.metrics = _final_metrics(run.path)
    return write_record(Path(cfg.base.training.output_dir), [r for _, r in planned], spec.primary_metric)


def refuse_stale_runs(out: Path, planned: list[tuple[JbertConfig, Run]], target: SweepTarget | None = None) -> None:
    """A run already under OUTPUT/runs that was made (or started) with other settings than the sweep
    gives it now (another --model, --train, --max-steps ...) would be reused as if it were this
    sweep's: refuse, naming the runs and the settings that differ (``jbert.training.run_record``)."""
    from jbert.models.directory import CONFIG_FILE
    from jbert.training.run_record import differences, run_settings, saved_settings

    target = target or finetune_target()
    stale, diffs = [], []
    for run_cfg, run in planned:
        settings = target.recorded(run_cfg)[1]
        saved = saved_settings(run.path, CONFIG_FILE, set(settings.to_dict()))
        found = differences(saved[0], run_settings(settings), saved[1]) if saved else []
        if found:
            stale.append(str(run.path.relative_to(out)) if run.path.is_relative_to(out) else str(run.path))
            diffs += [d for d in found if d not in diffs]
    if stale:
        raise ConfigError(f"--output {out} holds {len(stale)} run(s) made with other settings "
                          f"({'; '.join(diffs)}): {', '.join(stale)}; choose another --output, or remove "
                          "those runs to run them again")


def _shard(shard: str | None) -> tuple[int, int]:
    if not shard:
        return 0, 1
    try:
        index, count = (int(x) for x in shard.split("/"))
    except ValueError:
        index, count = -1, 0
    if not 0 <= index < count:
        raise ConfigError(f"--shard expects i/n with 0 <= i < n (e.g. 0/2), got {shard!r}")
    return index, count


def _final_metrics(path: Path) -> dict[str, float]:
    metrics_file = path / "metrics.json"
    if not metrics_file.is_file():
        raise ConfigError(f"{path}: no metrics.json; finish the sweep's runs first (rerun without --shard)")
    return json.loads(metrics_file.read_text(encoding="utf-8"))["final"]


def select(runs: list[Run], metric: str) -> list[dict[str, Any]]:
    """One row per configuration: mean and std of ``metric`` over its seeds, best first."""
    higher = not metric.endswith("loss")
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(_slug(run.params), []).append(run)
    rows = []
    for name, group in groups.items():
        scores = [r.metrics[metric] for r in group if metric in r.metrics]
        if len(scores) != len(group):
            raise ConfigError(f"primary metric {metric!r} missing from the metrics of a run of {name}")
        best_run = (max if higher else min)(group, key=lambda r: r.metrics[metric])
        rows.append({"config": name, "params": group[0].params, "mean": statistics.fmean(scores),
                     "std": statistics.stdev(scores) if len(scores) > 1 else 0.0, "seeds": len(scores),
                     "best_run": str(best_run.path)})
    rows.sort(key=lambda row: row["mean"], reverse=higher)
    return rows


def write_record(out: Path, runs: list[Run], metric: str) -> dict[str, Any]:
    """Select, link ``OUTPUT/best`` and write ``sweep.json`` + ``sweep.md``; returns the record."""
    configs = select(runs, metric)
    selected = configs[0]
    link_best(out, Path(selected["best_run"]))
    record = {
        "metric": metric,
        "selected": selected,
        "configs": configs,
        "runs": [{"params": r.params, "seed": r.seed, "path": str(r.path), "metrics": r.metrics} for r in runs],
    }
    from jbert.writers import write_metrics_json

    write_metrics_json(out / SWEEP_FILE, record)
    (out / SWEEP_TABLE).write_text(sweep_markdown(record) + "\n", encoding="utf-8")
    return record


def link_best(out: Path, run_dir: Path) -> None:
    """``OUTPUT/best`` -> the selected run: a relative symlink, or a copy where symlinks fail."""
    best = out / BEST
    if best.is_symlink() or best.is_file():
        best.unlink()
    elif best.is_dir():
        shutil.rmtree(best)
    try:
        best.symlink_to(run_dir.resolve().relative_to(out.resolve()), target_is_directory=True)
    except (OSError, NotImplementedError):
        shutil.copytree(run_dir, best, ignore=shutil.ignore_patterns("checkpoints"))


def sweep_markdown(record: dict[str, Any]) -> str:
    from jbert.writers import markdown_table

    metric = record["metric"]
    header = ["configuration", f"{metric} mean ± std", "seeds", "selected"]
    rows = [[c["config"], format_score(c), c["seeds"], "yes" if c is record["configs"][0] else ""]
            for c in record["configs"]]
    return f"Selected by validation {metric} (mean over seeds).\n\n" + markdown_table(header, rows)


def format_score(config: dict[str, Any]) -> str:
    return f"{config['mean']:.4f} ± {config['std']:.4f}"


def read_selection(model_dir: str | Path) -> dict[str, Any] | None:
    """The sweep's selected configuration when ``model_dir`` is a sweep's ``OUTPUT/best``; else None."""
    model_dir = Path(model_dir)
    record = model_dir.parent / SWEEP_FILE
    if model_dir.name != BEST or not record.is_file():
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    return {"metric": data["metric"], **data["selected"]}
