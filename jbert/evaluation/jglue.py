"""``jbert eval jglue``: every fine-tuned JGLUE task model on its valid split, as the JGLUE table,
beside the published baselines.

The table layout and the baselines are data (``COLUMNS``, ``BASELINES``): a new task or a new
reference row is a new entry, not a new branch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.config.inference import RunSettings
from jbert.config.tasks import jglue_file
from jbert.errors import ConfigError
from jbert.evaluation.common import EvalResult
from jbert.evaluation.model import EvalConfig, evaluate_model
from jbert.writers.rundir import check_not_unfinished

# (task spec name, column title, metric keys shown as "a/b"), in the JGLUE paper's order.
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("marc_ja", "MARC-ja", ("accuracy",)),
    ("jsts", "JSTS", ("pearson", "spearman")),
    ("jnli", "JNLI", ("accuracy",)),
    ("jsquad", "JSQuAD", ("exact_match", "f1")),
    ("jcommonsenseqa", "JCommonsenseQA", ("accuracy",)),
    ("jcola", "JCoLA", ("mcc",)),
]

# Published dev-set scores of Tohoku BERT base (cl-tohoku/bert-base-japanese-v2), fractions.
BASELINES: dict[str, dict[str, dict[str, float]]] = {
    "Tohoku BERT base (JGLUE paper, dev)": {
        "marc_ja": {"accuracy": 0.958},
        "jsts": {"pearson": 0.909, "spearman": 0.868},
        "jnli": {"accuracy": 0.906},
        "jsquad": {"exact_match": 0.871, "f1": 0.941},
        "jcommonsenseqa": {"accuracy": 0.808},
    },
    # The JGLUE README re-reports JNLI after the v1.1 data update; the other tasks are unchanged.
    "Tohoku BERT base (JGLUE README v1.1+, dev)": {
        "marc_ja": {"accuracy": 0.958},
        "jsts": {"pearson": 0.909, "spearman": 0.868},
        "jnli": {"accuracy": 0.899},
        "jsquad": {"exact_match": 0.871, "f1": 0.941},
        "jcommonsenseqa": {"accuracy": 0.808},
    },
}


# Rows of each task's official validation (dev) split (JGLUE README and paper, v1.1+; JCoLA: the in-domain
# dev set). The baselines are scores on all of them; a score on other rows is marked, never set beside
# them as if it were comparable.
FULL_VALID_ROWS: dict[str, int] = {"marc_ja": 5654, "jsts": 1457, "jnli": 2434, "jsquad": 4442,
                                   "jcommonsenseqa": 1119, "jcola": 865}
PARTIAL = "†"  # marks a score that is not on the full official validation split


@dataclass(kw_only=True)
class JglueConfig(RunSettings):
    model_dirs: list[str]  # fine-tuned model dirs, or dirs holding one per task in subdirectories
    jglue_dir: str | None = None  # None: the jglue_dir each model was fine-tuned with
    output: str | None = None  # the table as JSON


@dataclass
class JglueResult:
    results: dict[str, EvalResult]  # task name -> result
    skipped: dict[str, str]  # model dir -> why it was not evaluated
    selection: dict[str, dict[str, Any]] = field(default_factory=dict)  # task -> sweep's selected config

    def scores(self) -> dict[str, dict[str, float]]:
        return {task: r.metrics for task, r in self.results.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "jbert": {task: r.to_dict() for task, r in self.results.items()},
            "baselines": BASELINES,
            "baseline_rows": FULL_VALID_ROWS,
            "skipped": self.skipped,
            "selection": self.selection,
        }


def evaluate_jglue(cfg: JglueConfig) -> JglueResult:
    """Evaluate each model found under ``cfg.model_dirs`` on its task's JGLUE valid split."""
    from jbert.finetuning.sweep import read_selection
    from jbert.models.directory import read_finetuned_config

    results: dict[str, EvalResult] = {}
    selection: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for model_dir in find_models(cfg.model_dirs):
        config, spec, _, _ = read_finetuned_config(model_dir)
        if not spec.jglue or "valid" not in spec.jglue:
            skipped[str(model_dir)] = f"task {spec.name!r} is not a JGLUE task"
            continue
        if spec.name in results:
            raise ConfigError(
                f"two models for {spec.name}: {results[spec.name].model} and {model_dir}; keep one"
            )
        valid = jglue_file(spec, cfg.jglue_dir or config.data.jglue_dir, "valid")
        eval_cfg = EvalConfig(
            model=str(model_dir), data=str(valid), batch_size=cfg.batch_size, device=cfg.device,
            precision=cfg.precision, max_length=cfg.max_length, chunk_size=cfg.chunk_size,
        )
        results[spec.name] = evaluate_model(eval_cfg)
        if chosen := read_selection(model_dir):
            selection[spec.name] = chosen
    if not results:
        raise ConfigError(
            f"no JGLUE task model found in {', '.join(cfg.model_dirs)}"
            + (f" (skipped: {'; '.join(f'{k}: {v}' for k, v in skipped.items())})" if skipped else "")
        )
    return JglueResult(results, skipped, selection)


