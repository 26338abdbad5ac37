"""Continued (domain-adaptive) pre-training of every zoo family, as a user with a hub model runs it:
``jbert pretrain`` (a few steps on lines of the sample corpus) on the hub-like directory, then the
output loaded by plain ``AutoModelForMaskedLM`` + ``AutoTokenizer`` (the same ids as jbert's tokenizer
and the pre-training one; chiTra through ``Family.plain``, as plain transformers cannot load it), the
held-out metrics finite, and rinna's positions from 0 kept for finetune and fill-mask. Models that
cannot pre-train fail first with a one-line reason.

Every family runs by default: a pre-training run of 2 steps is about a second of CPU here.
"""

from __future__ import annotations

import io
import json
import logging
import math
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner
from zoo_cases import run_jbert
from zoo_families import FAMILIES
from zoo_hub import TESTS

from jbert.cli import app
from jbert.pretraining.sparse_head import SPARSE_HEADS

# SentencePiece over unspaced Japanese: the fast tokenizer's word_ids() make a whole line one "word", so
# whole-word masking takes MeCab's words over the tokens' offsets (as for a character tokenizer)
UNSPACED = {"roberta-spm", "deberta-v2", "xlm-roberta", "modernbert", "rinna-roberta"}
MECAB_WORDS = UNSPACED | {"bert-char-v3"}
TEXTS = ["東北大学で自然言語処理の研究をしています。", "ＡＢＣ社の株価は１２３円でした", "吾輩は猫である。名前はまだ無い。"]
runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    lines = (TESTS.parent / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[:120]
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pretrain(corpus: Path, model: Path, out: Path, *extra: str):
    args = ["pretrain", corpus, "--model", model, "--output", out, "--max-steps", "2", "--eval-steps", "2",
            "--valid", "0.2", "--batch-size", "4", "--max-length", "64", "--seed", "1",
            "--set", "training.progress_bar=false", "--set", f"corpus.cache_dir={out.parent / 'cache'}", *extra]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def pretrained(hub_dir, corpus, tmp_path_factory):
    """``pretrained("rinna-roberta")`` -> that family's pre-trained output directory and the warnings
    jbert logged on the way (once per module)."""
    done: dict[str, tuple[Path, str]] = {}

    def get(family: str) -> tuple[Path, str]:
        if family not in done:
            out = tmp_path_factory.mktemp(f"pretrained-{family}") / "out"
            warnings, handler = io.StringIO(), logging.StreamHandler()
            handler.setStream(warnings)
            handler.setLevel(logging.WARNING)
            logging.getLogger("jbert").addHandler(handler)
            try:
                result = pretrain(corpus, hub_dir(family), out, "--masking", "whole-word")
            finally:
                logging.getLogger("jbert").removeHandler(handler)
            assert result.exit_code == 0, result.output
            done[family] = out, warnings.getvalue()
        return done[family]

    return get


@pytest.mark.parametrize("family", list(FAMILIES))
def test_pretrained_output_loads_in_plain_transformers(family, hub_dir, pretrained):
    from transformers import AutoConfig, AutoModelForMaskedLM, AutoTokenizer

    from jbert.tokenization import load_tokenizer

    hub, (out, warnings) = hub_dir(family), pretrained(family)
    assert ("whole-word masking would mask" in warnings) is False, warnings  # no word is a whole line
    assert ("has no trained masked-LM head" in warnings) == (family == "electra"), warnings  # a discriminator
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["final"]
    assert {"mlm_loss", "perplexity", "accuracy"} <= set(metrics)
    assert all(math.isfinite(v) for v in metrics.values()), metrics
    model = AutoModelForMaskedLM.from_pretrained(out)
    assert model.config.model_type == AutoConfig.from_pretrained(hub).model_type
    assert type(model).__name__ in SPARSE_HEADS  # trained with the masked-positions-only head
    from_zero = FAMILIES[family].positions_from_zero  # recorded for finetune/eval/predict on the output
    assert (getattr(model.config, "jbert_position_ids", None) == "from_zero") == from_zero
    saved = yaml.safe_load((out / "jbert_pretrain.yaml").read_text(encoding="utf-8"))
    assert saved["model"]["position_ids"] == ("from_zero" if from_zero else "default")
    assert saved["corpus_stats"]["words"] == ("mecab" if family in MECAB_WORDS else "tokenizer")

    plain_class = FAMILIES[family].plain
    plain = AutoTokenizer.from_pretrained(out) if plain_class is None else plain_class(out)
    jbert, reference = load_tokenizer(out), FAMILIES[family].reference(hub)
    for text in TEXTS:
        expected = reference(text, None, truncation=True, max_length=64)["input_ids"]
        assert jbert(text, truncation=True, max_length=64)["input_ids"] == expected, text
        assert plain(text, truncation=True, max_length=64)["input_ids"] == expected, text
    words = {w for w in jbert(TEXTS[0], add_special_tokens=False).word_ids() if w is not None}
    assert (len(words) == 1) == (family in UNSPACED), "UNSPACED no longer matches what the tokenizer gives"


def test_whole_word_masking_on_unspaced_sentencepiece_masks_mecab_words(hub_dir, corpus, tmp_path):
    """The words masked together are MeCab's, laid over the pieces: a few pieces each, never a line."""
    import datasets

    from jbert.pretraining.words import mecab_word_starts

    out = tmp_path / "out"
    result = pretrain(corpus, hub_dir("deberta-v2"), out, "--masking", "whole-word")
    assert result.exit_code == 0, result.output
    tables = sorted((out.parent / "cache").rglob("*.arrow"))
    starts = [s for t in tables for row in datasets.Dataset.from_file(str(t)).to_dict().get("word_starts", [])
              for s in row]
    assert starts and sum(s >= 0 for s in starts) / starts.count(1) < 3
    text = "東北大学で自然言語処理の研究をしています。"
    offsets = [(i, i + 1) for i in range(len(text))]  # one character a token: MeCab's words come back
    words = "東北/大学/で/自然/言語/処理/の/研究/を/し/て/い/ます/。".split("/")
    assert mecab_word_starts(text, offsets) == [int(k == 0) for w in words for k in range(len(w))]


def test_max_length_is_clamped_to_the_position_table(hub_dir, corpus, tmp_path, caplog):
    """nlp-waseda/roberta-base-japanese: 512 positions, pad id 0 -> 511 tokens, not an index error mid-run."""
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="jbert.models.inputs"):
        result = pretrain(corpus, hub_dir("roberta-spm"), out, "--masking", "token", "--max-length", "1024")
    assert result.exit_code == 0, result.output
    assert "--max-length 1024 is longer" in caplog.text and "using 511" in caplog.text
    saved = yaml.safe_load((out / "jbert_pretrain.yaml").read_text(encoding="utf-8"))
    assert saved["encoding"]["max_length"] == saved["corpus_stats"]["max_length"] == 511


