"""One run's part of the report: metrics, learning curves, the analysis its head's output calls for
(registered by head name in ``ANALYSES``), the sweep that picked it, its configuration and the
tokenizer fingerprint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from jbert.registry import Registry
from jbert.report import plots
from jbert.report.html import esc, image, note, section, table
from jbert.report.runs import RunData

Analysis = Callable[[RunData], str]
ANALYSES: Registry[Analysis] = Registry("report analysis")
_PER_TYPE = ("precision_", "recall_", "f1_")  # NER per-type keys: a table, not curves
_NOT_CURVES = ("loss", "epoch", "step")


def run_section(run: RunData, index: int) -> str:
    parts = [metrics_html(run), curves_html(run)]
    if run.note:
        parts.append(note(f"no per-example analysis: {run.note}"))
    elif run.spec.head in ANALYSES:
        parts.append(ANALYSES.get(run.spec.head)(run))
    if run.selection:
        parts.append(selection_html(run.selection))
    parts.append(config_html(run))
    title = f"{run.name}: {run.spec.name}"
    return section(title, f'<p class="muted">{esc(run.path)}</p>', *parts, anchor=f"run-{index}")


def metrics_html(run: RunData) -> str:
    final = {k: v for k, v in run.final.items() if not k.startswith(_PER_TYPE) and k not in ("epoch", "step")}
    best = f"best checkpoint: step {run.best_step}" if run.best_step is not None else "no checkpoint selection"
    caption = (f'<p class="muted">validation metrics of the kept model; primary metric '
               f"<b>{esc(run.spec.primary_metric)}</b>; {esc(best)}; {len(run.examples)} validation rows</p>")
    return caption + table(["metric", "value"], sorted(final.items()))


def curve_points(run: RunData) -> tuple[list, list, dict[str, list]]:
    """(train loss, validation loss, task metrics) as (step, value) lists from the training log
    (or, for a run without one, from metrics.json's per-evaluation history)."""
    log = run.log
    end = next((i for i, r in enumerate(log) if "train_runtime" in r), len(log))
    log = log[:end]  # after the end of training, the kept model is evaluated again: not a new point
    evals = [{k.removeprefix("eval_"): v for k, v in r.items()} for r in log if "eval_loss" in r]
    evals = evals or run.metrics.get("history", [])
    train = [(r["step"], r["loss"]) for r in log if "loss" in r and "eval_loss" not in r]
    valid = [(e["step"], e["loss"]) for e in evals if "loss" in e]
    names = [k for k in run.final if k not in _NOT_CURVES and not k.startswith(_PER_TYPE)]
    metrics = {n: [(e["step"], e[n]) for e in evals if isinstance(e.get(n), (int, float))] for n in names}
    return train, valid, {n: p for n, p in metrics.items() if p}


def curves_html(run: RunData) -> str:
    train, valid, metrics = curve_points(run)
    if not (train or valid or metrics):
        return note("no training log (train_log.jsonl) or evaluation history: no curves")
    png = plots.learning_curves(train, valid, metrics, run.best_step)
    return section("Learning curves", image(png, f"learning curves of {run.name}"), level=3)


@ANALYSES.register("classification", "pair-classification", "choice")
def confusion_html(run: RunData) -> str:
    from jbert.metrics import confusion_matrix

    labels = run.labels
    if labels is None and run.examples and run.examples[0].choices:  # choice: the answer's index
        labels = [str(i) for i in range(len(run.examples[0].choices))]
    cm = confusion_matrix(run.predictions, run.references, labels)
    png = plots.confusion(cm["labels"], cm["matrix"])
    rows = [[label, *row] for label, row in zip(cm["labels"], cm["matrix"], strict=True)]
    return section("Confusion matrix (rows gold, columns predicted)",
                   image(png, "confusion matrix"), table(["gold \\ predicted", *cm["labels"]], rows), level=3)


@ANALYSES.register("pair-regression")
def scatter_html(run: RunData) -> str:
    return correlation_html(run, "Predicted vs gold", "predicted")


def correlation_html(run: RunData, heading: str, ylabel: str, diagonal: bool = True) -> str:
    """A score per validation pair against its gold score: the scatter (``diagonal``: y = x, else the
    least squares line, for scores on another scale) and the pair count, Pearson and Spearman."""
    from jbert.metrics import compute

    predicted = [float(p) for p in run.predictions]
    gold = [float(r) for r in run.references]
    scores = compute(["pearson", "spearman"], predicted, gold)
    title = f"Pearson {scores['pearson']:.3f}, Spearman {scores['spearman']:.3f}"
    png = plots.scatter(predicted, gold, title, xlabel="gold score", ylabel=ylabel, diagonal=diagonal)
    rows = [["pairs", len(gold)], ["pearson", scores["pearson"]], ["spearman", scores["spearman"]]]
    return section(heading, image(png, heading.lower()), table(["validation pairs", "value"], rows), level=3)


@ANALYSES.register("token")
def entities_html(run: RunData) -> str:
    from jbert.metrics import compute

    scores = compute(["seqeval"], run.predictions, run.references)
    types = sorted({k.removeprefix("f1_") for k in scores if k.startswith("f1_")})
    gold_counts = {t: sum(e[2] == t for ents in run.references for e in ents) for t in types}
    rows = [[t, scores[f"precision_{t}"], scores[f"recall_{t}"], scores[f"f1_{t}"], gold_counts[t]] for t in types]
    rows.append(["all (micro)", scores["precision"], scores["recall"], scores["f1"], sum(gold_counts.values())])
    bars = {k: [scores[f"{k}_{t}"] for t in types] for k in ("precision", "recall", "f1")}
    png = plots.grouped_bars(types, bars, "entity precision / recall / F1 by type")
    return section("Entities by type", image(png, "per-type precision recall f1"),
                   table(["type", "precision", "recall", "f1", "gold entities"], rows), level=3)


def selection_html(selection: dict[str, Any]) -> str:
    from jbert.finetuning.sweep import format_score

    rows = [[c["config"], format_score(c), c["seeds"], "selected" if c["config"] == selection["config"] else ""]
            for c in selection.get("table", [])]
    text = (f'<p>Chosen by <code>jbert finetune --sweep</code> on validation {esc(selection["metric"])}: '
            f"<b>{esc(selection['config'])}</b> ({esc(format_score(selection))} over {selection['seeds']} seed(s)).</p>")
    header = ["configuration", f"{selection['metric']} mean ± std", "seeds", ""]
    return section("Hyperparameter selection", text, table(header, rows) if rows else "", level=3)


def config_html(run: RunData) -> str:
    config = yaml.safe_dump(run.config.to_dict(), allow_unicode=True, sort_keys=False)
    fingerprint = run.fingerprint or {}
    rows = [[k, str(v) if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)]
            for k, v in fingerprint.items()]
    finger = table(["field", "value"], rows) if rows else note("no tokenizer fingerprint recorded")
    return section("Configuration and tokenizer", "<h4>Tokenizer fingerprint</h4>", finger,
                   f"<details><summary>jbert_config.yaml (resolved)</summary><pre>{esc(config)}</pre></details>",
                   level=3)
