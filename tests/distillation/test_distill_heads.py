"""`jbert distill` end to end on tiny models: every head distils from a teacher directory
(tests/_finetuned.py) into a one-layer student, and the output is a normal fine-tuned directory that
loads, evaluates and predicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jbert.cli import app
from jbert.inference.loading import load_finetuned
from jbert.models.directory import CONFIG_FILE
from jbert.readers import read

DATA = Path(__file__).resolve().parents[1] / "data"
JGLUE = DATA / "jglue"
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--set", "training.progress_bar=false"]

# head -> (train file, valid file, unlabeled-style file made from the valid file)
FILES = {
    "classification": (DATA / "marc_ja" / "train.jsonl", DATA / "marc_ja" / "valid.jsonl"),
    "pair-classification": (JGLUE / "jnli-train.jsonl", JGLUE / "jnli-valid.jsonl"),
    "pair-regression": (JGLUE / "jsts-train.jsonl", JGLUE / "jsts-valid.jsonl"),
    "choice": (JGLUE / "jcommonsenseqa-train.jsonl", JGLUE / "jcommonsenseqa-valid.jsonl"),
    "span": (JGLUE / "jsquad-train.json", JGLUE / "jsquad-valid.json"),
    "token": (DATA / "ner" / "train.conll", DATA / "ner" / "valid.conll"),
    "reranker": (DATA / "reranker" / "valid.jsonl", DATA / "reranker" / "valid.jsonl"),  # 6 queries x 3 documents
}


def first_rows(src: Path, dst: Path, n: int = 8) -> Path:
    if src.suffix == ".conll":
        return src
    if src.suffix == ".json":  # SQuAD JSON: the first article's first paragraphs
        data = json.loads(src.read_text(encoding="utf-8"))
        data["data"] = data["data"][:1]
        data["data"][0]["paragraphs"] = data["data"][0]["paragraphs"][:2]
        dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return dst
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


def distill(*args) -> object:
    return runner.invoke(app, ["distill", *map(str, args)])


def unlabeled_file(head: str, tmp: Path) -> Path:
    """Rows without labels in another format than the training file's: plain text for NER, flat JSON
    Lines without answers for QA, JSON Lines without the label column for the others."""
    if head == "token":
        dst = tmp / "unlabeled.txt"
        dst.write_text("東京駅で山田さんに会った。\n大阪城は大阪にある。\n", encoding="utf-8")
        return dst
    src = FILES[head][1]
    if head == "span":
        data = json.loads(src.read_text(encoding="utf-8"))
        rows = [{"id": qa["id"], "question": qa["question"], "context": par["context"]}
                for art in data["data"][:1] for par in art["paragraphs"][:2] for qa in par["qas"]]
    else:
        rows = [{k: v for k, v in json.loads(line).items() if k != "label"}
                for line in src.read_text(encoding="utf-8").splitlines()[:6]]
    dst = tmp / "unlabeled.jsonl"
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return dst


@pytest.mark.parametrize("head", list(FILES))
def test_every_head_distils_into_a_working_model_directory(head, finetuned, tmp_path):
    teacher = finetuned(head)
    train, valid = (first_rows(f, tmp_path / f"{n}{f.suffix}") for n, f in zip(("train", "valid"), FILES[head], strict=True))
    unlabeled = unlabeled_file(head, tmp_path)
    out = tmp_path / "student"
    result = distill("--teacher", teacher, "--student-layers", 1, "--train", train, "--valid", valid,
                     "--unlabeled", unlabeled, "--output", out, *QUICK)
    assert result.exit_code == 0, result.output
    assert f"distilled model written to {out}" in result.output
    ft = load_finetuned(out, device="cpu")
    assert ft.model.config.num_hidden_layers == 1 and ft.spec.head == head
    predictions = (out / "valid_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == len(list(read(valid, ft.spec)))
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    record = saved["distill"]["record"]
    assert saved["distill"]["teacher"] == str(teacher) and record["student"]["copied_layers"] == [0]
    assert record["teacher"]["weights_sha256"] and saved["data"]["train"] == str(train)
    assert record["rows"]["unlabeled"][str(unlabeled)] > 0
    assert not (out / ".encoded").exists()  # the per-run cache goes once the directory is complete


def test_qa_distils_from_the_teachers_top_k_logits(finetuned, tmp_path):
    from jbert.distillation.cache import CachedTargets

    train, valid = (first_rows(f, tmp_path / f"{n}.json") for n, f in zip(("train", "valid"), FILES["span"], strict=True))
    result = distill("--teacher", finetuned("span"), "--student-layers", 1, "--train", train, "--valid", valid,
                     "--output", tmp_path / "out", "--teacher-cache", tmp_path / "cache", "--set", "distill.top_k=3", *QUICK)
    assert result.exit_code == 0, result.output
    targets = CachedTargets(next((tmp_path / "cache").glob("train-teacher-*.arrow")))
    row = targets[0]
    assert set(row) == {"start_index", "start_top", "end_index", "end_top"} and row["start_top"].shape == (3,)
    assert list(row["start_top"]) == sorted(row["start_top"], reverse=True)  # the 3 best, best first