def find_models(dirs: list[str]) -> list[Path]:
    """Each dir that holds ``jbert_config.yaml``, else its subdirectories that do (sorted). A sweep's
    output (``jbert finetune --sweep``) counts as its selected model, ``OUTPUT/best``."""
    from jbert.finetuning.sweep import BEST
    from jbert.models.directory import CONFIG_FILE

    found: list[Path] = []
    for raw in dirs:
        root = Path(raw)
        if not root.is_dir():
            raise ConfigError(f"--model-dir: folder not found: {root}")
        if (root / CONFIG_FILE).is_file() or (root / BEST / CONFIG_FILE).is_file():
            found.append(root if (root / CONFIG_FILE).is_file() else root / BEST)
            continue
        children = sorted(p / BEST if (p / BEST / CONFIG_FILE).is_file() else p
                          for p in root.iterdir() if (p / CONFIG_FILE).is_file() or (p / BEST / CONFIG_FILE).is_file())
        if not children:
            check_not_unfinished(root)  # a killed run: the message predict and eval give too
            raise ConfigError(f"{root} holds no fine-tuned model ({CONFIG_FILE} in it or in a subfolder)")
        found += children
    return found


def table_rows(result: JglueResult, model_name: str = "jbert") -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the JGLUE table: jbert's scores, then each baseline, each with the rows it was
    scored on (``0.907/0.867 (1457)``; a score not on the full official validation split gets PARTIAL).
    Columns without any score are left out; a missing score is None (shown as ``-``)."""
    columns = [c for c in COLUMNS if c[0] in result.results]
    header = ["model", *(f"{title} ({'/'.join(keys)})" for _, title, keys in columns)]
    rows = [[model_name, *(_cell(result.results[task].metrics, keys, task, result.results[task].examples)
                           for task, _, keys in columns)]]
    rows += [[name, *(_cell(table.get(task), keys, task, FULL_VALID_ROWS.get(task)) for task, _, keys in columns)]
             for name, table in BASELINES.items()]
    return header, rows


def _cell(metrics: dict[str, float] | None, keys: tuple[str, ...], task: str, rows: int | None) -> str | None:
    if not metrics or any(k not in metrics for k in keys):
        return None
    text = "/".join(f"{metrics[k]:.3f}" for k in keys)
    if rows is None:
        return text
    return f"{text} ({rows}){'' if rows == FULL_VALID_ROWS.get(task) else PARTIAL}"


def partial_note(result: JglueResult) -> str | None:
    """One line naming the scores that are not on the full official validation split, or None."""
    partial = [f"{title} on {result.results[task].examples} of {FULL_VALID_ROWS[task]} rows"
               for task, title, _ in COLUMNS  # in the table's order
               if task in result.results and result.results[task].examples != FULL_VALID_ROWS.get(task)]
    if not partial:
        return None
    return (f"{PARTIAL} not the full official validation split ({'; '.join(partial)}): not comparable with the "
            "published baselines, which are scores on every row of it")


def selection_rows(result: JglueResult) -> tuple[list[str], list[list[Any]]] | None:
    """``| task | selected configuration | metric mean ± std (seeds) |`` for tasks picked by a sweep."""
    if not result.selection:
        return None
    titles = {task: title for task, title, _ in COLUMNS}
    rows = [[titles.get(task, task), s["config"], f"{s['metric']} {s['mean']:.4f} ± {s['std']:.4f} ({s['seeds']})"]
            for task, s in result.selection.items()]
    return ["task", "selected configuration", "validation mean ± std (seeds)"], rows
