"""Each distillation loss equals its formula, written out with ``math`` on a hand-made batch."""

from __future__ import annotations

import math

import pytest
import torch

from jbert.distillation.losses import HEAD_KINDS, KINDS, combine, hidden_mse, kind_for, kl, kl_top_k
from jbert.errors import ConfigError


def softmax(xs: list[float]) -> list[float]:
    z = [math.exp(x) for x in xs]
    return [v / sum(z) for v in z]


def kl_formula(student: list[float], teacher: list[float], temperature: float) -> float:
    """T^2 * sum_i p_i log(p_i / q_i), p = softmax(teacher / T), q = softmax(student / T)."""
    p = softmax([x / temperature for x in teacher])
    q = softmax([x / temperature for x in student])
    return temperature**2 * sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))


def cross_entropy(logits: list[float], label: int) -> float:
    return -math.log(softmax(logits)[label])


S = [[1.0, 2.0, 0.5], [0.0, -1.0, 1.0]]
T = [[2.0, 1.0, 0.0], [1.0, 0.5, -0.5]]


def test_classes_soft_is_the_tempered_kl_times_t_squared():
    soft = kind_for("classification").soft({"logits": torch.tensor(S)}, {"logits": torch.tensor(T)}, {}, 2.0)
    assert soft.tolist() == pytest.approx([kl_formula(S[0], T[0], 2.0), kl_formula(S[1], T[1], 2.0)], rel=1e-5)


def test_classes_gold_is_cross_entropy_and_skips_rows_without_a_label():
    gold, has = kind_for("choice").gold({"logits": torch.tensor(S)}, {"labels": torch.tensor([1, -100])})
    assert has.tolist() == [True, False]
    assert gold.tolist() == pytest.approx([cross_entropy(S[0], 1), 0.0], rel=1e-5)
    # on a fully labelled batch, the mean is the models' own loss (torch's cross_entropy)
    full, _ = kind_for("choice").gold({"logits": torch.tensor(S)}, {"labels": torch.tensor([1, 2])})
    assert full.mean().item() == pytest.approx(torch.nn.functional.cross_entropy(torch.tensor(S), torch.tensor([1, 2])).item())


def test_value_soft_and_gold_are_squared_errors():
    kind = kind_for("pair-regression")
    student = {"logits": torch.tensor([[3.0], [1.5]])}
    soft = kind.soft(student, {"logits": torch.tensor([[2.5], [2.0]])}, {}, 4.0)  # no temperature for a number
    assert soft.tolist() == pytest.approx([(3.0 - 2.5) ** 2, (1.5 - 2.0) ** 2])
    gold, has = kind.gold(student, {"labels": torch.tensor([4.0, float("nan")])})
    assert has.tolist() == [True, False] and gold.tolist() == pytest.approx([(3.0 - 4.0) ** 2, 0.0])


def test_token_soft_averages_the_kl_over_content_tokens_only():
    student = [[[0.5, 0.0, 1.0], S[0], S[1], [9.0, 9.0, 0.0]]]
    teacher = [[[0.0, 0.0, 0.0], T[0], T[1], [0.0, 0.0, 9.0]]]
    mask = torch.tensor([[False, True, True, False]])  # [CLS] and padding are not content
    soft = kind_for("token").soft({"logits": torch.tensor(student)}, {"logits": torch.tensor(teacher)},
                                  {"token_mask": mask}, 2.0)
    assert soft.item() == pytest.approx((kl_formula(S[0], T[0], 2.0) + kl_formula(S[1], T[1], 2.0)) / 2, rel=1e-5)


def test_token_gold_is_the_mean_cross_entropy_of_labelled_tokens():
    student = {"logits": torch.tensor([[[0.5, 0.0, 1.0], S[0], S[1]]])}
    gold, has = kind_for("token").gold(student, {"labels": torch.tensor([[-100, 1, 2]])})
    assert has.tolist() == [True]
    assert gold.item() == pytest.approx((cross_entropy(S[0], 1) + cross_entropy(S[1], 2)) / 2, rel=1e-5)


