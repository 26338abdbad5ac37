"""A public Japanese NER corpus with real slips: `hironsancorpus` (PyPI, MIT licence, Hironsan 2016;
IOB2, 500 sentences, 16,020 lines). `jbert data check` lists its slips, then it fine-tunes as is.

The package ships the corpus as ``hironsan/corpus/iob_sents.txt`` (token, 10 analysis columns,
tag); jbert reads that file directly (never the package's pickle). In the dev extra.
"""

from __future__ import annotations

import importlib.resources
import importlib.util

import pytest
from typer.testing import CliRunner

from jbert.cli import app

pytestmark = pytest.mark.slow
RUNNER = CliRunner()


@pytest.fixture(scope="module")
def corpus():
    if importlib.util.find_spec("hironsan") is None:
        pytest.skip("hironsancorpus is not installed (pip install -e '.[dev]')")
    return importlib.resources.files("hironsan.corpus") / "iob_sents.txt"


def test_data_check_lists_the_slips(corpus):
    result = RUNNER.invoke(app, ["data", "check", "ner", "--train", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "500 rows, 500 examples, 0 in error" in result.stdout
    assert "warning: 2 I-X tags that continue no entity" in result.stdout
    assert f"{corpus}:6855: I-ART continues no entity" in result.stdout
    assert f"{corpus}:12038: I-ART continues no entity" in result.stdout
    assert "0 error(s), 2 warning(s): ready to train" in result.stdout


def test_it_fine_tunes_as_is_and_strict_mode_names_both_slips(corpus, tiny_model_dir, tmp_path):
    common = ["finetune", "ner", "--model", str(tiny_model_dir), "--train", str(corpus), "--max-steps", "3",
              "--batch-size", "8", "--max-length", "64", "--set", "training.progress_bar=false"]
    strict = RUNNER.invoke(app, [*common, "--output", str(tmp_path / "strict"), "--set", "data.iob=strict"])
    assert strict.exit_code == 1
    assert "2 row(s) cannot be read: line 6855: 'I-ART' does not continue" in strict.output
    assert "line 12038: 'I-ART' does not continue" in strict.output
    result = RUNNER.invoke(app, [*common, "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "jbert_config.yaml").is_file()
