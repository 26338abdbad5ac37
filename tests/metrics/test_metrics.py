"""Golden metric values with the arithmetic written out, and parity with the official formulas."""

from __future__ import annotations

import collections
import json
import math
import random
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr

from jbert.data import Entity
from jbert.errors import UnknownNameError
from jbert.metrics import METRICS, compute, confusion_matrix
from jbert.metrics.entities import spans_to_tags
from jbert.metrics.squad import normalize_answer

DATA = Path(__file__).parent.parent / "data" / "jglue"


# --- classification ------------------------------------------------------------------------
def test_accuracy_golden():
    # 3 of 4 rows right -> 3/4
    assert compute(["accuracy"], ["a", "b", "b", "c"], ["a", "b", "c", "c"]) == {"accuracy": 0.75}


def test_accuracy_on_int_choice_indices():
    # JCommonsenseQA: indices; 2 of 3 right
    assert compute(["accuracy"], [0, 4, 2], [0, 4, 1])["accuracy"] == pytest.approx(2 / 3)


def test_macro_f1_golden():
    # refs  a a a b ; preds a a b b
    # a: tp 2, fp 0, fn 1 -> P 1, R 2/3, F1 = 2*1*(2/3)/(1+2/3) = 0.8
    # b: tp 1, fp 1, fn 0 -> P 1/2, R 1, F1 = 2*(1/2)*1/(3/2) = 2/3
    # macro = (0.8 + 2/3) / 2 = 0.7333...
    got = compute(["macro_f1"], ["a", "a", "b", "b"], ["a", "a", "a", "b"])["macro_f1"]
    assert got == pytest.approx((0.8 + 2 / 3) / 2)


def test_mcc_golden():
    # binary: tp 2 (1,1), tn 1 (0,0), fp 1 (pred 1, gold 0), fn 0
    # MCC = (tp*tn - fp*fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (2 - 0) / sqrt(3*2*2*1) = 2/sqrt(12)
    got = compute(["mcc"], [1, 1, 0, 1], [1, 1, 0, 0])["mcc"]
    assert got == pytest.approx(2 / math.sqrt(12))


def test_mcc_is_zero_when_undefined():
    assert compute(["mcc"], [1, 1, 1], [1, 0, 1])["mcc"] == 0.0


def test_confusion_matrix_rows_gold_columns_predicted():
    cm = confusion_matrix(["a", "b", "b", "x"], ["a", "a", "b", "b"], ["a", "b"])
    # gold a: predicted a once, b once; gold b: predicted b once, x once; unseen label x appended
    assert cm == {"labels": ["a", "b", "x"], "matrix": [[1, 1, 0], [0, 1, 1], [0, 0, 0]]}


