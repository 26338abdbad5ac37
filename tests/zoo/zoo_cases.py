"""One head of the zoo matrix: its task, tiny data, the jbert stages, and what plain transformers sees.

``run_jbert`` goes through ``jbert.api`` exactly as the CLI does (finetune -> eval -> predict);
``sequences`` lists, per example, the (text, pair) calls a plain client makes for the same rows,
in the order of jbert's feature rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo_hub import DATA

JGLUE = DATA / "jglue"
TRAIN_ROWS, VALID_ROWS = 16, 8  # at most: the NER validation file has 6


@dataclass(frozen=True)
class HeadCase:
    task: str
    train: Path
    valid: Path
    auto_class: str  # the AutoModelFor... a plain client loads
    max_length: int = 64
    reader: str | None = None


HEADS = {
    "classification": HeadCase("marc_ja", DATA / "marc_ja" / "train.jsonl", DATA / "marc_ja" / "valid.jsonl",
                               "AutoModelForSequenceClassification"),
    "pair-classification": HeadCase("jnli", JGLUE / "jnli-train.jsonl", JGLUE / "jnli-valid.jsonl",
                                    "AutoModelForSequenceClassification"),
    "pair-regression": HeadCase("jsts", JGLUE / "jsts-train.jsonl", JGLUE / "jsts-valid.jsonl",
                                "AutoModelForSequenceClassification"),
    "choice": HeadCase("jcommonsenseqa", JGLUE / "jcommonsenseqa-train.jsonl", JGLUE / "jcommonsenseqa-valid.jsonl",
                       "AutoModelForMultipleChoice"),
    "span": HeadCase("jsquad", JGLUE / "jsquad-train.json", JGLUE / "jsquad-valid.json",
                     "AutoModelForQuestionAnswering", max_length=128),
    "token": HeadCase("ner", DATA / "ner" / "train.jsonl", DATA / "ner" / "valid.jsonl",
                      "AutoModelForTokenClassification", reader="jsonl"),
}


def subset(src: Path, dst: Path, n: int) -> Path:
    """The first ``n`` rows of a JSONL file, or the first ``n`` questions of a SQuAD JSON file."""
    if src.suffix == ".jsonl":
        dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
        return dst
    data, kept = json.loads(src.read_text(encoding="utf-8")), 0
    articles = []
    for article in data["data"]:
        paragraphs = []
        for par in article["paragraphs"]:
            qas = par["qas"][: n - kept]
            kept += len(qas)
            if qas:
                paragraphs.append({**par, "qas": qas})
        if paragraphs:
            articles.append({**article, "paragraphs": paragraphs})
    dst.write_text(json.dumps({**data, "data": articles}, ensure_ascii=False), encoding="utf-8")
    return dst


@dataclass
class Run:
    model: Path  # the fine-tuned output directory
    valid: Path  # the validation rows, also evaluated and predicted
    result: Any  # jbert eval's EvalResult
    rows: list[dict]  # jbert predict's output rows


def run_jbert(hub: Path, head: str, tmp: Path, **encoding: Any) -> Run:
    """finetune (2 steps) -> eval -> predict, with the head's tiny data."""
    from jbert import api
    from jbert.config.run import build_config
    from jbert.evaluation import EvalConfig
    from jbert.inference import PredictConfig

    case = HEADS[head]
    train = subset(case.train, tmp / f"train{case.train.suffix}", TRAIN_ROWS)
    valid = subset(case.valid, tmp / f"valid{case.valid.suffix}", VALID_ROWS)
    out = tmp / "model"
    flags = {"task.name": case.task, "model.name_or_path": str(hub), "data.train": str(train),
             "data.valid": str(valid), "training.output_dir": str(out), "training.max_steps": 2,
             "training.batch_size": 8, "training.progress_bar": False, "training.logging_steps": 1,
             "encoding.max_length": case.max_length, "encoding.doc_stride": 32, "task.reader": case.reader,
             **{f"encoding.{k}": v for k, v in encoding.items()}}
    api.finetune(build_config(flags=flags))
    result = api.evaluate(EvalConfig(model=str(out), data=str(valid)))
    predictions = tmp / "predictions.jsonl"
    api.predict(PredictConfig(model=str(out), inputs=[str(valid)], output=str(predictions)))
    rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    return Run(out, valid, result, rows)


def sequences(head: str, example: Any) -> list[tuple[str, str | None]]:
    """The tokenizer calls behind one example's feature rows (QA: its first window)."""
    if head == "choice":
        return [(example.text, choice) for choice in example.choices]
    if head in ("pair-classification", "pair-regression", "span"):
        return [(example.text, example.text_pair)]
    return [(example.text, None)]
