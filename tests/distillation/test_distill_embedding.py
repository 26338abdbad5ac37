"""`jbert distill` for an embedding teacher: labelled rows and an unlabeled .txt (the bundled corpus's
format) distil into a sentence-transformers directory that SentenceTransformer loads with `jbert embed`'s
vectors and that eval / export run; the teacher's vectors are cached once; widths must agree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from jbert import api
from jbert.cli import app
from jbert.config.run import build_config
from jbert.distillation import DistillConfig
from jbert.distillation.cache import CachedTargets
from jbert.models.directory import CONFIG_FILE
from jbert.models.st_format import StSettings, read_st, write_st

st = pytest.importorskip("sentence_transformers")
ROOT = Path(__file__).resolve().parents[2]
JGLUE = ROOT / "tests" / "data" / "jglue"
CORPUS = ROOT / "data" / "pretrain" / "captions.txt"
PROMPTS = {"query": "クエリ: ", "document": "文章: "}
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--set", "training.progress_bar=false"]


def invoke(*args) -> object:
    return runner.invoke(app, [*map(str, args)])


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def jsts(n: int) -> list[dict]:
    return [json.loads(line) for line in (JGLUE / "jsts-train.jsonl").read_text(encoding="utf-8").splitlines()[:n]]


def triplets(path: Path, n: int = 8) -> Path:
    rows = jsts(n + 1)
    return jsonl(path, [{"anchor": a["sentence1"], "positive": a["sentence2"], "negative": b["sentence2"]}
                        for a, b in zip(rows, rows[1:], strict=False)])


def corpus_slice(path: Path, n: int = 6) -> Path:
    """The first lines of the bundled pre-training corpus: plain text, one text a line."""
    path.write_text("".join(CORPUS.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return path


@pytest.fixture
def prompted_teacher(finetuned, tmp_path) -> Path:
    """The embedding teacher with CLS pooling, normalised vectors and query/document prompts."""
    out = tmp_path / "teacher"
    shutil.copytree(finetuned("embedding"), out)
    write_st(out, StSettings(pooling="cls", normalize=True, prompts=dict(PROMPTS), max_seq_length=64), 32)
    return out


def same_vectors_as_sentence_transformers(model: Path, tmp_path: Path, as_: str | None) -> None:
    texts = corpus_slice(tmp_path / "texts.txt", 5)
    result = invoke("embed", "--model", model, texts, "--output", tmp_path / "v.npy", *(["--as", as_] if as_ else []))
    assert result.exit_code == 0, result.output
    expected = st.SentenceTransformer(str(model), device="cpu").encode(
        texts.read_text(encoding="utf-8").splitlines(), prompt_name=as_)
    assert np.abs(np.load(tmp_path / "v.npy") - expected).max() <= 1e-5


def test_an_embedding_teacher_distils_into_a_sentence_transformers_model(prompted_teacher, tmp_path):
    unlabeled, valid = corpus_slice(tmp_path / "corpus.txt"), jsonl(tmp_path / "valid.jsonl", jsts(8))
    out = tmp_path / "student"
    result = invoke("distill", "--teacher", prompted_teacher, "--student-layers", 1, "--train",
                    triplets(tmp_path / "train.jsonl"), "--valid", valid, "--unlabeled", unlabeled, "--output", out, *QUICK)
    assert result.exit_code == 0, result.output
    assert f"distilled model written to {out}" in result.output and "spearman" in result.output
    settings = read_st(out)  # pooling, normalisation and prompts are the teacher's
    assert (settings.pooling, settings.normalize, settings.prompts) == ("cls", True, PROMPTS)
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    saved = yaml.safe_load((out / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["spec"]["head"] == "embedding" and saved["distill"]["record"]["student"]["copied_layers"] == [0]
    assert saved["distill"]["record"]["rows"]["unlabeled"] == {str(unlabeled): 6}
    same_vectors_as_sentence_transformers(out, tmp_path, "query")
    result = invoke("eval", "--model", out, "--data", valid)
    assert result.exit_code == 0 and "spearman" in result.output, result.output
    result = invoke("export", "--model", out, "--output", tmp_path / "int8", "--format", "torch", "--quantize", "int8",
                    "--data", valid, "--min-agreement", 0)  # torch int8: seconds (ONNX: tests/export)
    assert result.exit_code == 0, result.output
    agreement = json.loads((tmp_path / "int8" / "jbert_export.json").read_text())["agreement"]
    assert agreement["measure"] == "vector agreement" and agreement["rows"] == 8


def test_the_teachers_vectors_are_cached_once_as_float16_over_two_epochs(prompted_teacher, tmp_path, forwards):
    unlabeled, train = corpus_slice(tmp_path / "corpus.txt"), triplets(tmp_path / "train.jsonl")

    def distill(out: str, **flags) -> None:
        api.distill(build_config(cls=DistillConfig, flags={
            "distill.teacher": str(prompted_teacher), "distill.student_layers": 1, "distill.unlabeled": [str(unlabeled)],
            "distill.teacher_cache": str(tmp_path / "cache"), "data.train": str(train),
            "training.output_dir": str(tmp_path / out), "training.batch_size": 4, "training.progress_bar": False, **flags}))

    distill("a", **{"training.epochs": 2})
    assert forwards == [4, 4, 4, 2]  # 8 triplets, then 6 corpus lines, in batches of 4: once each
    distill("b", **{"training.max_steps": 1})  # a second student reads the features and vectors back
    assert len(forwards) == 4 and (tmp_path / "b" / CONFIG_FILE).is_file()
    train = CachedTargets(next((tmp_path / "cache").glob("train-teacher-*.arrow")))
    lines = CachedTargets(next((tmp_path / "cache").glob("unlabeled0-teacher-*.arrow")))
    assert len(train) == 8 and train[0]["vectors"].shape == (3, 32) and train[0]["vectors"].dtype == np.float16
    assert len(lines) == 6 and lines[0]["vectors"].shape == (1, 32)  # one text, one vector
    assert np.allclose(np.linalg.norm(lines[0]["vectors"].astype(np.float32), axis=-1), 1.0, atol=1e-3)  # normalised


def test_a_sentence_transformers_teacher_distils_into_a_student_directory_with_cosent_rows(tiny_model_dir, tmp_path):
    """A directory sentence-transformers wrote (no jbert_config.yaml) teaches a student given as a model
    directory; JSTS rows train CoSENT beside the teacher's vectors."""
    from sentence_transformers.base.modules import Transformer

    source = tmp_path / "st"
    st.SentenceTransformer(modules=[Transformer(str(tiny_model_dir), max_seq_length=64),
                                    st.sentence_transformer.modules.Pooling(32, "mean")]).save(str(source))
    out = tmp_path / "student"
    result = invoke("distill", "--teacher", source, "--student", tiny_model_dir, "--train",
                    jsonl(tmp_path / "train.jsonl", jsts(8)), "--unlabeled", corpus_slice(tmp_path / "c.txt"),
                    "--output", out, *QUICK)
    assert result.exit_code == 0, result.output
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["train_loss"] > 0
    same_vectors_as_sentence_transformers(out, tmp_path, None)


def test_a_student_of_another_width_and_hidden_matching_are_one_line_errors(finetuned, wide_student, tmp_path):
    wide = wide_student
    train = triplets(tmp_path / "train.jsonl")
    for flags, message in ((["--student", wide], f"--student {wide} gives 48-dimensional vectors but the teacher's have 32"),
                           (["--student-layers", 1, "--set", "distill.hidden_weight=1"], "distill.hidden_weight: embedding models distil from")):
        out = tmp_path / "out"
        result = invoke("distill", "--teacher", finetuned("embedding"), *flags, "--train", train, "--output", out, *QUICK)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.output
        assert not out.exists()  # refused before anything is written