def test_finetune_starts_from_the_output_and_keeps_positions_from_zero(pretrained, tmp_path):
    from jbert.models.directory import CONFIG_FILE

    run = run_jbert(pretrained("rinna-roberta")[0], "pair-classification", tmp_path)
    assert run.result.metrics and all(math.isfinite(v) for v in run.result.metrics.values())
    saved = yaml.safe_load((run.model / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["model"]["position_ids"] == "from_zero"


def test_fill_mask_scores_with_positions_from_zero(pretrained):
    """`jbert model fill-mask` on rinna's shape: the model card's call (position_ids = arange), which
    transformers' fill-mask pipeline cannot make."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from jbert import api

    out, text = pretrained("rinna-roberta")[0], "東京は日本の[MASK]です。"
    fillers = api.fill_mask(out, text, top_k=3)
    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModelForMaskedLM.from_pretrained(out).eval()
    enc = tokenizer(text, return_tensors="pt")
    at = int((enc["input_ids"][0] == tokenizer.mask_token_id).nonzero())
    with torch.inference_mode():
        card = model(**enc, position_ids=torch.arange(enc["input_ids"].shape[1])[None]).logits[0, at]
        default = model(**enc).logits[0, at]
    scores, ids = card.softmax(-1).topk(3)
    assert [f.token for f in fillers[0]] == [tokenizer.decode([i]) for i in ids.tolist()]
    assert [f.score for f in fillers[0]] == pytest.approx(scores.tolist(), rel=1e-4)
    # transformers' own positions (what the pipeline would use) score otherwise: the check bites
    assert default.softmax(-1)[ids].tolist() != pytest.approx(scores.tolist(), rel=1e-4)
    assert all(f.sequence.startswith("東京は日本の") for f in fillers[0])


@pytest.mark.parametrize("family", ["bert-v3", "xlm-roberta"])
def test_fill_mask_agrees_with_the_pipeline_where_positions_are_transformers_own(family, pretrained):
    from transformers import AutoTokenizer, pipeline

    from jbert import api

    out = pretrained(family)[0]
    mask = AutoTokenizer.from_pretrained(out).mask_token
    text = f"東北大学で{mask}の研究をしています。"
    expected = pipeline("fill-mask", model=str(out), device="cpu")(text, top_k=4)
    got = api.fill_mask(out, text, top_k=4)[0]
    assert [f.token for f in got] == [r["token_str"] for r in expected]
    assert [f.score for f in got] == pytest.approx([r["score"] for r in expected], rel=1e-5)


def _no_mask_token(hub: Path) -> None:
    config = json.loads((hub / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("mask_token")
    (hub / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")


def _decoder_only(hub: Path) -> None:
    """rinna/japanese-gpt2-small's shape: rinna's T5Tokenizer files, a GPT-2 model (no masked-LM head)."""
    (hub / "model.safetensors").unlink()
    (hub / "config.json").write_text(json.dumps({
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 32, "n_layer": 2, "n_head": 2,
        "vocab_size": 400, "bos_token_id": 1, "eos_token_id": 2}), encoding="utf-8")


@pytest.mark.parametrize(("family", "change", "message"), [
    ("modernbert", _no_mask_token, "has no mask token: it cannot pre-train a masked LM"),
    ("rinna-roberta", _decoder_only, "is a gpt2 model, which has no masked-LM head in transformers"),
], ids=["no-mask-token", "no-mlm-head"])
def test_models_that_cannot_pretrain_say_why_in_one_line(family, change, message, hub_dir, corpus, tmp_path):
    hub = tmp_path / "hub"
    shutil.copytree(hub_dir(family), hub)
    change(hub)
    result = pretrain(corpus, hub, tmp_path / "out")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and str(hub) in errors[0], result.output
    assert not (tmp_path / "out" / "jbert_pretrain.yaml").exists()