START_S, END_S = [1.0, 0.0, 2.0, 7.0], [0.0, 1.5, 0.5, 7.0]
START_T, END_T = [0.5, 0.0, 3.0, -9.0], [0.0, 2.0, 1.0, -9.0]
REAL = [1.0, 0.0, 2.0], [0.0, 1.5, 0.5]  # the student's logits over the window's 3 real tokens


def test_span_soft_is_the_mean_of_start_and_end_kl_over_real_tokens():
    kind = kind_for("span")
    student = {"start_logits": torch.tensor([START_S]), "end_logits": torch.tensor([END_S])}
    teacher = {"start_logits": torch.tensor([START_T]), "end_logits": torch.tensor([END_T])}
    soft = kind.soft(student, teacher, {"attention_mask": torch.tensor([[1, 1, 1, 0]])}, 2.0)
    expected = (kl_formula(REAL[0], START_T[:3], 2.0) + kl_formula(REAL[1], END_T[:3], 2.0)) / 2
    assert soft.item() == pytest.approx(expected, rel=1e-5)


def test_top_k_spans_are_the_kl_to_the_truncated_teacher():
    """The teacher kept its 2 best logits per side: p = softmax of those two, zero elsewhere; the
    student's log q is over all real tokens."""
    student = {"start_logits": torch.tensor([START_S]), "end_logits": torch.tensor([END_S])}
    teacher = {"start_index": torch.tensor([[2, 0]]), "start_top": torch.tensor([[3.0, 0.5]]),
               "end_index": torch.tensor([[1, 2]]), "end_top": torch.tensor([[2.0, 1.0]])}
    soft = kind_for("span").soft(student, teacher, {"attention_mask": torch.tensor([[1, 1, 1, 0]])}, 2.0)

    def truncated(student_real: list[float], index: list[int], top: list[float]) -> float:
        p = softmax([x / 2.0 for x in top])
        q = softmax([x / 2.0 for x in student_real])
        return 4.0 * sum(pi * math.log(pi / q[i]) for pi, i in zip(p, index, strict=True))

    expected = (truncated(REAL[0], [2, 0], [3.0, 0.5]) + truncated(REAL[1], [1, 2], [2.0, 1.0])) / 2
    assert soft.item() == pytest.approx(expected, rel=1e-5)
    # a row with fewer than k kept logits is padded with -inf: those entries weigh nothing
    padded = {**teacher, "start_index": torch.tensor([[2, 0, 0]]), "start_top": torch.tensor([[3.0, 0.5, float("-inf")]])}
    again = kind_for("span").soft(student, padded, {"attention_mask": torch.tensor([[1, 1, 1, 0]])}, 2.0)
    assert again.item() == pytest.approx(expected, rel=1e-5)


def test_span_gold_is_the_mean_start_end_cross_entropy_over_real_tokens():
    student = {"start_logits": torch.tensor([START_S, START_S]), "end_logits": torch.tensor([END_S, END_S])}
    batch = {"attention_mask": torch.tensor([[1, 1, 1, 0]] * 2), "start_positions": torch.tensor([2, -100]),
             "end_positions": torch.tensor([1, -100])}
    gold, has = kind_for("span").gold(student, batch)
    assert has.tolist() == [True, False]
    assert gold.tolist() == pytest.approx([(cross_entropy(REAL[0], 2) + cross_entropy(REAL[1], 1)) / 2, 0.0], rel=1e-5)


# two rows of 2-d vectors: row 0 has two real texts, row 1 one real text and a filler (text_mask False)
VS = [[[1.0, 2.0], [0.0, -1.0]], [[3.0, 0.5], [9.0, 9.0]]]
VT = [[[0.5, 2.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]]]


def mse(a: list[float], b: list[float]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) / len(a)


