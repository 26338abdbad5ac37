"""The model zoo matrix: every family x every head, as a user with a hub model would run it.

jbert finetune (2 steps) -> jbert eval -> jbert predict, then the output directory loaded by plain
``AutoTokenizer`` / ``AutoModelFor...`` (and ``pipeline`` for the sequence heads). Checked per case:
jbert's input_ids == the pre-training tokenizer's == the plain tokenizer's on the saved directory;
jbert's logits == the plain model's logits on the plain tokenizer's inputs (all of them, as a plain
client passes them; rinna's model with ``position_ids`` from 0, as its model card does); ``pipeline``
labels and scores == ``jbert predict``'s (not for rinna, whose positions pipeline cannot pass, nor chiTra,
whose sudachitra tokenizer plain transformers cannot load: ``Family.plain`` reads its saved directory).

The default run (``-m "not slow"``) covers one head per family (pair classification: token types);
the full matrix is ``slow``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from zoo_cases import HEADS, run_jbert, sequences
from zoo_families import FAMILIES

FAST_HEAD = "pair-classification"


def _cases() -> list:
    cases = []
    for family in FAMILIES.values():
        for head in HEADS:
            marks = [] if head == FAST_HEAD else [pytest.mark.slow]
            cases.append(pytest.param(family.name, head, marks=marks, id=f"{family.name}-{head}"))
    return cases


@pytest.mark.parametrize(("family", "head"), _cases())
def test_zoo(family: str, head: str, hub_dir, tmp_path) -> None:
    hub = hub_dir(family)
    run = run_jbert(hub, head, tmp_path)
    jbert_ids, jbert_logits, examples = _jbert_side(run, head)
    assert run.result.examples == len(run.rows) == len(examples) > 1  # one row out per row in
    assert run.result.metrics and all(math.isfinite(v) for v in run.result.metrics.values())
    _check_ids(family, hub, run.model, head, examples, jbert_ids)
    _check_plain_model(family, run.model, head, examples, jbert_logits)
    # pipeline cannot pass position_ids (rinna) nor load a sudachitra tokenizer without it (chiTra)
    plain_pipeline = not FAMILIES[family].positions_from_zero and FAMILIES[family].plain is None
    if head in ("classification", "pair-classification", "pair-regression") and plain_pipeline:
        _check_pipeline(run.model, head, examples, run.rows)


def _jbert_side(run, head: str):
    """Per example: jbert's id rows (its first feature's) and logits, from the saved directory."""
    from jbert.config.inference import RunSettings
    from jbert.inference import Predictor
    from jbert.inference.loading import load_finetuned
    from jbert.readers import read

    ft = load_finetuned(run.model, device="cpu")
    examples = list(read(run.valid, ft.spec))
    features = ft.head.encode(examples, ft.tokenizer, ft.options)
    outputs = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, RunSettings(device="cpu")).forward(features)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    first = {}
    for row, feature in enumerate(features):
        first.setdefault(feature["example_index"], row)
    ids, logits = [], []
    for i in range(len(examples)):
        rows = features[first[i]]["input_ids"]
        ids.append(rows if head == "choice" else [rows])
        logits.append(tuple(o[first[i]] for o in outputs))
    return ids, logits, examples


def _encode(tokenizer, head: str, text: str, pair: str | None, **kwargs):
    truncation = "only_second" if head == "span" else True
    return tokenizer(text, pair, truncation=truncation, max_length=HEADS[head].max_length, **kwargs)


def _check_ids(family: str, hub, out, head: str, examples, jbert_ids) -> None:
    reference, plain = FAMILIES[family].reference(hub), _plain_tokenizer(family, out)
    for example, ids in zip(examples, jbert_ids, strict=True):
        expected = [_encode(reference, head, t, p)["input_ids"] for t, p in sequences(head, example)]
        assert [list(r) for r in ids] == expected, f"jbert ids differ from pre-training on {example.id}"
        assert [_encode(plain, head, t, p)["input_ids"] for t, p in sequences(head, example)] == expected, \
            f"plain AutoTokenizer on the saved model differs from pre-training on {example.id}"


def _plain_tokenizer(family: str, out):
    from transformers import AutoTokenizer

    plain = FAMILIES[family].plain
    return AutoTokenizer.from_pretrained(out) if plain is None else plain(out)


def _check_plain_model(family: str, out, head: str, examples, jbert_logits) -> None:
    import torch
    import transformers

    tokenizer, positions_from_zero = _plain_tokenizer(family, out), FAMILIES[family].positions_from_zero
    model = getattr(transformers, HEADS[head].auto_class).from_pretrained(out).eval()
    for example, expected in zip(examples, jbert_logits, strict=True):
        calls = sequences(head, example)
        texts, pairs = [t for t, _ in calls], [p for _, p in calls]
        enc = _encode(tokenizer, head, texts, pairs if pairs[0] is not None else None, padding=True,
                      return_tensors="pt")
        if positions_from_zero:  # rinna's model card: position_ids = arange(len), from 0
            enc["position_ids"] = torch.arange(enc["input_ids"].shape[-1]).expand_as(enc["input_ids"])
        if head == "choice":
            enc = {k: v.unsqueeze(0) for k, v in enc.items()}
        with torch.inference_mode():
            output = model(**enc)  # every input the saved tokenizer returns, as a plain client does
        got = [output.start_logits, output.end_logits] if head == "span" else [output.logits]
        for g, e in zip(got, expected, strict=True):
            g = g[0].numpy()
            np.testing.assert_allclose(e[: len(g)], g, rtol=1e-4, atol=1e-4, err_msg=f"logits differ on {example.id}")


def _check_pipeline(out, head: str, examples, rows) -> None:
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(out), tokenizer=str(out), device="cpu")
    extra = {"function_to_apply": "none"} if head == "pair-regression" else {}
    for example, row in zip(examples, rows, strict=True):
        inputs = {"text": example.text, "text_pair": example.text_pair} if example.text_pair else example.text
        got = classify(inputs, truncation=True, max_length=HEADS[head].max_length, **extra)
        got = got[0] if isinstance(got, list) else got
        assert got["score"] == pytest.approx(row["score"], rel=1e-4, abs=1e-4), example.id
        if head != "pair-regression":
            assert got["label"] == row["label"], example.id
