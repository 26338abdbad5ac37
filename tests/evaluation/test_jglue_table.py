"""The JGLUE table: every score with the rows it was scored on; a score on a slice is marked and named,
never set beside the published full-dev baselines as if it were comparable."""

from __future__ import annotations

from jbert.evaluation import EvalResult, JglueResult, partial_note, table_rows
from jbert.evaluation.jglue import FULL_VALID_ROWS


def _result(**examples: int) -> JglueResult:
    metrics = {"jsts": {"pearson": 0.9, "spearman": 0.87}, "jnli": {"accuracy": 0.9}}
    return JglueResult({task: EvalResult(task=task, data="valid", examples=n, metrics=metrics[task], model="m")
                        for task, n in examples.items()}, {})


def test_full_split_scores_show_their_rows_unmarked():
    result = _result(jsts=FULL_VALID_ROWS["jsts"], jnli=FULL_VALID_ROWS["jnli"])
    header, rows = table_rows(result)
    assert header == ["model", "JSTS (pearson/spearman)", "JNLI (accuracy)"]
    assert rows[0] == ["jbert", "0.900/0.870 (1457)", "0.900 (2434)"]
    assert rows[1] == ["Tohoku BERT base (JGLUE paper, dev)", "0.909/0.868 (1457)", "0.906 (2434)"]
    assert partial_note(result) is None


def test_a_score_on_a_slice_is_marked_and_named():
    result = _result(jsts=32, jnli=FULL_VALID_ROWS["jnli"])
    _, rows = table_rows(result)
    assert rows[0] == ["jbert", "0.900/0.870 (32)†", "0.900 (2434)"]
    assert partial_note(result) == ("† not the full official validation split (JSTS on 32 of 1457 rows): not "
                                    "comparable with the published baselines, which are scores on every row of it")
