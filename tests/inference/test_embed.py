"""Embedding inference: jbert's vectors equal SentenceTransformer(DIR).encode (same token ids), an
existing sentence-transformers directory runs as is, and ``jbert embed`` streams one vector per row
or a reported error, in input order."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from jbert.errors import ConfigError, DataFormatError
from jbert.evaluation.model import EvalConfig, evaluate_model
from jbert.inference.embed import EmbedConfig, run_embed
from jbert.inference.embedding import encode_texts, load_embedder

st = pytest.importorskip("sentence_transformers")
DATA = Path(__file__).parent.parent / "data" / "jglue"
PROMPTS = {"query": "クエリ: ", "document": "文章: "}


def _texts() -> list[str]:
    """JSTS sentences and JSQuAD questions and contexts (long ones, with their literal [SEP])."""
    texts = [json.loads(line)["sentence1"] for line in (DATA / "jsts-valid.jsonl").read_text().splitlines()[:8]]
    for article in json.loads((DATA / "jsquad-valid.json").read_text())["data"][:2]:
        for paragraph in article["paragraphs"][:2]:
            texts += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"][:2])]
    return texts


TEXTS = _texts()


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory, tiny_model_dir) -> Path:
    """An embedding model directory as `jbert finetune embedding` writes it, with query/document prefixes."""
    import torch
    from transformers import AutoTokenizer

    from jbert.config.run import build_config
    from jbert.config.tasks import load_spec
    from jbert.heads import get_head
    from jbert.models.directory import save_finetuned

    spec = replace(load_spec("embedding"), options={"query_prefix": PROMPTS["query"],
                                                    "document_prefix": PROMPTS["document"]})
    head = get_head("embedding")(spec)
    head.attach(str(tiny_model_dir))
    head.settings.max_seq_length = 48  # short enough that the JSQuAD contexts are cut
    torch.manual_seed(0)
    model = head.model(str(tiny_model_dir))
    config = build_config(overrides=["task.name=embedding", f"model.name_or_path={tiny_model_dir}",
                                     "encoding.max_length=48"])
    out = tmp_path_factory.mktemp("embedder")
    save_finetuned(out, model=model, tokenizer=AutoTokenizer.from_pretrained(str(tiny_model_dir)), config=config,
                   spec=spec, labels=None)
    return out


@pytest.fixture(scope="module")
def st_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """A directory sentence-transformers itself wrote: CLS pooling, normalised, with prompts."""
    modules = st.sentence_transformer.modules
    from sentence_transformers.base.modules import Normalize, Transformer

    model = st.SentenceTransformer(modules=[Transformer(str(tiny_model_dir), max_seq_length=40),
                                            modules.Pooling(32, "cls"), Normalize()],
                                   prompts={"query": "query: ", "passage": "passage: "})
    out = tmp_path_factory.mktemp("st-model")
    model.save(str(out))
    return out


@pytest.mark.parametrize("as_", ["query", "document"])
def test_vectors_and_token_ids_equal_sentence_transformers(prefixed, as_):
    reference = st.SentenceTransformer(str(prefixed), device="cpu")
    expected = reference.encode(TEXTS, prompt_name=as_, batch_size=4)
    ours = encode_texts(prefixed, TEXTS, as_=as_, batch_size=3, device="cpu")
    assert ours.shape == expected.shape and np.abs(ours - expected).max() <= 1e-5
    loaded = load_embedder(prefixed, "cpu")
    for text in TEXTS:
        theirs = reference.tokenize([PROMPTS[as_] + text])["input_ids"][0].tolist()
        assert loaded.tokenizer(PROMPTS[as_] + text, truncation=True, max_length=48)["input_ids"] == theirs


def test_a_sentence_transformers_directory_runs_as_is(st_dir):
    reference = st.SentenceTransformer(str(st_dir), device="cpu")
    expected = reference.encode(TEXTS, prompt_name="passage")
    ours = encode_texts(st_dir, TEXTS, as_="document", device="cpu")
    assert np.abs(ours - expected).max() <= 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)  # its Normalize module


def test_a_plain_pre_trained_encoder_embeds_with_mean_pooling_as_sentence_transformers_does(tiny_model_dir):
    """No task files at all: mean pooling, no prompts, as SentenceTransformer(DIR) builds it (how a
    pre-trained model is scored before fine-tuning); other commands still want a fine-tuned directory."""
    from jbert.inference.loading import load_finetuned

    expected = st.SentenceTransformer(str(tiny_model_dir), device="cpu").encode(TEXTS, batch_size=4)
    ours = encode_texts(tiny_model_dir, TEXTS, batch_size=3, device="cpu")
    assert ours.shape == expected.shape and np.abs(ours - expected).max() <= 1e-5
    with pytest.raises(ConfigError, match="has no jbert_config.yaml"):
        load_finetuned(tiny_model_dir, device="cpu")


def test_sts_eval_is_the_correlation_of_cosines(prefixed, st_dir, tmp_path):
    from scipy.stats import pearsonr, spearmanr

    rows = [json.loads(line) for line in (DATA / "jsts-valid.jsonl").read_text().splitlines()]
    gold = [r["label"] for r in rows]
    for model in (prefixed, st_dir):
        reference = st.SentenceTransformer(str(model), device="cpu")
        a = reference.encode([r["sentence1"] for r in rows], prompt_name="query", normalize_embeddings=True)
        b = reference.encode([r["sentence2"] for r in rows], prompt_name="query", normalize_embeddings=True)
        cosines = (a * b).sum(axis=1)
        out = tmp_path / "p.jsonl"
        result = evaluate_model(EvalConfig(model=str(model), data=str(DATA / "jsts-valid.jsonl"), device="cpu",
                                           predictions=str(out)))
        scores = [json.loads(line)["score"] for line in out.read_text().splitlines()]
        assert result.examples == len(rows) and np.abs(np.array(scores) - cosines).max() <= 1e-5
        # the random CLS model's cosines all lie within 1e-5 of 1, where float32 rounding moves the
        # correlation itself: the figures are compared on the mean-pooled model
        if model == prefixed:
            assert result.metrics["pearson"] == pytest.approx(pearsonr(cosines, gold)[0], abs=1e-4)
            assert result.metrics["spearman"] == pytest.approx(spearmanr(cosines, gold)[0], abs=1e-4)


def test_a_prefixed_model_needs_to_be_told_which_prefix(prefixed):
    with pytest.raises(ConfigError, match="--as query or document"):
        run_embed(EmbedConfig(model=str(prefixed), inputs=["x.txt"], output="-"))
    assert encode_texts(prefixed, ["猫"], as_="none").shape == (1, 32)


def _input(tmp_path: Path) -> Path:
    lines = [json.dumps({"id": f"t{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(TEXTS[:7])]
    lines.insert(2, "{not json")
    lines.insert(5, json.dumps({"id": "bad", "text": None}))
    path = tmp_path / "texts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_embed_streams_one_vector_per_row_or_an_error(prefixed, tmp_path):
    path = _input(tmp_path)
    out = tmp_path / "v.npy"
    summary = run_embed(EmbedConfig(model=str(prefixed), inputs=[str(path)], output=str(out), as_="document",
                                    on_error="skip", chunk_size=2, batch_size=3, device="cpu"))
    assert (summary.rows_in, summary.rows_out, summary.rows_error) == (9, 7, 2)
    vectors = np.load(out)
    ids = [json.loads(line)["id"] for line in (tmp_path / "v.ids.jsonl").read_text().splitlines()]
    assert ids == [f"t{i}" for i in range(7)] and vectors.shape == (7, 32)
    assert np.abs(vectors - encode_texts(prefixed, TEXTS[:7], as_="document")).max() <= 1e-5
    errors = [json.loads(line) for line in Path(f"{out}.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["id"]) for e in errors] == [(3, None), (6, "bad")]


def test_embed_fails_at_the_first_bad_row_and_leaves_no_output(prefixed, tmp_path):
    path = _input(tmp_path)
    with pytest.raises(DataFormatError, match=r"texts.jsonl:3: invalid JSON"):
        run_embed(EmbedConfig(model=str(prefixed), inputs=[str(path)], output=str(tmp_path / "v.parquet"),
                              as_="query", device="cpu"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["texts.jsonl"]


def test_embed_normalizes_when_asked_and_reads_text_files(prefixed, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(TEXTS[:4]) + "\n", encoding="utf-8")
    out = tmp_path / "v.jsonl"
    summary = run_embed(EmbedConfig(model=str(prefixed), inputs=[str(path)], output=str(out), as_="query",
                                    normalize=True, device="cpu"))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary.rows_out == 4 and [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert np.allclose(np.linalg.norm([r["vector"] for r in rows], axis=1), 1.0, atol=1e-5)
