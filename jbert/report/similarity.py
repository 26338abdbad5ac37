"""An embedding run's analysis (registered for the ``embedding`` head): the cosine of each validation
pair's two vectors against its gold score (JSTS-style scored pairs), with Pearson and Spearman.

The two are on different scales (cosine in [-1, 1], JSTS scores 0-5), so the scatter has the least
squares line rather than y = x. Validation rows without a score (anchor/positive pairs) give the
run a note instead: the head's ``reference_values`` refuses them when the run is loaded.
"""

from __future__ import annotations

from jbert.report.runs import RunData
from jbert.report.sections import ANALYSES, correlation_html


@ANALYSES.register("embedding")
def cosine_html(run: RunData) -> str:
    return correlation_html(run, "Cosine similarity vs gold score", "cosine similarity", diagonal=False)
