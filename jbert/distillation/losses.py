"""The distillation losses, one per kind of head output, picked by the head's output kind.

Soft losses compare the student with the teacher's cached outputs, per row:

- ``classes`` (classification, pair classification, multiple choice), ``[B, C]`` logits:
  ``T^2 * KL(softmax(t / T) || softmax(s / T))``, as Hinton et al. 2015 and DistilBERT (the T^2 keeps
  the gradients' scale when T changes);
- ``value`` (pair regression), ``[B, 1]``: ``(s - t)^2``; a temperature means nothing for a number;
- ``token-classes`` (NER), ``[B, S, C]``: the classes' KL at each content token ([CLS], [SEP] and
  padding excluded), averaged over the row's tokens;
- ``spans`` (extractive QA), start and end ``[B, S]``: the KL of the start distribution and of the end
  distribution over the window's real tokens, averaged. With ``distill.top_k`` the teacher keeps only its
  k best logits per distribution: its probabilities are the softmax of those k (zero elsewhere), and the
  KL runs over them: the exact KL to that truncated teacher;
- ``vectors`` (sentence embeddings), ``[B, texts, dim]``: the MSE between the student's and the teacher's
  vector of each text, averaged over the row's real texts (sentence-transformers' MSELoss, Reimers and
  Gurevych 2020); a temperature means nothing for a vector;
- ``scores`` (rerankers): a (query, document) pair's ``[B, 1]`` logit: ``(s - t)^2`` (sentence-transformers'
  cross-encoder distillation by MSE), the default, since any pair (a first stage's unlabeled candidates)
  can be learnt; query groups (``training.loss=listwise``), ``[B, docs]``: the KL of the documents'
  softmax over the group's real documents, tempered as for classes.

Gold losses are the heads' own (cross-entropy, MSE) per row, with a mask of the rows that have a
label; an embedding head's loss (MNRL, CoSENT ...) is one number for a batch (in-batch negatives): it
runs over the batch's labelled rows and each of them carries it. ``combine`` mixes them:
``alpha * soft + (1 - alpha) * gold`` on labelled rows, ``soft`` alone on rows without a label
(``--unlabeled``), averaged over the batch. ``hidden_mse``: the optional hidden-state
term (TinyBERT's), added with ``distill.hidden_weight``.

A new head distils with one entry in ``HEAD_KINDS`` (and one in ``KINDS`` for a new output kind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from jbert.heads.reranker_model import PAD, listwise_rows  # PAD: a padded document's logit in a group
from jbert.registry import Registry

Tensors = Mapping[str, torch.Tensor]
VECTOR_DTYPE = np.float16  # cached teacher vectors (docs/distillation.md: sizes and error measured)


@dataclass(frozen=True)
class Target:
    """One cached teacher array: its padding value, and its sequence axis (from the end) when it has
    one; the collator pads that axis to the batch's input width."""

    pad: float = 0.0
    seq_axis: int | None = None


@dataclass(frozen=True)
class OutputKind:
    """How one kind of head output is distilled.

    ``targets(outputs, length, top_k)``: one feature's teacher outputs (numpy, cut to its ``length``
    tokens) -> the arrays to cache. ``soft(student, teacher, batch, T)`` and ``gold(student, batch)`` give
    one loss per row (``gold`` also which rows have a label); ``batch`` holds the model inputs, the labels,
    ``token_mask``, ``text_mask``, ``labelled`` and, for ``own_loss``, the student's loss as ``gold_loss``."""

    name: str
    outputs: tuple[str, ...]  # the ModelOutput fields the teacher's soft targets come from
    targets: Callable[[Mapping[str, np.ndarray], int, int | None], dict[str, np.ndarray]]
    soft: Callable[[Tensors, Tensors, Tensors, float], torch.Tensor]
    gold: Callable[[Tensors, Tensors], tuple[torch.Tensor, torch.Tensor]]
    cached: Mapping[str, Target] = field(default_factory=dict)
    label_names: tuple[str, ...] = ("labels",)
    texts: bool = False  # rows hold any number of texts ([texts, seq]): batches fill short rows, text_mask
    hidden: bool = True  # the student gives hidden states to match (distill.hidden_weight)
    same_width: bool = False  # the student's outputs are the teacher's vectors themselves: widths must agree
    own_loss: bool = False  # gold: the student's own loss (``student.loss``, one number a batch), labelled rows only
    default_loss: str | None = None  # the head's training.loss when none is set (a reranker's: pairs)


