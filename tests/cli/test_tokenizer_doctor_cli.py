"""`jbert tokenizer doctor` through typer's CliRunner: text and JSON reports, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app

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