def test_vectors_soft_is_the_mse_per_text_averaged_over_the_rows_real_texts():
    soft = kind_for("embedding").soft({"embeddings": torch.tensor(VS)}, {"vectors": torch.tensor(VT)},
                                      {"text_mask": torch.tensor([[True, True], [True, False]])}, 4.0)
    row0 = (mse(VS[0][0], VT[0][0]) + mse(VS[0][1], VT[0][1])) / 2  # (0.125 + 2.5) / 2
    assert soft.tolist() == pytest.approx([row0, mse(VS[1][0], VT[1][0])])  # the filler is left out; T means nothing
    # a batch of equal rows is sentence-transformers' MSELoss: the mean over every element
    full = kind_for("embedding").soft({"embeddings": torch.tensor(VS)}, {"vectors": torch.tensor(VT)}, {}, 1.0)
    assert full.mean().item() == pytest.approx(torch.nn.functional.mse_loss(torch.tensor(VS), torch.tensor(VT)).item())


def test_vectors_gold_is_the_heads_batch_loss_over_labelled_rows_and_their_real_texts():
    from jbert.heads.embedding_losses import CoSENTLoss

    embeddings = torch.tensor([[[1.0, 0.0], [0.6, 0.8], [5.0, 5.0]], [[0.0, 1.0], [1.0, 0.0], [5.0, 5.0]],
                               [[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]])  # third text of rows 0-1: filler
    batch = {"labels": torch.tensor([4.0, 1.0, float("nan")]), "labelled": torch.tensor([True, True, False]),
             "text_mask": torch.tensor([[True, True, False], [True, True, False], [True, True, True]]),
             "gold_loss": CoSENTLoss(1.0)}
    gold, has = kind_for("embedding").gold({"embeddings": embeddings}, batch)
    # CoSENT (scale 1) on the two labelled pairs: cos 0.6 (score 4) should beat cos 0 (score 1): log(1 + e^(0 - 0.6))
    expected = math.log(1 + math.exp(0.0 - 0.6))
    assert has.tolist() == [True, True, False] and gold.tolist() == pytest.approx([expected, expected, 0.0], rel=1e-5)
    soft = torch.tensor([1.0, 2.0, 3.0])
    # combine: alpha on soft, (1 - alpha) on the batch loss for the labelled share of the batch
    assert combine(soft, gold, has, batch["labelled"], 0.25).item() == pytest.approx(
        (0.25 * (1.0 + 2.0) + 3.0) / 3 + 0.75 * expected * 2 / 3, rel=1e-5)
    none, has_none = kind_for("embedding").gold({"embeddings": embeddings}, {**batch, "labelled": torch.tensor([False] * 3)})
    assert not has_none.any() and none.abs().sum() == 0  # a batch of unlabeled rows only has no gold loss


def test_combine_mixes_by_alpha_on_labelled_rows_and_uses_the_teacher_alone_elsewhere():
    soft, gold = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([10.0, 20.0, float("nan")])
    labelled, has_gold = torch.tensor([True, True, False]), torch.tensor([True, True, False])
    loss = combine(soft, gold, has_gold, labelled, alpha=0.25)
    assert loss.item() == pytest.approx((0.25 * 1 + 0.75 * 10 + 0.25 * 2 + 0.75 * 20 + 3.0) / 3)


def test_hidden_mse_averages_layers_over_real_tokens_after_the_projection():
    student = [torch.tensor([[[1.0], [2.0]]]), torch.tensor([[[0.0], [5.0]]])]  # 2 layers, [N=1, S=2, Hs=1]
    teacher = torch.tensor([[[[1.0, 1.0], [3.0, 0.0]], [[9.0, 9.0], [9.0, 9.0]]]])  # [N, S, layers=2, Ht=2]
    mask = torch.tensor([[1, 0]])  # the second token is padding

    def project(x: torch.Tensor) -> torch.Tensor:  # Hs=1 -> Ht=2: [x, 2x]
        return torch.cat([x, 2 * x], dim=-1)

    layer0 = ((1.0 - 1.0) ** 2 + (2.0 - 1.0) ** 2) / 2  # token 0: projected [1, 2] vs [1, 1]
    layer1 = ((0.0 - 3.0) ** 2 + (0.0 - 0.0) ** 2) / 2  # token 0: projected [0, 0] vs [3, 0]
    assert hidden_mse(student, teacher, mask, project).item() == pytest.approx((layer0 + layer1) / 2)


def test_kl_is_zero_for_equal_distributions_and_masks_positions():
    logits = torch.tensor([[0.3, -1.0, 2.0, 50.0]])
    mask = torch.tensor([[True, True, True, False]])
    assert kl(logits, logits, 3.0, mask).item() == pytest.approx(0.0, abs=1e-6)
    assert kl_top_k(logits, torch.tensor([[2]]), torch.tensor([[2.0]]), 1.0, mask).item() == pytest.approx(
        -math.log(softmax([0.3, -1.0, 2.0])[2]), rel=1e-5)


def sigmoid_bce(logit: float, label: float) -> float:
    p = 1 / (1 + math.exp(-logit))
    return -(label * math.log(p) + (1 - label) * math.log(1 - p))


def test_reranker_pairs_soft_is_the_squared_logit_error_and_gold_the_bce_of_relevance():
    kind = kind_for("reranker")
    student, teacher = {"logits": torch.tensor([[1.5], [-0.5], [0.2]])}, {"logits": torch.tensor([[0.5], [1.0], [0.2]])}
    batch = {"input_ids": torch.zeros(3, 4, dtype=torch.long), "labels": torch.tensor([2.0, 0.0, float("nan")])}
    assert kind.soft(student, teacher, batch, 3.0).tolist() == pytest.approx([1.0, 2.25, 0.0])  # T means nothing
    gold, has = kind.gold(student, batch)
    # relevance 2 counts as relevant (1); the third row has no label
    assert has.tolist() == [True, True, False]
    assert gold.tolist() == pytest.approx([sigmoid_bce(1.5, 1.0), sigmoid_bce(-0.5, 0.0), 0.0], rel=1e-5)
    assert kind.default_loss == "bce" and not kind.hidden


def test_reranker_groups_soft_is_the_tempered_kl_over_real_documents_and_gold_the_listwise_loss():
    kind = kind_for("reranker")
    present = torch.tensor([[1, 1, 1], [1, 1, 0]])  # the second group has 2 documents and a padded one
    batch = {"input_ids": torch.zeros(2, 3, 4, dtype=torch.long),
             "attention_mask": present[..., None].expand(2, 3, 4).clone(),
             "labels": torch.tensor([[1.0, 0.0, 2.0], [-100.0, -100.0, -100.0]])}  # row 2: unlabeled
    s = [[1.0, 2.0, 0.5], [0.0, -1.0, -100.0]]
    t = [[2.0, 1.0, 0.0], [1.0, 0.5, -100.0]]
    soft = kind.soft({"logits": torch.tensor(s)}, {"logits": torch.tensor(t)}, batch, 2.0)
    assert soft.tolist() == pytest.approx([kl_formula(s[0], t[0], 2.0), kl_formula(s[1][:2], t[1][:2], 2.0)], rel=1e-5)
    gold, has = kind.gold({"logits": torch.tensor(s)}, batch)
    q = softmax(s[0])  # relevance 1 and 2 normalised to 1/3, 2/3
    assert has.tolist() == [True, False]
    assert gold[0].item() == pytest.approx(-(math.log(q[0]) / 3 + 2 * math.log(q[2]) / 3), rel=1e-5)


def test_every_head_has_a_kind_and_an_unknown_head_is_a_clear_error():
    for head in ("classification", "pair-classification", "pair-regression", "choice", "token", "span", "embedding",
                 "reranker"):
        assert HEAD_KINDS.get(head) in KINDS
    with pytest.raises(ConfigError, match="unknown head that distillation knows 'tagger'; available: "):
        kind_for("tagger")


def test_soft_losses_give_finite_gradients_with_masked_positions():
    student = torch.tensor([START_S], requires_grad=True)
    loss = kl(student, torch.tensor([START_T]), 2.0, torch.tensor([[True, True, True, False]])).sum()
    loss.backward()
    assert torch.isfinite(student.grad).all() and student.grad[0, 3] == 0
