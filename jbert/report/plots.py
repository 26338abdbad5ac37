"""The report's figures, drawn with matplotlib's Agg backend (no display) and returned as PNG bytes,
so the HTML can embed them and open with no network and no files beside it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from jbert.errors import ConfigError

# Japanese labels (a user's class names, NER types) need a CJK font; matplotlib falls back along
# this list, and only the installed ones are named so it does not warn about the others.
_CJK_FONTS = ("Noto Sans CJK JP", "IPAexGothic", "IPAGothic", "TakaoGothic", "Hiragino Sans", "Yu Gothic")
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, with a CJK fallback font when one is installed."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ConfigError("jbert report draws its plots with matplotlib: pip install 'jbert[report]'") from exc
    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    plt.rcParams["font.sans-serif"] = ["DejaVu Sans", *(f for f in _CJK_FONTS if f in installed)]
    plt.rcParams["font.family"] = "sans-serif"
    return plt


def png(fig: Any) -> bytes:
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def learning_curves(train: list[tuple[float, float]], valid_loss: list[tuple[float, float]],
                    metrics: dict[str, list[tuple[float, float]]], best_step: int | None) -> bytes:
    """Left: training loss (every logging step) and validation loss (every evaluation) by step.
    Right: the task metrics per evaluation. The kept (best) checkpoint is a dashed line on both."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    if train:
        left.plot(*zip(*train, strict=True), label="train loss", color=_COLORS[0], linewidth=1)
    if valid_loss:
        left.plot(*zip(*valid_loss, strict=True), "o-", label="validation loss", color=_COLORS[1])
    for i, (name, points) in enumerate(metrics.items()):
        right.plot(*zip(*points, strict=True), "o-", label=name, color=_COLORS[(i + 2) % len(_COLORS)])
    from matplotlib.ticker import MaxNLocator

    for ax, title in ((left, "loss"), (right, "validation metrics")):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
        if best_step is not None:
            ax.axvline(best_step, color="#444", linestyle="--", linewidth=1, label=f"best (step {best_step})")
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8)
    return png(fig)


def compare_curves(series: dict[str, list[tuple[float, float]]], metric: str) -> bytes:
    """One line per run: ``metric`` on the validation set per evaluation, by epoch."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for i, (name, points) in enumerate(series.items()):
        ax.plot(*zip(*points, strict=True), "o-", label=name, color=_COLORS[i % len(_COLORS)])
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(f"validation {metric} per evaluation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return png(fig)


def confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> bytes:
    """Counts with rows = gold, columns = predicted; cells coloured by the share of their gold row."""
    import numpy as np

    plt = pyplot()
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.2 + 0.6 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), value in np.ndenumerate(counts):
        ax.text(j, i, f"{int(value)}", ha="center", va="center", color="white" if shares[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    fig.colorbar(image, ax=ax, label="share of the gold row")
    return png(fig)


def scatter(predicted: Sequence[float], gold: Sequence[float], title: str, xlabel: str = "gold",
            ylabel: str = "predicted", diagonal: bool = True) -> bytes:
    """Predicted against gold with the y = x diagonal (a perfect model's points lie on it); with
    ``diagonal=False`` (the two on different scales, as cosine against a 0-5 score) the least squares
    line instead."""
    import numpy as np

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    ax.scatter(gold, predicted, s=12, alpha=0.6, color=_COLORS[0])
    if diagonal:
        low, high = min(*gold, *predicted), max(*gold, *predicted)
        ax.plot([low, high], [low, high], color="#888", linestyle="--", linewidth=1, label="y = x")
    elif len(set(gold)) > 1:  # a line needs two distinct gold values
        slope, intercept = np.polyfit(gold, predicted, 1)
        low, high = min(gold), max(gold)
        ax.plot([low, high], [slope * low + intercept, slope * high + intercept], color="#888", linestyle="--",
                linewidth=1, label="least squares")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return png(fig)


def grouped_bars(groups: Sequence[str], values: dict[str, Sequence[float]], title: str) -> bytes:
    """Bars of several values (precision/recall/F1, EM/F1) side by side for each group, on [0, 1]."""
    import numpy as np

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(groups) + 2), 3.4))
    width = 0.8 / max(len(values), 1)
    x = np.arange(len(groups))
    for i, (name, heights) in enumerate(values.items()):
        ax.bar(x + (i - (len(values) - 1) / 2) * width, heights, width, label=name, color=_COLORS[i])
    ax.set_xticks(x, groups)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return png(fig)
