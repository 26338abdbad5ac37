"""`jbert data retrieval-from-squad` and `jbert eval retrieval` end to end on the JSQuAD slices: BM25,
a sentence-transformers bi-encoder (exact and FAISS search), reranking; every user error on one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _retrieval_data import JSQUAD, squad_pairs
from typer.testing import CliRunner

from jbert.cli import app
from jbert.metrics.retrieval import NAMES

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def fails_with(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.output


@pytest.fixture(scope="module")
def beir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("jsquad-retrieval")
    result = invoke("data", "retrieval-from-squad", JSQUAD / "jsquad-valid.json", "--output", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("split", ["train", "valid"])
def test_squad_conversion_counts(split: str, tmp_path: Path) -> None:
    questions, contexts = squad_pairs(split)
    result = invoke("data", "retrieval-from-squad", JSQUAD / f"jsquad-{split}.json", "-o", tmp_path, "--split", "dev")
    assert result.exit_code == 0, result.output
    corpus = [json.loads(x) for x in (tmp_path / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [json.loads(x) for x in (tmp_path / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    qrels = (tmp_path / "qrels" / "dev.tsv").read_text(encoding="utf-8").splitlines()
    assert (len(queries), len(corpus), len(qrels) - 1) == (len(questions), len(contexts), len(questions))
    assert result.output.strip() == f"{len(questions)} queries, {len(contexts)} documents, {len(questions)} " \
                                    f"judgements written to {tmp_path}"
    # JSQuAD's "title [SEP] paragraph": the title moves to its own field
    assert all(f"{d['title']} [SEP] {d['text']}" in contexts for d in corpus)
    by_id = {d["_id"]: d for d in corpus}
    first = qrels[1].split("\t")
    assert f"{by_id[first[1]]['title']} [SEP] {by_id[first[1]]['text']}" == questions[0]["context"]


def test_bm25_table_and_output(beir: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    result = invoke("eval", "retrieval", "--model", "bm25", "--data", beir, "--output", out)
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["queries"] == 26 and saved["documents"] == 8 and set(saved["metrics"]) == set(NAMES)
    row = next(line for line in result.output.splitlines() if line.startswith("| bm25"))
    assert row == "| bm25 | " + " | ".join(f"{saved['metrics'][n]:.4f}" for n in NAMES) + " |"
    assert len(saved["failures"]) == saved["failed"] and "reranked" not in saved
    per_query = [json.loads(x) for x in (tmp_path / "metrics.queries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert saved["per_query"] == "metrics.queries.jsonl" and len(per_query) == saved["queries"]
    assert sum(r["ndcg@10"] for r in per_query) / len(per_query) == pytest.approx(saved["metrics"]["ndcg@10"])
    assert f"every query's ranking written to {tmp_path / 'metrics.queries.jsonl'}" in result.output


@pytest.fixture(scope="module")
def bi_encoder(tiny_model_dir: Path, tmp_path_factory) -> Path:
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.base.modules import Transformer
        from sentence_transformers.sentence_transformer.modules import Pooling
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer
    transformer = Transformer(str(tiny_model_dir), max_seq_length=64)
    out = tmp_path_factory.mktemp("bi-encoder")
    SentenceTransformer(modules=[transformer, Pooling(transformer.get_word_embedding_dimension(), "mean")]).save(str(out))
    return out


@pytest.fixture(scope="module")
def reranker(tiny_model_dir: Path, tmp_path_factory) -> Path:
    """A reranker directory as `jbert finetune reranker` writes it (random head weights, no training)."""
    import torch
    from transformers import AutoTokenizer

    from jbert.config.run import build_config
    from jbert.config.tasks import load_spec
    from jbert.heads import get_head
    from jbert.models.directory import save_finetuned

    spec = load_spec("reranker")
    torch.manual_seed(0)
    model = get_head("reranker")(spec).model(str(tiny_model_dir))
    config = build_config(overrides=["task.name=reranker", f"model.name_or_path={tiny_model_dir}",
                                     "encoding.max_length=64"])
    out = tmp_path_factory.mktemp("reranker") / "model"
    save_finetuned(out, model=model, tokenizer=AutoTokenizer.from_pretrained(str(tiny_model_dir)), config=config,
                   spec=spec, labels=None)
    return out


def test_dense_then_rerank(beir: Path, bi_encoder: Path, reranker: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    result = invoke("eval", "retrieval", "-m", bi_encoder, "-d", beir, "--rerank", reranker, "--top-k", 3,
                    "--output", out, "--failures", 2)
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert set(saved["reranked"]) == set(NAMES) and saved["top_k"] == 3
    # only the top 3 of 8 are reordered: recall@10 cannot change
    assert saved["reranked"]["recall@10"] == saved["metrics"]["recall@10"]
    assert len(saved["failures"]) == min(2, saved["failed"])
    assert all("first_relevant_rank_before_rerank" in f and len(f["retrieved"]) == 5 for f in saved["failures"])
    assert f"| {reranker} (top 3) |" in result.output


def test_faiss_flat_gives_the_exact_metrics(beir: Path, bi_encoder: Path, tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    metrics = []
    for index in ("exact", "faiss-flat"):
        out = tmp_path / f"{index}.json"
        result = invoke("eval", "retrieval", "-m", bi_encoder, "-d", beir, "--index", index, "-o", out)
        assert result.exit_code == 0, result.output
        metrics.append(json.loads(out.read_text(encoding="utf-8"))["metrics"])
    assert metrics[0] == pytest.approx(metrics[1], abs=1e-6)


def test_user_errors_are_one_line(beir: Path, tmp_path: Path, finetuned) -> None:
    fails_with(invoke("eval", "retrieval", "--model", "bm25"), "give --queries FILE --corpus FILE")
    fails_with(invoke("eval", "retrieval", "--model", tmp_path / "none", "-d", beir), f"--model {tmp_path / 'none'}: not")
    fails_with(invoke("eval", "retrieval", "--model", tmp_path, "-d", beir), f"--model {tmp_path}: not an embedding model")
    fails_with(invoke("eval", "retrieval", "-m", "bm25", "-d", beir, "--rerank", finetuned("classification")),
               f"--rerank {finetuned('classification')}: a classification model, not a reranker")
    fails_with(invoke("eval", "retrieval", "-m", "bm25", "-d", beir, "--top-k", 0), "--top-k must be at least 1")
    fails_with(invoke("eval", "retrieval", "-m", "bm25", "-d", beir, "--index", "faiss-hnsw"),
               "--index and --similarity apply to embedding models")
    bad = tmp_path / "qrels.tsv"
    bad.write_text("a1698820p0q0\tp0\t1\nnope\tp0\t1\n", encoding="utf-8")
    fails_with(invoke("eval", "retrieval", "-m", "bm25", "--queries", beir / "queries.jsonl", "--corpus",
                      beir / "corpus.jsonl", "--qrels", bad), f"{bad}:2: 1 row(s) cannot be read: line 2: query id 'nope'")
    fails_with(invoke("data", "retrieval-from-squad", JSQUAD / "jnli-valid.jsonl", "-o", tmp_path / "x"),
               f"{JSQUAD / 'jnli-valid.jsonl'}:1:")
