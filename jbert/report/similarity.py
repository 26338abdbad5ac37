"""An embedding run's analysis (registered for the ``embedding`` head): the cosine of each validation
pair's two vectors against its gold score (JSTS-style scored pairs), with Pearson and Spearman.

The two are on different scales (cosine in [-1, 1], JSTS scores 0-5), so the scatter has the least
squares line rather than y = x. Validation rows without a score (anchor/positive pairs) give the
run a note instead: the head's ``reference_values`` refuses them when the run is loaded.
"""

from __future__ import annotations

from jbert.report import plots
from jbert.report.html import image, section, table
from jbert.report.runs import RunData
from jbert.report.sections import ANALYSES


@ANALYSES.register("embedding")
def cosine_html(run: RunData) -> str:
    from jbert.metrics import compute

    cosine = [float(p) for p in run.predictions]
    gold = [float(r) for r in run.references]
    scores = compute(["pearson", "spearman"], cosine, gold)
    title = f"Pearson {scores['pearson']:.3f}, Spearman {scores['spearman']:.3f}"
    png = plots.scatter(cosine, gold, title, xlabel="gold score", ylabel="cosine similarity", diagonal=False)
    rows = [["pairs", len(gold)], ["pearson", scores["pearson"]], ["spearman", scores["spearman"]]]
    return section("Cosine similarity vs gold score", image(png, "cosine similarity vs gold score"),
                   table(["validation pairs", "value"], rows), level=3)
