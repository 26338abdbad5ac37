"""`jbert pretrain` and `jbert model fill-mask` end to end on the tiny model and a slice of the sample corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from jbert.cli import app
from jbert.pretraining.run import PRETRAIN_FILE

REPO = Path(__file__).resolve().parents[2]
JGLUE = REPO / "tests" / "data" / "jglue"
runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [*map(str, args)])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    lines = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[:600]
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pretrain_args(corpus, model, out, *extra):
    return ["pretrain", corpus, "--model", model, "--output", out, "--batch-size", "8", "--max-length", "64",
            "--lr", "2e-3", "--seed", "3", "--set", "training.progress_bar=false",
            "--set", f"corpus.cache_dir={Path(out).parent / 'cache'}", *extra]


@pytest.fixture(scope="module")
def pretrained(corpus, tiny_model_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pretrained") / "out"
    result = cli(*pretrain_args(corpus, tiny_model_dir, out, "--max-steps", "40", "--eval-steps", "10",
                                "--valid", "0.1"))
    assert result.exit_code == 0, result.output
    assert f"pre-trained model written to {out}" in result.output and "perplexity" in result.output
    return out


@pytest.mark.slow
def test_held_out_loss_decreases(pretrained):
    history = json.loads((pretrained / "metrics.json").read_text())["history"]
    assert [h["step"] for h in history] == [10, 20, 30, 40]
    assert history[-1]["mlm_loss"] < history[0]["mlm_loss"] - 0.3
    assert all(h["perplexity"] == pytest.approx(2.718281828 ** h["mlm_loss"], rel=1e-6) for h in history)
    assert all(0 <= h["accuracy"] <= 1 for h in history)


@pytest.mark.slow
def test_output_is_a_plain_masked_lm_directory(pretrained, tmp_path):
    from transformers import AutoModelForMaskedLM, pipeline

    assert (pretrained / PRETRAIN_FILE).is_file()
    assert AutoModelForMaskedLM.from_pretrained(pretrained).config.vocab_size > 0
    fill = pipeline("fill-mask", model=str(pretrained))  # plain transformers: BertJapaneseTokenizer
    assert len(fill("東北大学で[MASK]の研究をしています。", top_k=3)) == 3
    # and fine-tuning starts from it
    out = tmp_path / "jsts"
    result = cli("finetune", "jsts", "--model", pretrained, "--output", out, "--train", JGLUE / "jsts-train.jsonl",
                 "--max-steps", "1", "--batch-size", "4", "--set", "training.progress_bar=false")
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_fill_mask_cli(pretrained):
    result = cli("model", "fill-mask", "--model", pretrained, "東北大学で[MASK]の研究をしています。", "--top-k", "4")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(rows) == 4 and all("東北大学で" in r and "の研究をしています。" in r for r in rows)
    scores = [float(r.split()[0]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_fill_mask_needs_a_mask(tiny_model_dir):
    result = cli("model", "fill-mask", "--model", tiny_model_dir, "マスクのない文。")
    assert result.exit_code == 1 and "the text has no [MASK] to fill" in result.output


@pytest.mark.slow
def test_resume_after_a_kill_gives_the_same_weights_and_a_seed_repeats(corpus, tiny_model_dir, tmp_path):
    """Run A saves at steps 4 and 8. B is A's directory as a kill right after step 4 leaves it;
    B --resume must end with A's weights. C is A again from scratch: the seed alone fixes the run."""
    steps = ("--max-steps", "8", "--eval-steps", "4", "--valid", "0.1")
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert cli(*pretrain_args(corpus, tiny_model_dir, a, *steps)).exit_code == 0
    shutil.copytree(a / "checkpoints" / "checkpoint-4", b / "checkpoints" / "checkpoint-4")
    assert cli(*pretrain_args(corpus, tiny_model_dir, b, *steps)).exit_code == 1  # no --resume: refused
    result = cli(*pretrain_args(corpus, tiny_model_dir, b, *steps, "--resume"))
    assert result.exit_code == 0, result.output
    assert cli(*pretrain_args(corpus, tiny_model_dir, c, *steps)).exit_code == 0
    wa, wb, wc = (load_file(d / "model.safetensors") for d in (a, b, c))
    init = {f"bert.{k}": v for k, v in load_file(tiny_model_dir / "model.safetensors").items()}  # BertModel keys
    assert sum(k in wa for k in init) > 10, "weight names did not line up: the check below would be empty"
    assert any(not torch.equal(wa[k], v) for k, v in init.items() if k in wa), "training changed nothing"
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert all(torch.equal(wa[k], wc[k]) for k in wa)


@pytest.mark.parametrize("args, message", [
    (["--valid", "1.5"], "--valid: a fraction must be in [0, 1), got 1.5"),
    (["--masking", "span"], "mlm.masking must be one of whole-word, token, got 'span'"),
    (["--mlm-probability", "0"], "mlm.probability must be in (0, 1), got 0.0"),
])
def test_bad_options(corpus, tiny_model_dir, tmp_path, args, message):
    result = cli(*pretrain_args(corpus, tiny_model_dir, tmp_path / "o", *args))
    assert result.exit_code == 1 and message in result.output


def test_bad_corpus_line_is_reported_with_file_and_line(tiny_model_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "良い文。"}\n{"body": "x"}\n', encoding="utf-8")
    result = cli(*pretrain_args(bad, tiny_model_dir, tmp_path / "o", "--field", "text"))
    assert result.exit_code == 1
    assert f"{bad}:2: no key 'text' in this object (keys: body) (check --field)" in result.output
    assert not (tmp_path / "o" / PRETRAIN_FILE).exists()


def test_missing_model_and_corpus_file(corpus, tiny_model_dir, tmp_path):
    result = cli("pretrain", corpus, "--output", tmp_path / "o")
    assert result.exit_code == 1 and "missing --model" in result.output
    result = cli("pretrain", tmp_path / "nope.txt", "--model", tiny_model_dir, "--output", tmp_path / "o")
    assert result.exit_code == 1 and "nope.txt: corpus file not found" in result.output


def test_report_to_tensorboard_logs_the_masked_lm_run(corpus, tiny_model_dir, tmp_path):
    """`--report-to` reaches pre-training through the shared core: TensorBoard event files, offline."""
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "out"
    result = cli(*pretrain_args(corpus, tiny_model_dir, out, "--max-steps", "2", "--eval-steps", "2",
                                "--valid", "0.1", "--report-to", "tensorboard", "--set", "training.logging_steps=1"))
    assert result.exit_code == 0, result.output
    events = list((out / "checkpoints" / "runs").glob("*/events.out.tfevents.*"))
    assert events, f"no event file under {out / 'checkpoints' / 'runs'}"
    scalars = set(EventAccumulator(str(events[0].parent)).Reload().Tags()["scalars"])
    assert {"train/loss", "eval/mlm_loss", "eval/perplexity"} <= scalars
