"""Model cards (README.md) of fine-tuned, pre-trained and exported directories: Hugging Face metadata that
huggingface_hub reads back, the validation scores in model-index, and a loading snippet that runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from _finetuned import finetuned  # noqa: F401,F811 (fixture)
from huggingface_hub import ModelCard
from typer.testing import CliRunner

from jbert.cli import app
from jbert.models.card import Card, render

DATA = Path(__file__).parent.parent / "data"
JGLUE = DATA / "jglue"
REPO = Path(__file__).parents[2]
runner = CliRunner()
QUICK = ["--max-steps", "2", "--batch-size", "4", "--max-length", "32", "--set", "training.progress_bar=false"]
KEYS = {"language", "license", "library_name", "metrics", "model-index", "pipeline_tag"}


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, text[:200]
    return yaml.safe_load(match.group(1))


def snippet(path: Path) -> str:
    return re.search(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S).group(1)


@pytest.fixture(scope="module")
def licensed_base(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model with a card of its own naming its licence, as a Hub model's directory has."""
    base = tmp_path_factory.mktemp("base") / "base"
    shutil.copytree(tiny_model_dir, base)
    (base / "README.md").write_text("---\nlicense: cc-by-sa-4.0\nlanguage: ja\n---\n# base\n", encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def finetuned_jsts(licensed_base, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("card") / "jsts"
    result = runner.invoke(app, ["finetune", "jsts", "--model", str(licensed_base), "--output", str(out),
                                 "--train", str(JGLUE / "jsts-train.jsonl"), "--valid", str(JGLUE / "jsts-valid.jsonl"),
                                 *QUICK])
    assert result.exit_code == 0, result.output
    return out


def test_finetune_writes_a_card_the_hub_reads(finetuned_jsts):
    meta = front_matter(finetuned_jsts / "README.md")
    assert KEYS <= set(meta)
    assert meta["language"] == "ja" and meta["library_name"] == "transformers"
    assert meta["license"] == "cc-by-sa-4.0"  # the base model's own card
    assert meta["pipeline_tag"] == "text-classification" and meta["metrics"] == ["pearsonr", "spearmanr"]
    card = ModelCard.load(finetuned_jsts / "README.md")
    final = json.loads((finetuned_jsts / "metrics.json").read_text(encoding="utf-8"))["final"]
    results = {r.metric_name: r.metric_value for r in card.data.eval_results}
    assert results == {"pearson": pytest.approx(final["pearson"], abs=1e-6),
                       "spearman": pytest.approx(final["spearman"], abs=1e-6)}
    assert {r.dataset_split for r in card.data.eval_results} == {"validation"}
    text = card.text
    assert "## Training configuration" in text and "| learning_rate | 5e-05 |" in text
    assert "Scored on 32 rows of" in text and "jsts-train.jsonl" in text


def test_the_cards_loading_snippet_runs_in_plain_transformers(finetuned_jsts, capsys):
    code = snippet(finetuned_jsts / "README.md")
    assert "AutoModelForSequenceClassification" in code and "import jbert" not in code
    exec(compile(code, "README.md", "exec"), {})
    assert "tensor(" in capsys.readouterr().out


def test_a_hub_base_on_the_official_jglue_split_names_model_and_dataset():
    card = Card(name="jsts", path="runs/jsts", head="pair-regression", task="jsts",
                base_model="cl-tohoku/bert-base-japanese-v3", files={"train": "JGLUE/datasets"},
                metrics={"loss": 0.5, "pearson": 0.9, "spearman": 0.88, "epoch": 4.0}, valid_rows=1457, jglue=True)
    path_text = render(card)
    meta = yaml.safe_load(path_text.split("---\n")[1])
    assert meta["base_model"] == "cl-tohoku/bert-base-japanese-v3"
    assert meta["datasets"] == ["shunk031/JGLUE"]
    (result,) = meta["model-index"][0]["results"]
    assert result["dataset"] == {"name": "JGLUE JSTS", "type": "shunk031/JGLUE", "config": "JSTS",
                                 "split": "validation"}
    assert [m["name"] for m in result["metrics"]] == ["pearson", "spearman"]  # no loss, no epoch
    assert "Scored on 1457 rows of the official JGLUE JSTS validation split" in path_text


def test_a_card_without_a_known_licence_says_so():
    card = Card(name="ner", path="runs/ner", head="token", task="ner", base_model=None,
                files={"train": "train.conll"}, metrics={}, valid_rows=None)
    text = render(card)
    assert "No licence is recorded" in text and "No held-out set was scored." in text
    assert yaml.safe_load(text.split("---\n")[1])["pipeline_tag"] == "token-classification"


def test_pretrain_writes_a_fill_mask_card(tiny_model_dir, tmp_path):
    corpus = tmp_path / "corpus.txt"
    lines = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[:200]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "pretrained"
    result = runner.invoke(app, ["pretrain", str(corpus), "--model", str(tiny_model_dir), "--output", str(out),
                                 "--valid", "0.1", "--set", f"corpus.cache_dir={tmp_path / 'cache'}", *QUICK])
    assert result.exit_code == 0, result.output
    meta = front_matter(out / "README.md")
    assert meta["pipeline_tag"] == "fill-mask" and meta["library_name"] == "transformers"
    names = {m["name"] for m in meta["model-index"][0]["results"][0]["metrics"]}
    assert names == {"mlm_loss", "perplexity", "accuracy"}
    assert 'pipeline("fill-mask"' in snippet(out / "README.md")
    ModelCard.load(out / "README.md")


def test_onnx_export_card_names_onnx_and_its_agreement(finetuned, tmp_path):  # noqa: F811
    pytest.importorskip("onnxruntime")
    out = tmp_path / "int8"
    result = runner.invoke(app, ["export", "--model", str(finetuned("classification")), "--output", str(out),
                                 "--data", str(DATA / "marc_ja" / "valid.jsonl"), "--min-agreement", "0",
                                 "--quantize", "int8"])
    assert result.exit_code == 0, result.output
    meta = front_matter(out / "README.md")
    assert meta["library_name"] == "onnx" and meta["pipeline_tag"] == "text-classification"
    text = (out / "README.md").read_text(encoding="utf-8")
    assert "label agreement" in text and "model.int8.onnx" in text
    code = snippet(out / "README.md")
    assert "onnxruntime" in code
    exec(compile(code, "README.md", "exec"), {})