KINDS: Registry[OutputKind] = Registry("distillation output kind")
HEAD_KINDS: Registry[str] = Registry("head that distillation knows")  # head name -> output kind name


def kind_for(head: str) -> OutputKind:
    return KINDS.get(HEAD_KINDS.get(head))


# --- the formulas ---------------------------------------------------------------------------------


def kl(student: torch.Tensor, teacher: torch.Tensor, temperature: float, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``T^2 * KL(softmax(teacher / T) || softmax(student / T))`` over the last axis; positions where
    ``mask`` is False belong to neither distribution. Returns the leading axes' shape."""
    s, t = student.float() / temperature, teacher.float() / temperature
    if mask is not None:
        s, t = s.masked_fill(~mask, float("-inf")), t.masked_fill(~mask, float("-inf"))
    log_q, log_p = F.log_softmax(s, dim=-1), F.log_softmax(t, dim=-1)
    return temperature**2 * _kl_terms(log_p, log_q).sum(-1)


def _kl_terms(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """``p * (log p - log q)``, 0 where p is 0 (masked or truncated positions: ``0 log 0 = 0``, and no
    inf - inf reaches the graph)."""
    p = log_p.exp()
    keep = p > 0
    return torch.where(keep, p * (torch.where(keep, log_p, 0.0) - torch.where(keep, log_q, 0.0)), 0.0)


def kl_top_k(student: torch.Tensor, index: torch.Tensor, values: torch.Tensor, temperature: float,
             mask: torch.Tensor) -> torch.Tensor:
    """The KL to a teacher that kept only its k best logits (``values`` at positions ``index``; -inf pads
    a row with fewer): ``T^2 * sum_k p_k (log p_k - log q_index_k)``, p the softmax of the k values."""
    s = (student.float() / temperature).masked_fill(~mask, float("-inf"))
    log_q = F.log_softmax(s, dim=-1).gather(-1, index.long())
    log_p = F.log_softmax(values.float() / temperature, dim=-1)
    return temperature**2 * _kl_terms(log_p, log_q).sum(-1)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of the positions ``mask`` keeps (0 for a row that keeps none)."""
    mask = mask.to(values.dtype)
    return (values * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)


def cross_entropy_rows(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row cross-entropy of ``[B, C]`` logits (label -100: no label)."""
    valid = labels != -100
    safe = torch.where(valid, labels, 0).long()
    loss = -F.log_softmax(logits.float(), dim=-1).gather(-1, safe[:, None])[:, 0]
    return torch.where(valid, loss, 0.0), valid


def combine(soft: torch.Tensor, gold: torch.Tensor, has_gold: torch.Tensor, labelled: torch.Tensor,
            alpha: float) -> torch.Tensor:
    """``mean_b(alpha * soft_b + (1 - alpha) * gold_b)`` over labelled rows, ``soft_b`` alone on the others."""
    w_soft = torch.where(labelled, alpha, 1.0)
    w_gold = torch.where(labelled & has_gold, 1.0 - alpha, 0.0)
    return (w_soft * soft + w_gold * torch.where(has_gold, gold, 0.0)).mean()


def hidden_mse(student: Sequence[torch.Tensor], teacher: torch.Tensor, mask: torch.Tensor,
               project: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Mean over layers of the MSE between ``project(student[l])`` (``[N, S, Hs]``) and ``teacher[:, :, l]``
    (``[N, S, L, Ht]``) over the real tokens of ``mask`` (``[N, S]``)."""
    mask = mask.to(teacher.dtype if teacher.is_floating_point() else torch.float32)
    losses = []
    for layer, hidden in enumerate(student):
        diff = project(hidden.float()) - teacher[:, :, layer].float()
        losses.append(((diff**2).sum(-1) * mask).sum() / (mask.sum() * diff.shape[-1]).clamp(min=1.0))
    return torch.stack(losses).mean()


# --- the kinds ------------------------------------------------------------------------------------


def _whole(outputs: Mapping[str, np.ndarray], length: int, top_k: int | None) -> dict[str, np.ndarray]:
    return {"logits": np.asarray(outputs["logits"], dtype=np.float32)}


def _classes_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    return kl(student["logits"], teacher["logits"], temperature)


def _classes_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    return cross_entropy_rows(student["logits"], batch["labels"])


def _value_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    return (student["logits"].float()[:, 0] - teacher["logits"].float()[:, 0]) ** 2


def _value_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    labels = batch["labels"].float()
    valid = torch.isfinite(labels)  # a row without a label carries NaN
    return torch.where(valid, (student["logits"].float()[:, 0] - torch.where(valid, labels, 0.0)) ** 2, 0.0), valid


def _token_targets(outputs: Mapping[str, np.ndarray], length: int, top_k: int | None) -> dict[str, np.ndarray]:
    return {"logits": np.asarray(outputs["logits"][:length], dtype=np.float16)}


def _token_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    return masked_mean(kl(student["logits"], teacher["logits"], temperature), batch["token_mask"])


def _token_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    logits, labels = student["logits"].float(), batch["labels"]
    valid = labels != -100
    per_token = -F.log_softmax(logits, dim=-1).gather(-1, torch.where(valid, labels, 0).long()[..., None])[..., 0]
    return masked_mean(per_token, valid), valid.any(-1)


def _span_targets(outputs: Mapping[str, np.ndarray], length: int, top_k: int | None) -> dict[str, np.ndarray]:
    out = {}
    for side in ("start", "end"):
        logits = np.asarray(outputs[f"{side}_logits"][:length], dtype=np.float32)
        if top_k is None:
            out[f"{side}_logits"] = logits.astype(np.float16)
            continue
        best = np.argsort(-logits, kind="stable")[:top_k]
        out[f"{side}_index"], out[f"{side}_top"] = best.astype(np.int32), logits[best].astype(np.float16)
    return out


def _span_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    mask = batch["attention_mask"].bool()
    sides = []
    for side in ("start", "end"):
        if f"{side}_index" in teacher:
            sides.append(kl_top_k(student[f"{side}_logits"], teacher[f"{side}_index"], teacher[f"{side}_top"],
                                  temperature, mask))
        else:
            sides.append(kl(student[f"{side}_logits"], teacher[f"{side}_logits"], temperature, mask))
    return (sides[0] + sides[1]) / 2


def _span_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    mask = batch["attention_mask"].bool()
    losses, valid = [], None
    for side in ("start", "end"):
        positions = batch[f"{side}_positions"]
        ok = (positions >= 0) & (positions < mask.shape[-1])  # -100: a window without a label
        log_q = F.log_softmax(student[f"{side}_logits"].float().masked_fill(~mask, float("-inf")), dim=-1)
        picked = -log_q.gather(-1, torch.where(ok, positions, 0).long()[:, None])[:, 0]
        losses.append(torch.where(ok, picked, 0.0))
        valid = ok if valid is None else valid & ok
    return (losses[0] + losses[1]) / 2, valid


def _vector_targets(outputs: Mapping[str, np.ndarray], length: int, top_k: int | None) -> dict[str, np.ndarray]:
    return {"vectors": np.asarray(outputs["embeddings"], dtype=VECTOR_DTYPE)}


def _vectors_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    per_text = ((student["embeddings"].float() - teacher["vectors"].float()) ** 2).mean(-1)  # [B, texts]
    mask = batch.get("text_mask")
    return masked_mean(per_text, mask) if mask is not None else per_text.mean(-1)


def _vectors_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    """The head's own loss (``batch["gold_loss"]``) over the labelled rows and their real texts, given to
    each of them: ``combine`` then weighs it by the labelled rows' share of the batch."""
    embeddings, loss = student["embeddings"], batch.get("gold_loss")
    labelled = batch.get("labelled")
    rows = labelled.bool() if labelled is not None else torch.ones(len(embeddings), dtype=torch.bool,
                                                                   device=embeddings.device)
    if loss is None or not bool(rows.any()):
        return embeddings.new_zeros(len(embeddings)), torch.zeros_like(rows)
    mask = batch.get("text_mask")
    texts = int(mask[rows].sum(-1).max()) if mask is not None else embeddings.shape[1]
    labels = batch.get("labels")
    value = loss(embeddings[rows, :texts], labels[rows] if labels is not None else None)
    return torch.where(rows, value.float(), 0.0), rows


def _score_targets(outputs: Mapping[str, np.ndarray], length: int, top_k: int | None) -> dict[str, np.ndarray]:
    """A pair's logit, or a group's: its documents come first, the batch's padded ones (PAD) after."""
    logits = np.asarray(outputs["logits"], dtype=np.float32).reshape(-1)
    return {"logits": logits[: max(1, int((logits != PAD).sum()))]}


def _scores_soft(student: Tensors, teacher: Tensors, batch: Tensors, temperature: float) -> torch.Tensor:
    if batch["input_ids"].dim() == 2:
        return (student["logits"].float()[:, 0] - teacher["logits"].float()[:, 0]) ** 2
    return kl(student["logits"], teacher["logits"], temperature, mask=batch["attention_mask"][..., 0].bool())


def _scores_gold(student: Tensors, batch: Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    """The reranker's own losses per row: binary cross-entropy of a pair (relevance >= 1 is positive), the
    listwise cross-entropy of a group (rows without labels: NaN, or -100 for every document)."""
    logits, labels = student["logits"].float(), batch["labels"].float()
    if batch["input_ids"].dim() == 2:
        valid = torch.isfinite(labels)
        target = torch.where(valid, labels, 0.0).clamp(max=1.0)
        return torch.where(valid, F.binary_cross_entropy_with_logits(logits[:, 0], target, reduction="none"), 0.0), valid
    present = batch["attention_mask"][..., 0].bool()
    return listwise_rows(logits, labels, present), (labels.clamp(min=0.0) * present).sum(-1) > 0


KINDS.register("classes")(OutputKind("classes", ("logits",), _whole, _classes_soft, _classes_gold))
KINDS.register("value")(OutputKind("value", ("logits",), _whole, _value_soft, _value_gold))
KINDS.register("token-classes")(OutputKind("token-classes", ("logits",), _token_targets, _token_soft, _token_gold,
                                           cached={"logits": Target(0.0, seq_axis=-2)}))
KINDS.register("spans")(OutputKind(
    "spans", ("start_logits", "end_logits"), _span_targets, _span_soft, _span_gold,
    cached={"start_logits": Target(0.0, -1), "end_logits": Target(0.0, -1),
            "start_top": Target(float("-inf")), "end_top": Target(float("-inf"))},
    label_names=("start_positions", "end_positions"),
))
KINDS.register("vectors")(OutputKind("vectors", ("embeddings",), _vector_targets, _vectors_soft, _vectors_gold,
                                     texts=True, hidden=False, same_width=True, own_loss=True))
KINDS.register("scores")(OutputKind("scores", ("logits",), _score_targets, _scores_soft, _scores_gold,
                                    cached={"logits": Target(PAD)}, hidden=False, default_loss="bce"))
for _head, _kind in (("classification", "classes"), ("pair-classification", "classes"), ("choice", "classes"),
                     ("pair-regression", "value"), ("token", "token-classes"), ("span", "spans"),
                     ("embedding", "vectors"), ("reranker", "scores")):
    HEAD_KINDS.register(_head)(_kind)

HIDDEN = "hidden"  # the cached teacher hidden states: [(choices,) S, layers, H]
HIDDEN_TARGET = Target(0.0, seq_axis=-3)


def target_spec(kind: OutputKind, name: str) -> Target:
    return HIDDEN_TARGET if name == HIDDEN else kind.cached.get(name, Target())
