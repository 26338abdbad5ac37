"""`jbert finetune embedding` and `jbert embed` through typer's CliRunner: every loss trains through the
normal fine-tuning core into a directory SentenceTransformer loads with the same vectors; a
sentence-transformers directory continues training; every user error is one line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from jbert.cli import app
from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import load_spec
from jbert.heads import get_head
from jbert.readers import read_examples
from jbert.tokenization import load_tokenizer

st = pytest.importorskip("sentence_transformers")
DATA = Path(__file__).resolve().parents[1] / "data"
JGLUE = DATA / "jglue"
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--max-length", "64", "--set", "training.progress_bar=false"]


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def fails_with(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.output


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _jsts(n: int = 16) -> list[dict]:
    return [json.loads(line) for line in (JGLUE / "jsts-train.jsonl").read_text().splitlines()[:n]]


def safe_open_keys(path: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return list(f.keys())


def _loss(model_dir: Path, rows: Path, loss: str) -> float:
    """The training loss of ``model_dir`` on every row of ``rows`` at once, without dropout."""
    spec = load_spec("embedding")
    head = get_head("embedding")(spec)
    head.attach(str(model_dir))
    examples = read_examples(rows, spec)
    head.choose_loss(loss, examples)
    tokenizer = load_tokenizer(model_dir)
    features = head.encode(examples, tokenizer, EncodeOptions(max_length=64))
    model = head.model(str(model_dir)).eval()
    with torch.no_grad():
        return float(model(**head.collator(tokenizer)(features))["loss"])


def _same_vectors_as_sentence_transformers(out: Path, tmp_path: Path, as_: str | None = None) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(r["sentence1"] + "\n" for r in _jsts(6)), encoding="utf-8")
    result = run("embed", "--model", out, texts, "--output", tmp_path / "v.npy", *(["--as", as_] if as_ else []))
    assert result.exit_code == 0, result.output
    assert "rows in: 6, rows out: 6, rows in error: 0" in result.output
    reference = st.SentenceTransformer(str(out), device="cpu")
    expected = reference.encode(texts.read_text(encoding="utf-8").splitlines(), prompt_name=as_)
    assert np.abs(np.load(tmp_path / "v.npy") - expected).max() <= 1e-5


def test_finetune_on_jsts_lowers_the_loss_and_writes_a_sentence_transformers_model(tiny_model_dir, tmp_path):
    train = _jsonl(tmp_path / "train.jsonl", _jsts(16))
    out = tmp_path / "out"
    result = run("finetune", "embedding", "--model", tiny_model_dir, "--train", train, "--valid",
                 JGLUE / "jsts-valid.jsonl", "--output", out, "--epochs", "3", "--batch-size", "8",
                 "--learning-rate", "5e-4", "--max-length", "64", "--set", "training.progress_bar=false")
    assert result.exit_code == 0, result.output
    assert "spearman" in result.output
    assert _loss(out, train, "cosent") < _loss(tiny_model_dir, train, "cosent")
    assert {"modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
            "jbert_config.yaml"} <= {p.name for p in out.iterdir()}
    _same_vectors_as_sentence_transformers(out, tmp_path)
    result = run("eval", "--model", out, "--data", JGLUE / "jsts-valid.jsonl")
    assert result.exit_code == 0 and "spearman" in result.output, result.output


def _triplets(n: int = 12) -> list[dict]:
    rows = _jsts(n + 1)
    return [{"anchor": a["sentence1"], "positive": a["sentence2"], "negative": b["sentence2"]}
            for a, b in zip(rows, rows[1:], strict=False)]


@pytest.mark.parametrize(("loss", "make", "extra"), [
    ("mnrl", lambda p: _jsonl(p / "t.jsonl", _triplets()), ["--set", "task.options.query_prefix='クエリ: '",
                                                            "--set", "task.options.document_prefix='文章: '"]),
    ("simcse", lambda p: _jsonl(p / "s.jsonl", [{"text": r["sentence1"]} for r in _jsts()]), []),
    ("softmax", lambda p: _jsonl(p / "n.jsonl", [json.loads(x) for x in (JGLUE / "jnli-train.jsonl").read_text()
                                                 .splitlines()[:12]]), ["--set", "task.options.pooling=cls"]),
    ("cosine", lambda p: _jsonl(p / "c.jsonl", [{**r, "label": r["label"] / 5} for r in _jsts()]),
     ["--set", "training.loss=cosine"]),
])
def test_every_loss_trains_into_a_sentence_transformers_model(loss, make, extra, tiny_model_dir, tmp_path):
    out = tmp_path / "out"
    result = run("finetune", "embedding", "--model", tiny_model_dir, "--train", make(tmp_path), "--output", out,
                 *QUICK, *extra)
    assert result.exit_code == 0, result.output
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["train_loss"] > 0
    as_ = "query" if loss == "mnrl" else None
    _same_vectors_as_sentence_transformers(out, tmp_path, as_)
    if loss == "softmax":  # the classifier trained with the encoder but is not part of the saved model
        assert json.loads((out / "1_Pooling" / "config.json").read_text())["pooling_mode"] == "cls"
        saved = yaml.safe_load((out / "jbert_config.yaml").read_text(encoding="utf-8"))
        rows = (JGLUE / "jnli-train.jsonl").read_text().splitlines()[:12]
        assert saved["labels"] == sorted({json.loads(r)["label"] for r in rows})
        assert not any("classifier" in k for k in safe_open_keys(out / "model.safetensors"))


def test_a_sentence_transformers_directory_continues_training(tiny_model_dir, tmp_path):
    modules = st.sentence_transformer.modules
    from sentence_transformers.base.modules import Normalize, Transformer

    source = tmp_path / "st"
    st.SentenceTransformer(modules=[Transformer(str(tiny_model_dir), max_seq_length=64), modules.Pooling(32, "lasttoken"),
                                    Normalize()], prompts={"query": "q: ", "document": "d: "}).save(str(source))
    out = tmp_path / "out"
    train = _jsonl(tmp_path / "t.jsonl", _triplets())
    result = run("finetune", "embedding", "--model", source, "--train", train, "--output", out, *QUICK)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "1_Pooling" / "config.json").read_text())["pooling_mode"] == "lasttoken"
    assert json.loads((out / "config_sentence_transformers.json").read_text())["prompts"] == {"query": "q: ",
                                                                                              "document": "d: "}
    assert (out / "2_Normalize").is_dir()
    _same_vectors_as_sentence_transformers(out, tmp_path, "document")


def test_embed_errors_are_one_line(finetuned, tmp_path):
    model = finetuned("embedding")
    texts = tmp_path / "t.jsonl"
    texts.write_text('{"text": "猫"}\n{"text": 3.5}\n{"text": null}\n{"txt": "犬"}\n', encoding="utf-8")
    fails_with(run("embed", "--model", model, tmp_path / "missing.txt", "-o", tmp_path / "v.npy"), f"{tmp_path}")
    fails_with(run("embed", "--model", model, texts, "-o", tmp_path / "v.csv"), "--output")
    fails_with(run("embed", "--model", model, texts, "-o", tmp_path / "v.npy"),
               f"{texts}:3: column 'text' is null, expected text")
    assert not (tmp_path / "v.npy").exists()
    fails_with(run("embed", "--model", finetuned("classification"), texts, "-o", tmp_path / "v.npy"),
               f"{finetuned('classification')} is a classification model, not an embedding model")
    result = run("embed", "--model", model, texts, "-o", tmp_path / "v.npy", "--on-error", "skip")
    assert result.exit_code == 0, result.output
    assert "rows in: 4, rows out: 2, rows in error: 2" in result.output  # 3.5 is read as the text "3.5"
    assert np.load(tmp_path / "v.npy").shape == (2, 32)


def test_finetune_errors_are_one_line(tiny_model_dir, tmp_path):
    fails_with(run("finetune", "embedding", "--model", tiny_model_dir, "--train", _jsonl(tmp_path / "j.jsonl", _jsts()),
                   "--output", tmp_path / "o", "--set", "training.loss=cosine"),
               f"{tmp_path / 'j.jsonl'}:1: scores outside -1..1")
    mixed = _jsonl(tmp_path / "m.jsonl", [{"anchor": "a", "positive": "b"}, {"text": "c"}])
    fails_with(run("finetune", "embedding", "--model", tiny_model_dir, "--train", mixed, "--output", tmp_path / "o"),
               f"{mixed}:2: this row holds one text")
    fails_with(run("finetune", "embedding", "--model", tiny_model_dir, "--train", _jsonl(tmp_path / "t.jsonl", _triplets()),
                   "--valid", tmp_path / "t.jsonl", "--output", tmp_path / "o"), f"{tmp_path / 't.jsonl'}:1: label")
    fails_with(run("finetune", "jsts", "--model", tiny_model_dir, "--train", JGLUE / "jsts-train.jsonl",
                   "--output", tmp_path / "o", "--set", "training.loss=cosent"), "the pair-regression head trains with one loss")


def test_embed_bar_on_a_terminal_and_none_with_quiet(finetuned, tmp_path, monkeypatch):
    import re

    import jbert.writers.progress

    monkeypatch.setattr(jbert.writers.progress, "stderr_is_tty", lambda: True)  # as an interactive shell
    texts = tmp_path / "t.txt"
    texts.write_text("猫\n犬\n鳥\n", encoding="utf-8")
    shown = run("embed", "--model", finetuned("embedding"), texts, "-o", tmp_path / "a.npy")
    assert shown.exit_code == 0, shown.output
    assert re.search(r"embed: 100%\|.*\| 3/3 \[", shown.stderr), shown.stderr
    quiet = run("-q", "embed", "--model", finetuned("embedding"), texts, "-o", tmp_path / "b.npy")
    assert quiet.exit_code == 0, quiet.output
    assert "embed:" not in quiet.stderr and "rows in: 3, rows out: 3" in quiet.stderr
