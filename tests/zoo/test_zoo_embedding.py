"""Embedding and reranker models in the shapes users download (``zoo_embedding``): jbert reads each
directory as sentence-transformers does and gives the vectors and scores sentence-transformers gives,
evaluates it, and fine-tunes it into a directory sentence-transformers still loads the same way.

Bi-encoders: Ruri (Tohoku v3 BERT), Ruri v3 (ModernBERT-ja), SimCSE-ja ([CLS] pooling), multilingual-e5
(XLM-R, Normalize, a "passage" prompt). Cross-encoders: Ruri reranker (BERT), a Japanese bge reranker
(XLM-R, Identity activation), Ruri v3 reranker (ModernBERT), a sentence-transformers 6 save.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _retrieval_data import reranker_rows, write_jsonl
from typer.testing import CliRunner
from zoo_embedding import BI_ENCODERS, CROSS_ENCODERS

from jbert.cli import app
from jbert.data import Example
from jbert.inference.embedding import load_embedder

st = pytest.importorskip("sentence_transformers")
JSTS = Path(__file__).resolve().parents[1] / "data" / "jglue" / "jsts-valid.jsonl"
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--max-length", "64", "--learning-rate", "1e-6",
         "--set", "training.progress_bar=false"]
# a few JSTS sentences and one text longer than every model's limit but Ruri v3's 8192 (SimCSE-ja's 64 cuts it)
TEXTS = [json.loads(line)["sentence1"] for line in JSTS.read_text(encoding="utf-8").splitlines()[:4]]
TEXTS.append("東京タワーは東京都港区芝公園にある電波塔である。" * 40)


def run(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``built("ruri")`` -> that shape's directory, written once per module."""
    dirs: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in dirs:
            dirs[name] = tmp_path_factory.mktemp(f"hub-{name}")
            {**BI_ENCODERS, **CROSS_ENCODERS}[name].build(dirs[name])
        return dirs[name]

    return get


def _embed(model: Path, tmp_path: Path, role: str) -> np.ndarray:
    texts = tmp_path / "texts.jsonl"
    write_jsonl(texts, [{"text": t} for t in TEXTS])
    result = run("embed", "--model", model, texts, "--output", tmp_path / f"{role}.npy", "--as", role)
    assert f"rows in: {len(TEXTS)}, rows out: {len(TEXTS)}, rows in error: 0" in result.output
    return np.load(tmp_path / f"{role}.npy")


def _same_as_sentence_transformers(model: Path, shape, tmp_path: Path) -> None:
    reference = st.SentenceTransformer(str(model), device="cpu")
    for role in ("query", "document"):
        expected = reference.encode(TEXTS, prompt_name=shape.prompt_name(role))
        assert np.abs(_embed(model, tmp_path, role) - expected).max() <= 1e-5, role


