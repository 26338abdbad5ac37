"""`jbert finetune` and `jbert model init` through typer's CliRunner: every head on every reader
runs, writes a complete model directory and reloads; every user error is one line and exit 1."""

from __future__ import annotations

import csv
import json
import shutil
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
QUICK = ["--max-steps", "1", "--batch-size", "4", "--max-length", "64", "--set", "training.progress_bar=false"]


def finetune(*args: str):
    return runner.invoke(app, ["finetune", *map(str, args)])


def fails_with(result, message: str) -> None:
    """Exit code 1 and one line starting ``error: <message>``."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {message}"), lines[0]


def head_rows(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


def to_table(src: Path, dst: Path, columns: list[str], n: int = 8) -> Path:
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()[:n]]
    with dst.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t" if dst.suffix == ".tsv" else ",")
        writer.writerow(columns)
        writer.writerows([[row[c] for c in columns] for row in rows])
    return dst


def squad_flat(src: Path, dst: Path, n: int = 8) -> Path:
    data = json.loads(src.read_text(encoding="utf-8"))
    rows = [{"id": qa["id"], "question": qa["question"], "context": par["context"],
             "answers": {"text": [a["text"] for a in qa["answers"]],
                         "answer_start": [a["answer_start"] for a in qa["answers"]]}}
            for art in data["data"] for par in art["paragraphs"] for qa in par["qas"]][:n]
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return dst


def _marc(tmp):
    return "marc_ja", DATA / "marc_ja" / "train.jsonl", DATA / "marc_ja" / "valid.jsonl", []


def _classification_csv(tmp):
    train = to_table(DATA / "marc_ja" / "train.jsonl", tmp / "train.csv", ["sentence", "label"])
    valid = to_table(DATA / "marc_ja" / "valid.jsonl", tmp / "valid.csv", ["sentence", "label"])
    return "classification", train, valid, ["--reader", "csv", "--text-column", "sentence"]


def _jnli(tmp):
    return "jnli", head_rows(JGLUE / "jnli-train.jsonl", tmp / "t.jsonl"), head_rows(JGLUE / "jnli-valid.jsonl", tmp / "v.jsonl"), []


def _jsts(tmp):
    return "jsts", head_rows(JGLUE / "jsts-train.jsonl", tmp / "t.jsonl"), head_rows(JGLUE / "jsts-valid.jsonl", tmp / "v.jsonl"), []


def _pair_regression_tsv(tmp):
    cols = ["sentence1", "sentence2", "label"]
    train = to_table(JGLUE / "jsts-train.jsonl", tmp / "train.tsv", cols)
    valid = to_table(JGLUE / "jsts-valid.jsonl", tmp / "valid.tsv", cols)
    return "pair-regression", train, valid, ["--reader", "tsv", "--text-column", "sentence1",
                                             "--text-pair-column", "sentence2", "--label-column", "label"]


def _jcommonsenseqa(tmp):
    return ("jcommonsenseqa", head_rows(JGLUE / "jcommonsenseqa-train.jsonl", tmp / "t.jsonl"),
            head_rows(JGLUE / "jcommonsenseqa-valid.jsonl", tmp / "v.jsonl"), [])


def _ner_conll(tmp):
    return "ner", DATA / "ner" / "train.conll", DATA / "ner" / "valid.conll", []


def _ner_jsonl(tmp):
    return "ner", DATA / "ner" / "train.jsonl", DATA / "ner" / "valid.jsonl", ["--reader", "jsonl"]


def _jsquad(tmp):
    return "jsquad", JGLUE / "jsquad-train.json", JGLUE / "jsquad-valid.json", ["--max-length", "128"]


def _qa_jsonl(tmp):
    train = squad_flat(JGLUE / "jsquad-train.json", tmp / "train.jsonl")
    valid = squad_flat(JGLUE / "jsquad-valid.json", tmp / "valid.jsonl")
    return "qa", train, valid, ["--max-length", "128"]


CASES = {f.__name__[1:]: f for f in (_marc, _classification_csv, _jnli, _jsts, _pair_regression_tsv,
                                      _jcommonsenseqa, _ner_conll, _ner_jsonl, _jsquad, _qa_jsonl)}


def check_model_dir(out: Path, task: str, valid: Path) -> None:
    for name in (CONFIG_FILE, "model.safetensors", "config.json", "vocab.txt", "metrics.json",
                 "valid_predictions.jsonl", "train_log.jsonl"):
        assert (out / name).is_file(), name
    ft = load_finetuned(out, device="cpu")
    assert ft.spec.name.replace("_", "-") == task.replace("_", "-") and not ft.model.training
    predictions = (out / "valid_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(predictions) == len(list(read(valid, ft.spec)))
    assert "final" in json.loads((out / "metrics.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_every_head_on_every_reader(case, tiny_model_dir, tmp_path):
    task, train, valid, extra = CASES[case](tmp_path)
    out = tmp_path / "out"
    result = finetune(task, "--model", tiny_model_dir, "--output", out, "--train", train, "--valid", valid,
                      *QUICK, *extra)
    assert result.exit_code == 0, result.output
    assert f"fine-tuned model written to {out}" in result.output
    check_model_dir(out, task, valid)


def test_jsts_end_to_end_and_summary(tiny_model_dir, tmp_path):
    task, train, valid, _ = _jsts(tmp_path)
    out = tmp_path / "out"
    result = finetune(task, "--model", tiny_model_dir, "--output", out, "--train", train, "--valid", valid,
                      "--epochs", "1", "--batch-size", "4", "--seed", "7", "--learning-rate", "1e-4",
                      "--set", "training.progress_bar=false", "--set", "training.weight_decay=0.1")
    assert result.exit_code == 0, result.output
    assert "pearson" in result.output and "spearman" in result.output
    check_model_dir(out, task, valid)
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    # recipe (jglue/jsts: max_length 128) <- flags <- --set
    assert saved["encoding"]["max_length"] == 128
    assert (saved["training"]["seed"], saved["training"]["learning_rate"]) == (7, 1e-4)
    assert saved["training"]["weight_decay"] == 0.1 and saved["training"]["epochs"] == 1.0


@pytest.mark.parametrize("nested", [True, False], ids=["checkout", "datasets-dir"])
def test_jglue_dir_layouts(nested, tiny_model_dir, tmp_path):
    root = tmp_path / "JGLUE"
    folder = (root / "datasets" if nested else root) / "jsts-v1.3"
    folder.mkdir(parents=True)
    head_rows(JGLUE / "jsts-train.jsonl", folder / "train-v1.3.json")
    head_rows(JGLUE / "jsts-valid.jsonl", folder / "valid-v1.3.json")
    out = tmp_path / "out"
    result = finetune("jsts", "--model", tiny_model_dir, "--output", out, "--jglue-dir", root, *QUICK)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((out / CONFIG_FILE).read_text())["data"]["jglue_dir"] == str(root)


def test_resume_finishes_an_interrupted_run(tiny_model_dir, tmp_path):
    task, train, valid, _ = _jsts(tmp_path)
    out = tmp_path / "out"
    args = [task, "--model", tiny_model_dir, "--output", out, "--train", train, "--valid", valid, *QUICK]
    assert finetune(*args).exit_code == 0
    (out / CONFIG_FILE).unlink()  # as if killed before the final save
    fails_with(finetune(*args), f"{out} holds checkpoints of an unfinished run: add --resume")
    result = finetune(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert load_finetuned(out, device="cpu").spec.name == "jsts"


# --- errors -------------------------------------------------------------------------------------


@pytest.fixture
def jsts_args(tiny_model_dir, tmp_path):
    return ["jsts", "--model", tiny_model_dir, "--output", tmp_path / "out",
            "--train", JGLUE / "jsts-train.jsonl", "--valid", JGLUE / "jsts-valid.jsonl"]


def test_unknown_task(tiny_model_dir, tmp_path):
    fails_with(finetune("jstz", "--model", tiny_model_dir, "--output", tmp_path / "o", "--train", "x"),
               "unknown task 'jstz'; available: ")


def test_missing_training_file(jsts_args, tmp_path):
    jsts_args[6] = tmp_path / "missing.jsonl"
    fails_with(finetune(*jsts_args), f"{tmp_path / 'missing.jsonl'}: --train file not found (check the path)")


def test_unknown_set_key(jsts_args):
    result = finetune(*jsts_args, "--set", "training.lr=1e-4")
    fails_with(result, "--set: unknown key 'training.lr'; valid keys of 'training': ")
    assert "learning_rate" in result.output


def test_bad_set_syntax_and_value(jsts_args):
    fails_with(finetune(*jsts_args, "--set", "training.seed"), "--set expects key=value")
    fails_with(finetune(*jsts_args, "--set", "training.epochs=many"), "--set: training.epochs must be a number")


def test_bad_label_in_the_data(tiny_model_dir, tmp_path):
    bad = DATA / "bad" / "unknown_label.jsonl"
    result = finetune("marc_ja", "--model", tiny_model_dir, "--output", tmp_path / "o", "--train", bad,
                      "--text-column", "sentence")
    fails_with(result, f"{bad}:2: unknown label 'neutral'")
    assert not (tmp_path / "o").exists()  # nothing written for a run that could not start


def test_bad_regression_label(tiny_model_dir, tmp_path):
    bad = DATA / "bad" / "regression_label.jsonl"
    fails_with(finetune("jsts", "--model", tiny_model_dir, "--output", tmp_path / "o", "--train", bad),
               f"{bad}:2: label 'high' is not a number")


def test_missing_model_and_output(tmp_path):
    fails_with(finetune("jsts", "--train", JGLUE / "jsts-train.jsonl"), "missing --model, --output")


def test_model_directory_not_found(jsts_args, tmp_path):
    jsts_args[2] = tmp_path / "no-model"
    result = finetune(*jsts_args)
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert len(result.output.strip().splitlines()) == 1 and "no-model" in result.output


def test_no_training_data(tiny_model_dir, tmp_path):
    fails_with(finetune("jsts", "--model", tiny_model_dir, "--output", tmp_path / "o"),
               "no training data: pass --train FILE")


def test_jglue_copy_without_train_split(jglue_dir, tiny_model_dir, tmp_path):
    # the shared JGLUE copy has no JNLI train split
    result = finetune("jnli", "--model", tiny_model_dir, "--output", tmp_path / "o", "--jglue-dir", jglue_dir)
    fails_with(result, "JGLUE train file for 'jnli' not found: looked for ")
    assert "pass --train FILE" in result.output


def test_jglue_dir_for_a_task_without_jglue_files(tiny_model_dir, tmp_path):
    fails_with(finetune("classification", "--model", tiny_model_dir, "--output", tmp_path / "o",
                        "--jglue-dir", tmp_path), "task 'classification' has no JGLUE train file; pass --train FILE")


def test_missing_config_file(jsts_args, tmp_path):
    fails_with(finetune(*jsts_args, "--config", tmp_path / "r.yaml"), f"config file not found: {tmp_path / 'r.yaml'}")


def test_output_already_holds_a_model(jsts_args, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / CONFIG_FILE).write_text("spec: {}\n")
    fails_with(finetune(*jsts_args), f"{tmp_path / 'out'} already holds a trained model")


def test_half_precision_on_cpu_is_refused(jsts_args, monkeypatch):
    import torch

    import jbert.config.precision

    if torch.cuda.is_available():
        pytest.skip("CPU-only behaviour")
    fails_with(finetune(*jsts_args, "--precision", "fp16"), "--precision fp16 needs a CUDA GPU")
    monkeypatch.setattr(jbert.config.precision, "cpu_has_bf16", lambda: False)  # bf16 only where the CPU has it
    fails_with(finetune(*jsts_args, "--precision", "bf16"), "--precision bf16 needs a CUDA GPU")
    fails_with(finetune(*jsts_args, "--precision", "fp8"), "training.precision must be one of auto, fp32, bf16, fp16")


# --- jbert model init ---------------------------------------------------------------------------


def test_model_init(tiny_tokenizer_dir, tmp_path):
    out = tmp_path / "m"
    result = runner.invoke(app, ["model", "init", "--tokenizer", str(tiny_tokenizer_dir), "--size", "tiny",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"random tiny BERT (L2/H32/A2) written to {out}"
    assert json.loads((out / "config.json").read_text())["architectures"] == ["BertForMaskedLM"]
    # and it fine-tunes
    shutil.copy(JGLUE / "jsts-train.jsonl", tmp_path / "t.jsonl")
    result = finetune("jsts", "--model", out, "--output", tmp_path / "ft", "--train", tmp_path / "t.jsonl", *QUICK)
    assert result.exit_code == 0, result.output


def test_model_init_errors(tiny_tokenizer_dir, tmp_path):
    result = runner.invoke(app, ["model", "init", "--tokenizer", str(tiny_tokenizer_dir), "--size", "huge",
                                 "--output", str(tmp_path / "m")])
    fails_with(result, "unknown model size 'huge'; available: tiny, mini, small, base")
    result = runner.invoke(app, ["model", "init", "--tokenizer", str(tmp_path / "nope"), "--output", str(tmp_path / "m")])
    fails_with(result, f"tokenizer directory not found: {tmp_path / 'nope'}")
