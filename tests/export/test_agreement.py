"""The agreement measures, with the arithmetic written out."""

from __future__ import annotations

import pytest

from jbert.export.agreement import AGREEMENT, describe


def test_label_agreement_is_the_share_of_equal_labels():
    figures = AGREEMENT.get("classification")(["a", "b", "a", "b"], ["a", "b", "b", "b"], None, None)
    assert figures["agreement"] == 3 / 4 and figures["agreeing"] == 3
    assert describe(figures) == "label agreement 75.00% (3/4 rows)"


def test_qa_em_agreement_compares_answer_texts():
    figures = AGREEMENT.get("span")(["東京", "", "大阪"], ["東京", "", "京都"], None)
    assert figures["measure"] == "EM agreement" and figures["agreement"] == pytest.approx(2 / 3)


def test_entity_agreement_is_f1_against_the_original():
    original = [((0, 2, "LOC"), (3, 5, "PER")), ()]
    exported = [((0, 2, "LOC"),), ((1, 2, "ORG"),)]
    figures = AGREEMENT.get("token")(original, exported, None)
    # common 1, original 2, export 2: F1 = 2*1 / (2+2)
    assert figures["agreement"] == 0.5
    assert "1 of 2 entities kept, 2 found" in describe(figures)
    assert AGREEMENT.get("token")([()], [()], None)["agreement"] == 1.0


def test_score_agreement_counts_rows_within_the_tolerance():
    original, exported = [0.0, 1.0, 2.0, 4.0], [0.01, 1.0, 2.05, 4.0]
    figures = AGREEMENT.get("pair-regression")(original, exported, None)
    # without gold scores the default tolerance is 1% of the original's range 4.0 = 0.04 -> rows 0, 1, 3 agree
    assert figures["tolerance"] == pytest.approx(0.04) and figures["agreement"] == 3 / 4
    assert figures["max_abs_diff"] == pytest.approx(0.05)
    assert figures["mean_abs_diff"] == pytest.approx(0.06 / 4)
    assert AGREEMENT.get("pair-regression")(original, exported, 0.0)["agreement"] == 2 / 4
    # with gold scores on a 0-5 scale: tolerance 0.05 -> every row agrees
    with_gold = AGREEMENT.get("pair-regression")(original, exported, None, [0.0, 5.0, None, 2.5])
    assert with_gold["tolerance"] == pytest.approx(0.05) and with_gold["agreement"] == 1.0


def test_every_head_has_a_measure():
    from jbert.heads import HEADS

    assert set(HEADS.names()) <= set(AGREEMENT.names())
