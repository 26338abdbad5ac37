"""The `evaluate` module (jbert/metrics/evaluate_modules/jglue) gives exactly what `jbert eval score`
gives on the same predictions, and works as a plain Trainer's compute_metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app
from jbert.errors import ConfigError
from jbert.metrics import compute

evaluate = pytest.importorskip("evaluate")
from jbert.metrics import hf  # noqa: E402

JGLUE = Path(__file__).parent.parent / "data" / "jglue"
runner = CliRunner()


def _score(tmp_path: Path, task: str, gold: Path, predictions: Path) -> dict[str, float]:
    out = tmp_path / f"{task}.metrics.json"
    result = runner.invoke(app, ["eval", "score", "--task", task, "--gold", str(gold),
                                 "--predictions", str(predictions), "--output", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))["metrics"]


def _jsquad_answers(answers: list[str], i: int) -> str:
    """A spread of cases: exact, a trailing 。 (normalised away), a partial, a wrong and an empty answer."""
    gold = answers[0]
    return [gold, gold + "。", gold[1:], "全く違う答え", ""][i % 5]


def test_jsquad_module_equals_eval_score(tmp_path):
    data = json.loads((JGLUE / "jsquad-valid.json").read_text(encoding="utf-8"))
    qas = [qa for art in data["data"] for par in art["paragraphs"] for qa in par["qas"]]
    answers = {qa["id"]: _jsquad_answers([a["text"] for a in qa["answers"]], i) for i, qa in enumerate(qas)}
    predictions = tmp_path / "eval_predictions.json"  # run_qa.py's format
    predictions.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    expected = _score(tmp_path, "jsquad", JGLUE / "jsquad-valid.json", predictions)
    module = evaluate.load(hf.module_path(), "jsquad")
    got = module.compute(
        predictions=[{"id": k, "prediction_text": v} for k, v in answers.items()],
        references=[{"id": qa["id"], "answers": {"text": [a["text"] for a in qa["answers"]],
                                                 "answer_start": [a["answer_start"] for a in qa["answers"]]}}
                    for qa in qas],
    )
    assert got == expected
    assert 0 < got["exact_match"] < got["f1"] < 1  # the spread above really exercises partial credit


def test_jsts_and_jnli_modules_equal_eval_score(tmp_path):
    rows = [json.loads(line) for line in (JGLUE / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()]
    scores = [(i * 7 % 11) / 2.0 for i in range(len(rows))]
    path = tmp_path / "jsts.jsonl"
    path.write_text("".join(json.dumps({"sentence_pair_id": r["sentence_pair_id"], "label": s}) + "\n"
                            for r, s in zip(rows, scores, strict=True)), encoding="utf-8")
    expected = _score(tmp_path, "jsts", JGLUE / "jsts-valid.jsonl", path)
    assert hf.load("jsts").compute(predictions=scores, references=[r["label"] for r in rows]) == expected

    labels = ["entailment", "contradiction", "neutral"]  # the jnli spec's order: Trainer label indices
    rows = [json.loads(line) for line in (JGLUE / "jnli-valid.jsonl").read_text(encoding="utf-8").splitlines()]
    guesses = [labels[i % 3] for i in range(len(rows))]
    path = tmp_path / "jnli.jsonl"
    path.write_text("".join(json.dumps({"sentence_pair_id": r["sentence_pair_id"], "label": g}) + "\n"
                            for r, g in zip(rows, guesses, strict=True)), encoding="utf-8")
    expected = _score(tmp_path, "jnli", JGLUE / "jnli-valid.jsonl", path)
    got = hf.load("jnli").compute(predictions=[labels.index(g) for g in guesses],
                                  references=[labels.index(r["label"]) for r in rows])
    assert got == expected


def test_unknown_task_names_the_choices():
    with pytest.raises(ConfigError, match="unknown JGLUE task 'jfoo'; choose one of marc_ja, jsts"):
        hf.load("jfoo")


def test_plain_trainer_compute_metrics(tmp_path, tiny_model_dir):
    """A plain transformers Trainer (no jbert in the loop) scoring JSTS through the module."""
    import numpy as np
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    rows = [json.loads(line) for line in (JGLUE / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()]
    features = [{**tokenizer(r["sentence1"], r["sentence2"], truncation=True, max_length=64),
                 "labels": float(r["label"])} for r in rows]
    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_model_dir), num_labels=1)
    metric = hf.load("jsts")
    trainer = Trainer(
        model=model,
        args=TrainingArguments(output_dir=str(tmp_path), per_device_eval_batch_size=4, report_to=[], use_cpu=True),
        eval_dataset=features,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=lambda p: metric.compute(predictions=p.predictions.reshape(-1), references=p.label_ids),
    )
    out = trainer.predict(features)
    # the Trainer hands labels over as float32 (2.4 -> 2.4000000953...): compare on what it handed over
    expected = compute(["pearson", "spearman"], np.asarray(out.predictions).reshape(-1).tolist(),
                       np.asarray(out.label_ids).tolist())
    assert out.metrics["test_pearson"] == pytest.approx(expected["pearson"], abs=1e-12)
    assert out.metrics["test_spearman"] == pytest.approx(expected["spearman"], abs=1e-12)