# --- regression ----------------------------------------------------------------------------
def test_pearson_spearman_golden():
    # x = 1 2 3, y = 1 2 4: means 2 and 7/3; dx = -1 0 1, dy = -4/3 -1/3 5/3
    # r = sum(dx*dy) / sqrt(sum dx^2 * sum dy^2) = 3 / sqrt(2 * 42/9) = 3 / sqrt(28/3)
    got = compute(["pearson", "spearman"], [1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert got["pearson"] == pytest.approx(3 / math.sqrt(28 / 3))
    assert got["spearman"] == pytest.approx(1.0)  # same ranks


def test_correlation_of_a_constant_side_is_zero_not_nan():
    got = compute(["pearson", "spearman"], [0.5, 0.5, 0.5], [1.0, 2.0, 4.0])
    assert got == {"pearson": 0.0, "spearman": 0.0}


def test_correlations_match_scipy_on_jsts_sized_data():
    rng = np.random.default_rng(0)
    gold = rng.uniform(0, 5, 1457).round(1)  # JSTS valid has 1,457 pairs, labels 0.0-5.0
    pred = gold + rng.normal(0, 1.0, gold.shape)
    got = compute(["pearson", "spearman"], pred.tolist(), gold.tolist())
    assert got["pearson"] == pytest.approx(pearsonr(pred, gold)[0], abs=1e-12)
    assert got["spearman"] == pytest.approx(spearmanr(pred, gold)[0], abs=1e-12)
    assert got["pearson"] == pytest.approx(np.corrcoef(pred, gold)[0, 1], abs=1e-12)


# --- JSQuAD char-level ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("東京。", "東京"),
        ("東京。。", "東京"),  # rstrip removes every trailing 。
        ("ＡＢＣ Def", "ａｂｃ def"),  # lower case (full-width too); no NFKC
        ("  a   b \t c  ", "a b c"),
        ("「東京」、", "「東京」、"),  # punctuation kept
        ("東京。 ", "東京。"),  # whitespace is fixed AFTER rstrip, so this 。 stays
    ],
)
def test_normalize_answer(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_squad_char_golden():
    # q1: pred 東京都 vs gold 東京: common 東,京 = 2; P 2/3, R 2/2 -> F1 = 2*(2/3)*1/(5/3) = 0.8; EM 0
    #     vs second gold 東京都。 -> normalised 東京都 = exact: EM 1, F1 1 (max over golds)
    # q2: pred 大阪 vs gold 京都: no common char -> EM 0, F1 0
    # q3: pred "" vs gold 名古屋 -> 0
    # q4: pred 名古屋市 vs gold 名古屋: P 3/4, R 1 -> F1 = 2*(3/4)/(7/4) = 6/7
    preds = ["東京都", "大阪", "", "名古屋市"]
    golds = [["東京", "東京都。"], ["京都"], ["名古屋"], ["名古屋"]]
    got = compute(["squad_char"], preds, golds)
    assert got["exact_match"] == pytest.approx(1 / 4)
    assert got["f1"] == pytest.approx((1 + 0 + 0 + 6 / 7) / 4)


def test_squad_char_counts_repeated_characters_once_each():
    # pred ああい vs gold あい: Counter(あ2,い1) & Counter(あ1,い1) = 2 common; P 2/3, R 1 -> 0.8
    assert compute(["squad_char"], ["ああい"], [["あい"]])["f1"] == pytest.approx(0.8)


def test_squad_char_empty_gold_list_scores_only_empty_prediction():
    assert compute(["squad_char"], ["", "x"], [[], ["。"]]) == {"exact_match": 0.5, "f1": 0.5}


# A literal transcription of JGLUE's patched transformers-4.9.2 squad_metrics.py (the reference).
def _jglue_normalize_answer(s):
    def remove_articles(text):
        return text.rstrip("。")

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        return text

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def _jglue_compute_exact(a_gold, a_pred):
    return int(_jglue_normalize_answer(a_gold) == _jglue_normalize_answer(a_pred))


def _jglue_compute_f1(a_gold, a_pred):
    gold_toks = list(_jglue_normalize_answer(a_gold))
    pred_toks = list(_jglue_normalize_answer(a_pred))
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def _jglue_scores(preds, golds):
    exact, f1 = [], []
    for pred, answers in zip(preds, golds, strict=True):
        gold_answers = [a for a in answers if _jglue_normalize_answer(a)] or [""]
        exact.append(max(_jglue_compute_exact(a, pred) for a in gold_answers))
        f1.append(max(_jglue_compute_f1(a, pred) for a in gold_answers))
    return 100.0 * sum(exact) / len(exact), 100.0 * sum(f1) / len(f1)


def _jsquad_rows():
    squad = json.loads((DATA / "jsquad-train.json").read_text(encoding="utf-8"))
    squad2 = json.loads((DATA / "jsquad-valid.json").read_text(encoding="utf-8"))
    for art in squad["data"] + squad2["data"]:
        for par in art["paragraphs"]:
            for qa in par["qas"]:
                yield par["context"], [a["text"] for a in qa["answers"]]


def test_squad_char_matches_jglue_formula_on_jsquad_sized_random_predictions():
    rng = random.Random(0)
    rows = list(_jsquad_rows())
    preds, golds = [], []
    for _ in range(4442):  # JSQuAD valid size
        context, answers = rng.choice(rows)
        start = rng.randrange(len(context))
        kind = rng.random()
        if kind < 0.3:
            pred = answers[0]
        elif kind < 0.4:
            pred = answers[0] + rng.choice(["。", " 。", "。。", " ", "\u3000"]) + rng.choice(["", " "])
        elif kind < 0.5:
            pred = answers[0].upper() + " " + answers[0][:2]
        else:
            pred = context[start : start + rng.randint(0, 12)]
        preds.append(pred)
        golds.append(answers)
    em, f1 = _jglue_scores(preds, golds)
    got = compute(["squad_char"], preds, golds)
    assert 0 < em < 100 and 0 < f1 < 100
    assert got["exact_match"] == pytest.approx(em / 100, abs=1e-12)
    assert got["f1"] == pytest.approx(f1 / 100, abs=1e-12)


# --- NER seqeval ---------------------------------------------------------------------------
def test_spans_to_tags():
    assert spans_to_tags([(0, 2, "PER"), (2, 3, "PER"), (4, 6, "LOC")], 7) == [
        "B-PER",
        "I-PER",
        "B-PER",
        "O",
        "B-LOC",
        "I-LOC",
        "O",
    ]


def test_spans_to_tags_drops_overlaps_and_empty_spans():
    assert spans_to_tags([(0, 3, "A"), (1, 2, "B"), (4, 4, "C")], 5) == ["B-A", "I-A", "I-A", "O", "O"]


def test_seqeval_golden_strict_entity_level():
    gold = [[(0, 2, "PER"), (5, 8, "LOC")], [(0, 3, "ORG")]]
    pred = [
        [(0, 2, "PER"), (5, 7, "LOC")],  # PER right; LOC boundary wrong (strict: miss)
        [(0, 3, "ORG"), (4, 6, "PER")],  # ORG right; an extra PER
    ]
    got = compute(["seqeval"], pred, gold)
    # overall: 3 gold, 4 predicted, 2 correct -> P 2/4, R 2/3, F1 = 2*(1/2)*(2/3)/(7/6) = 4/7
    assert got["precision"] == pytest.approx(0.5)
    assert got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(4 / 7)
    # PER: 1 gold, 2 predicted, 1 correct -> P 1/2, R 1, F1 2/3;  LOC: 0;  ORG: 1
    assert got["precision_PER"] == pytest.approx(0.5)
    assert got["f1_PER"] == pytest.approx(2 / 3)
    assert got["f1_LOC"] == 0.0
    assert got["f1_ORG"] == 1.0


def test_seqeval_accepts_entity_objects_and_dicts():
    pred = [[Entity(0, 2, "PER", text="山田")]]
    gold = [[{"start": 0, "end": 2, "label": "PER"}]]
    assert compute(["seqeval"], pred, gold)["f1"] == 1.0


def test_seqeval_matches_a_direct_entity_count():
    rng = random.Random(1)
    preds, golds, tp, n_pred, n_gold = [], [], 0, 0, 0
    for _ in range(300):
        gold = _random_spans(rng)
        pred = [s for s in gold if rng.random() < 0.7] + [s for s in _random_spans(rng) if rng.random() < 0.3]
        pred = _non_overlapping(pred)
        preds.append(pred)
        golds.append(gold)
        tp += len(set(pred) & set(gold))
        n_pred, n_gold = n_pred + len(pred), n_gold + len(gold)
    got = compute(["seqeval"], preds, golds)
    p, r = tp / n_pred, tp / n_gold
    assert got["precision"] == pytest.approx(p)
    assert got["recall"] == pytest.approx(r)
    assert got["f1"] == pytest.approx(2 * p * r / (p + r))


def _random_spans(rng):
    spans, pos = [], 0
    while pos < 60:
        pos += rng.randint(0, 5)
        length = rng.randint(1, 4)
        spans.append((pos, pos + length, rng.choice(["PER", "LOC", "ORG"])))
        pos += length
    return spans


def _non_overlapping(spans):
    out, taken = [], set()
    for s in sorted(set(spans)):
        cells = set(range(s[0], s[1]))
        if not cells & taken:
            out.append(s)
            taken |= cells
    return out


# --- registry ------------------------------------------------------------------------------
def test_compute_merges_and_all_values_are_fractions():
    got = compute(["accuracy", "macro_f1"], ["a", "b"], ["a", "a"])
    assert set(got) == {"accuracy", "macro_f1"}
    assert all(0.0 <= v <= 1.0 for v in got.values())


def test_unknown_metric_names_the_available_ones():
    with pytest.raises(UnknownNameError, match=re.escape("unknown metric 'acc'; available: accuracy")):
        compute(["acc"], [], [])
    assert "squad_char" in METRICS


def test_length_mismatch_is_a_bug():
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        compute(["accuracy"], ["a", "b"], ["a"])
