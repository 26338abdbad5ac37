"""``jbert report``: one self-contained HTML file for one or several fine-tuned runs.

    from jbert.report import ReportConfig, write_report
    write_report(ReportConfig(run_dirs=["runs/jsts"], output="report.html"))

Each run gets its metrics, learning curves (best checkpoint marked), the analysis its head calls
for (confusion matrix, predicted-vs-gold scatter, per-type P/R/F1, QA by answer length and wrong
answers, cosine vs gold score for embeddings, the ranking of the validation queries for rerankers), the sweep that selected it, its configuration and tokenizer fingerprint. Several runs
add a comparison table and overlaid curves; JGLUE task runs (or a ``jbert eval jglue --output``
JSON) add the JGLUE table beside the paper's baselines; a ``jbert eval retrieval --output`` JSON adds
its metrics, where the first relevant document ranks and the worst failed queries (``files`` holds
the kinds of result file). Plots need matplotlib (``jbert[report]``).

May import: every stage (``evaluation``, ``finetuning``, ``training``, ...); never ``jbert.api`` or the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.report import qa, ranking, retrieval, sections, similarity  # noqa: F401  (they register analyses)
from jbert.report.files import FILE_KINDS, FileKind, ResultFile, files_html, read_result_file
from jbert.report.html import esc, image, note, page, section, table
from jbert.report.runs import RunData, load_run


@dataclass
class ReportConfig:
    run_dirs: list[str]  # fine-tuned dirs, sweep outputs, folders of them, or `eval ... --output` JSON files
    output: str = "report.html"
    title: str | None = None


def write_report(cfg: ReportConfig) -> Path:
    """Build the report and write it atomically to ``cfg.output``; returns that path."""
    from jbert.report.plots import pyplot
    from jbert.writers import atomic_output, check_output_path

    check_output_path(cfg.output)  # fail before reading and plotting, not after
    pyplot()  # a missing matplotlib is one clear error up front
    runs, files = collect(cfg.run_dirs)
    html = build_html(runs, files, cfg.title)
    with atomic_output(cfg.output) as stream:
        stream.write(html)
    return Path(cfg.output)


def collect(paths: list[str]) -> tuple[list[RunData], list[ResultFile]]:
    """Runs found under ``paths`` (as ``jbert eval jglue`` finds them) and the result files given."""
    from jbert.evaluation.jglue import find_models

    if not paths:
        raise ConfigError("give at least one run directory: jbert report RUN_DIR... --output report.html")
    runs, files = [], []
    for raw in paths:
        if not Path(raw).exists():
            raise ConfigError(f"{raw}: no such run directory or file")
        if Path(raw).is_file():
            files.append(read_result_file(Path(raw)))
        else:
            runs += [load_run(path) for path in find_models([raw])]
    return runs, files


def build_html(runs: list[RunData], files: list[ResultFile], title: str | None = None) -> str:
    body = files_html(files, runs)  # evaluation results first: the JGLUE table, retrieval evaluations
    if len(runs) > 1:
        body.append(comparison_html(runs))
    body += [sections.run_section(run, i) for i, run in enumerate(runs)]
    return page(title or _title(runs, files), "".join(body))


def _title(runs: list[RunData], files: list[ResultFile]) -> str:
    if len(runs) + len(files) == 1:
        return f"jbert report: {runs[0].name if runs else files[0].path.name}"
    counts = [f"{n} {what}{'s' if n > 1 else ''}" for n, what in ((len(runs), "run"), (len(files), "result file")) if n]
    return f"jbert report: {', '.join(counts)}"


def comparison_html(runs: list[RunData]) -> str:
    rows = [[f'<a href="#run-{i}">{esc(r.name)}</a>', esc(r.spec.name), esc(r.spec.primary_metric),
             _num(r.final.get(r.spec.primary_metric)), _num(r.best_step), _num(r.config.training.learning_rate),
             _num(r.config.training.epochs), _num(r.config.training.batch_size), _num(r.config.training.seed)]
            for i, r in enumerate(runs)]
    header = ["run", "task", "primary metric", "value", "best step", "learning rate", "epochs", "batch", "seed"]
    parts = [table(header, rows, raw=True)]
    for (task, metric), group in _by_task(runs).items():
        series = {r.name: [(e["epoch"], e[metric]) for e in r.metrics.get("history", []) if metric in e]
                  for r in group}
        series = {k: v for k, v in series.items() if v}
        if len(series) > 1:
            from jbert.report.plots import compare_curves

            parts.append(image(compare_curves(series, metric), f"{task}: validation {metric} per run"))
    return section("Runs compared", *parts)


def _by_task(runs: list[RunData]) -> dict[tuple[str, str], list[RunData]]:
    groups: dict[tuple[str, str], list[RunData]] = {}
    for run in runs:
        groups.setdefault((run.spec.name, run.spec.primary_metric), []).append(run)
    return groups


def _num(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else esc(value)


def jglue_html(runs: list[RunData], jglue_files: list[dict[str, Any]]) -> str:
    """The JGLUE table (jbert's runs beside the published baselines), when any run is a JGLUE task."""
    from jbert.evaluation import EvalResult, JglueResult, partial_note, table_rows

    results: dict[str, EvalResult] = {}
    for data in jglue_files:
        results.update({task: EvalResult(**r) for task, r in data["jbert"].items()})
    chosen, duplicates = _best_per_jglue_task(runs)
    for task, run in chosen.items():
        results[task] = EvalResult(task=task, data=str(run.path), examples=len(run.examples),
                                   metrics=run.final, model=str(run.path))
    if not results:
        return ""
    result = JglueResult(results, {})
    header, rows = table_rows(result, "jbert (these runs)")
    text = ('<p class="muted">validation (dev) scores as fractions, with the rows each was scored on in brackets; '
            'baselines: Tohoku BERT base as published, on the full validation split</p>')
    extra = note(f"several runs of {', '.join(duplicates)}: the table shows the best by the primary metric") \
        if duplicates else ""
    partial = partial_note(result)
    return section("JGLUE", text, table(header, rows), note(partial) if partial else "", extra)


def _best_per_jglue_task(runs: list[RunData]) -> tuple[dict[str, RunData], list[str]]:
    from jbert.evaluation.jglue import COLUMNS

    tasks = {name for name, _, _ in COLUMNS}
    chosen: dict[str, RunData] = {}
    duplicates: list[str] = []
    for run in runs:
        name, metric = run.spec.name, run.spec.primary_metric
        if name not in tasks:
            continue
        if name in chosen:
            duplicates.append(name)
            sign = -1 if metric.endswith("loss") else 1
            if sign * run.final.get(metric, float("-inf")) <= sign * chosen[name].final.get(metric, float("-inf")):
                continue
        chosen[name] = run
    return chosen, sorted(set(duplicates))


def _jglue_file_html(files: list[ResultFile], runs: list[RunData]) -> str:
    return jglue_html(runs, [f.data for f in files])


FILE_KINDS.register("jglue")(FileKind("`jbert eval jglue --output`", lambda data: "jbert" in data, _jglue_file_html))