@pytest.mark.parametrize("name", BI_ENCODERS)
def test_embed_gives_sentence_transformers_vectors_and_ids(name: str, built, tmp_path: Path) -> None:
    shape, model = BI_ENCODERS[name], built(name)
    _same_as_sentence_transformers(model, shape, tmp_path)
    reference = st.SentenceTransformer(str(model), device="cpu")
    loaded = load_embedder(model)
    assert loaded.options.max_length == shape.max_seq_length == reference.max_seq_length
    for role in ("query", "document"):
        loaded.head.embed_as = role
        examples = [Example(id=str(i), line=i + 1, text=t) for i, t in enumerate(TEXTS)]
        ours = [f["input_ids"][0] for f in loaded.head.encode(examples, loaded.tokenizer, loaded.options)]
        prompt = shape.prompts.get(shape.prompt_name(role) or "", "")
        batch = reference.preprocess([prompt + t for t in TEXTS])
        theirs = [[i for i, m in zip(ids, mask, strict=True) if m] for ids, mask in
                  zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist(), strict=True)]
        assert ours == theirs, role
    if shape.normalize:
        assert np.allclose(np.linalg.norm(_embed(model, tmp_path, "query"), axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", BI_ENCODERS)
def test_sts_eval_scores_sentence_transformers_cosines(name: str, built, tmp_path: Path) -> None:
    """jbert eval on JSTS: each pair's two vectors are sentence-transformers' (both sentences with the query
    prompt: similarity of two sentences is symmetric), its score their cosine, the metric over the scores."""
    from scipy.stats import spearmanr

    shape, model = BI_ENCODERS[name], built(name)
    run("eval", "--model", model, "--data", JSTS, "--output", tmp_path / "m.json", "--predictions", tmp_path / "p.jsonl")
    metrics = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["metrics"]
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    reference = st.SentenceTransformer(str(model), device="cpu")
    a, b = (reference.encode([r[k] for r in rows], prompt_name=shape.prompt_name("query"))
            for k in ("sentence1", "sentence2"))
    assert np.abs(np.array([r["vector"] for r in rows]) - np.stack([a, b], axis=1)).max() <= 1e-5
    cosines = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose([r["score"] for r in rows], cosines, atol=1e-5)
    scores, gold = [r["score"] for r in rows], [r["gold"] for r in rows]
    assert metrics["spearman"] == pytest.approx(spearmanr(scores, gold)[0])


def _triplets(n: int = 9) -> list[dict]:
    rows = [json.loads(line) for line in JSTS.read_text(encoding="utf-8").splitlines()[:n]]
    return [{"anchor": a["sentence1"], "positive": a["sentence2"], "negative": b["sentence2"]}
            for a, b in zip(rows, rows[1:], strict=False)]


def _weights(model: Path) -> dict[str, np.ndarray]:
    """The saved tensors by name; LayerNorm's legacy gamma/beta names read as weight/bias (transformers
    5.0.0 saves them under the legacy names, later versions under the new ones; both load alike)."""
    from safetensors.numpy import load_file

    legacy = {".gamma": ".weight", ".beta": ".bias"}
    return {next((k[: -len(old)] + new for old, new in legacy.items() if k.endswith(old)), k): v
            for k, v in load_file(str(model / "model.safetensors")).items()}


@pytest.mark.parametrize("name", BI_ENCODERS)
def test_finetune_continues_and_keeps_the_module_files(name: str, built, tmp_path: Path) -> None:
    shape, model = BI_ENCODERS[name], built(name)
    out = tmp_path / "out"
    run("finetune", "embedding", "--model", model, "--train", write_jsonl(tmp_path / "t.jsonl", _triplets()),
        "--output", out, *QUICK)
    written = json.loads((out / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert written["prompts"] == shape.prompts  # under their own names ("passage" stays "passage")
    pooling = [json.loads((d / "1_Pooling" / "config.json").read_text(encoding="utf-8")) for d in (model, out)]
    modes = [{k for k, v in c.items() if k.startswith("pooling_mode_") and v is True} for c in pooling]
    assert modes[0] == modes[1] and len(modes[0]) == 1
    modules = [[m["type"].rsplit(".", 1)[-1] for m in json.loads((d / "modules.json").read_text())] for d in (model, out)]
    assert modules[0] == modules[1]
    before, after = _weights(model), _weights(out)
    assert set(after) <= set(before)  # the same architecture, loaded and saved without a head of its own
    assert max(float(np.abs(after[k] - before[k]).max()) for k in after) < 1e-3  # continued, not re-initialised
    _same_as_sentence_transformers(out, shape, tmp_path)


# --- cross-encoders ------------------------------------------------------------------------------------

QUERIES = {"q1": "オランダの首都は？", "q2": "東京タワーの高さは？", "q3": "猫は何を食べる？"}
DOCS = {"d1": "オランダの首都はアムステルダムである。", "d2": "東京タワーの高さは333メートルである。",
        "d3": "猫は魚や肉を食べる。", "d4": "東京タワーは東京都港区芝公園にある電波塔である。" * 40}


def _retrieval_set(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    write_jsonl(folder / "corpus.jsonl", [{"_id": d, "title": "", "text": t} for d, t in DOCS.items()])
    write_jsonl(folder / "queries.jsonl", [{"_id": q, "text": t} for q, t in QUERIES.items()])

    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n",
                                               encoding="utf-8")
    return folder


def _cross_encoder(model: Path, **kwargs) -> object:
    """CrossEncoder(model) fed the token types the model was trained with. transformers 5's
    BertJapaneseTokenizer no longer lists token_type_ids in its model_input_names (the v5 default lost
    them, as huggingface/transformers#48128 reports for other tokenizers), so a plain CrossEncoder of a
    downloaded Tohoku-BERT reranker puts the document in segment 0; jbert keeps the segments (and the
    directories it writes name them, which CrossEncoder follows)."""
    from transformers import AutoConfig

    cross_encoder = st.CrossEncoder(str(model), device="cpu", **kwargs)
    if AutoConfig.from_pretrained(str(model)).model_type == "bert":
        cross_encoder.tokenizer.model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    return cross_encoder


@pytest.mark.parametrize("name", CROSS_ENCODERS)
def test_rerank_scores_equal_cross_encoder(name: str, built, tmp_path: Path) -> None:
    shape, model = CROSS_ENCODERS[name], built(name)
    data = _retrieval_set(tmp_path / "beir")
    run("eval", "retrieval", "--model", "bm25", "--data", data, "--rerank", model, "--top-k", len(DOCS),
        "--output", tmp_path / "m.json")
    records = [json.loads(line) for line in (tmp_path / "m.queries.jsonl").read_text(encoding="utf-8").splitlines()]
    ours = {(r["id"], d["id"]): d["score"] for r in records for d in r["retrieved"]}
    assert len(ours) == len(QUERIES) * len(DOCS)  # every pair scored by the reranker
    pairs = sorted(ours)
    theirs = _cross_encoder(model).predict([(QUERIES[q], DOCS[d]) for q, d in pairs])
    np.testing.assert_allclose([ours[p] for p in pairs], theirs, atol=1e-5)
    assert np.ptp(theirs) > 1e-3  # distinct scores: a pair scored against the wrong document would show
    assert shape.logits == bool((np.asarray(theirs) < 0).any() or (np.asarray(theirs) > 1).any())


@pytest.mark.parametrize("name", ["ruri-reranker", "bge-reranker-ja", "reranker-st6"])
def test_finetune_reranker_continues_from_a_cross_encoder(name: str, built, tmp_path: Path) -> None:
    shape, model = CROSS_ENCODERS[name], built(name)
    train = write_jsonl(tmp_path / "train.jsonl", reranker_rows("train", limit=4))
    out = tmp_path / "out"
    run("finetune", "reranker", "--model", model, "--train", train, "--output", out, *QUICK)
    before, after = _weights(model), _weights(out)
    assert set(after) == set(before)  # the classifier kept, not re-initialised ...
    assert max(float(np.abs(after[k] - before[k]).max()) for k in after) < 1e-3  # ... nor the encoder
    run("predict", "--model", out, train, "--output", tmp_path / "s.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    theirs = _cross_encoder(out, max_length=64).predict([(r["query"], r["document"]) for r in rows])
    np.testing.assert_allclose([r["score"] for r in rows], theirs, atol=1e-5)
    assert shape.logits == (json.loads((out / "config.json").read_text())["sentence_transformers"]["activation_fn"]
                            == "torch.nn.modules.linear.Identity")  # the source's activation kept
