"""`jbert tokenizer doctor` through typer's CliRunner: text and JSON reports, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app
from jbert.tokenization.dictchoice import DictionaryChoiceWarning

sys.path.insert(0, str(Path(__file__).parents[1] / "tokenization"))
from _zoo_dirs import tohoku_dir  # noqa: E402

pytest.importorskip("ipadic")
runner = CliRunner()


@pytest.fixture(scope="module")
def v1_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tohoku_dir(tmp_path_factory.mktemp("doctor") / "v1", "ipadic", silent=True)


def test_text_report_gives_the_verdict_and_figures(v1_dir: Path) -> None:
    result = runner.invoke(app, ["tokenizer", "doctor", str(v1_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{v1_dir} (BertJapaneseTokenizer)"
    assert any(line.startswith("  WARN  dictionary: config names no dictionary") and "jbert uses ipadic" in line
               for line in lines)
    assert any(line.strip().startswith("ipadic") and "vocabulary kept" in line for line in lines)
    assert any("unidic       not installed (pip install unidic)" in line for line in lines) or \
        any(line.strip().startswith("unidic ") and "whole" in line for line in lines)


def test_json_report(v1_dir: Path) -> None:
    result = runner.invoke(app, ["tokenizer", "doctor", str(v1_dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    dictionary = next(f for f in report["findings"] if f["check"] == "dictionary")
    assert report["ok"] and dictionary["details"]["chosen"] == "ipadic"
    scores = {s["dictionary"]: s for s in dictionary["details"]["probe"]["scores"]}
    assert scores["ipadic"]["kept"] > scores["unidic_lite"]["kept"]


def test_exit_2_when_the_model_cannot_be_tokenized_as_trained(v1_dir: Path, tmp_path: Path) -> None:
    from jbert.tokenization import load_tokenizer

    with pytest.warns(UserWarning):
        load_tokenizer(v1_dir).save_pretrained(tmp_path)
    record = json.loads((tmp_path / "jbert_tokenizer.json").read_text(encoding="utf-8"))
    (tmp_path / "jbert_tokenizer.json").write_text(json.dumps({**record, "dictionary": "unidic"}), encoding="utf-8")
    result = runner.invoke(app, ["tokenizer", "doctor", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "  FAIL  fingerprint: installed analyser differs from the recorded one: dictionary: 'unidic' -> 'ipadic'" \
        in result.output


def test_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tokenizer", "doctor", str(tmp_path / "nope")])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "nope" in line


@pytest.mark.parametrize("target", ["file", "hub"])
def test_file_or_uncached_hub_name_is_a_one_line_error(v1_dir: Path, target: str) -> None:
    name = str(v1_dir / "vocab.txt") if target == "file" else "cl-tohoku/not-cached-anywhere"
    result = runner.invoke(app, ["tokenizer", "doctor", name])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line == (f"error: {name}: expected a tokenizer or model directory, got a file" if target == "file" else
                    f"error: {name}: not a directory, and not in the local hub cache (download it first, e.g. "
                    "with `huggingface-cli download`, or give the model directory)")


@pytest.mark.slow
def test_finetuned_v1_model_records_ipadic_for_plain_transformers(v1_dir: Path, tmp_path: Path) -> None:
    """finetune a Tohoku-v1-like model: the output names ipadic, and AutoTokenizer gives jbert's ids."""
    import shutil

    import torch
    from transformers import AutoTokenizer, BertConfig, BertJapaneseTokenizer, BertModel

    from jbert.tokenization import load_tokenizer

    model_dir = tmp_path / "v1-model"
    shutil.copytree(v1_dir, model_dir)
    vocab_size = len((v1_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(model_dir)
    jglue = Path(__file__).parents[1] / "data" / "jglue"
    out = tmp_path / "out"
    with pytest.warns(DictionaryChoiceWarning, match="jbert uses ipadic"):
        result = runner.invoke(app, ["finetune", "jsts", "--model", str(model_dir), "--output", str(out),
                                     "--train", str(jglue / "jsts-train.jsonl"),
                                     "--valid", str(jglue / "jsts-valid.jsonl"), "--max-steps", "1",
                                     "--batch-size", "4", "--max-length", "64", "--set", "training.progress_bar=false"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))["mecab_kwargs"] == {
        "mecab_dic": "ipadic"}
    import yaml

    recorded = yaml.safe_load((out / "jbert_config.yaml").read_text(encoding="utf-8"))["tokenizer"]
    assert recorded["dictionary"] == "ipadic"  # the fingerprint saved with the model says what was used
    rows = [json.loads(line) for line in (jglue / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()]
    first, second = [r["sentence1"] for r in rows], [r["sentence2"] for r in rows]
    plain = AutoTokenizer.from_pretrained(out)(first, second)["input_ids"]
    assert plain == load_tokenizer(out)(first, second)["input_ids"]
    ipadic = BertJapaneseTokenizer.from_pretrained(v1_dir, mecab_kwargs={"mecab_dic": "ipadic"})
    assert plain == ipadic(first, second)["input_ids"]
