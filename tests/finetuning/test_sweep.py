"""The selection protocol on tiny models: grid x seeds run, mean/std per configuration, best linked,
table written, finished runs reused, shards, and `jbert eval jglue` naming the selected configuration."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from _finetuned import jglue_dir  # noqa: F401  (fixture)
from typer.testing import CliRunner

from jbert.cli import app
from jbert.config.run import build_config
from jbert.errors import ConfigError
from jbert.finetuning.sweep import Run, SweepConfig, parse_axes, plan, read_selection, select

DATA = Path(__file__).parent.parent / "data" / "jglue"
runner = CliRunner()


def _head(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


def test_parse_axes_reads_yaml_scalars():
    assert parse_axes(["training.learning_rate=5e-5,3e-5", "training.epochs=3,4"]) == [
        ("training.learning_rate", ["5e-5", "3e-5"]), ("training.epochs", [3, 4])]
    with pytest.raises(ConfigError, match="key=v1,v2"):
        parse_axes(["training.epochs"])
    with pytest.raises(ConfigError, match="--seeds"):
        parse_axes(["training.seed=1,2"])


def test_plan_is_grid_times_seeds_with_coerced_values(tmp_path):
    base = build_config(overrides=[f"training.output_dir={tmp_path}", "training.seed=7"])
    planned = plan(SweepConfig(base, ["training.learning_rate=5e-5,3e-5", "training.epochs=3,4"], seeds=2))
    assert len(planned) == 8
    cfg, run = planned[0]
    assert cfg.training.learning_rate == 5e-5 and cfg.training.epochs == 3 and cfg.training.seed == 7
    assert run.params == {"training.learning_rate": 5e-5, "training.epochs": 3.0}
    assert run.path == tmp_path / "runs" / "learning_rate=5e-05,epochs=3.0" / "seed=7"
    assert [c.training.seed for c, _ in planned[:2]] == [7, 8]
    with pytest.raises(ConfigError, match="unknown key"):
        plan(SweepConfig(base, ["training.lr=1,2"]))


def test_select_means_over_seeds_and_lower_is_better_for_loss(tmp_path):
    def run(lr, seed, score):
        return Run({"training.learning_rate": lr}, seed, tmp_path / f"{lr}-{seed}", {"acc": score, "loss": score})

    runs = [run(1, 1, 0.9), run(1, 2, 0.5), run(2, 1, 0.8), run(2, 2, 0.8)]
    rows = select(runs, "acc")
    # lr=1: mean 0.7, sample std 0.2828; lr=2: mean 0.8, std 0 -> lr=2 wins although lr=1 has the best run
    assert rows[0]["config"] == "learning_rate=2" and rows[0]["mean"] == pytest.approx(0.8)
    assert rows[1]["std"] == pytest.approx(0.28284, abs=1e-4) and rows[1]["best_run"].endswith("1-1")
    assert select(runs, "loss")[0]["config"] == "learning_rate=1"


def test_sweep_end_to_end_on_tiny_models(tmp_path, tiny_model_dir):
    train = _head(DATA / "jsts-train.jsonl", tmp_path / "train.jsonl")
    valid = _head(DATA / "jsts-valid.jsonl", tmp_path / "valid.jsonl")
    out = tmp_path / "sweep"
    args = ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(out), "--train", str(train),
            "--valid", str(valid), "--max-steps", "2", "--batch-size", "4", "--max-length", "64",
            "--set", "training.progress_bar=false", "--sweep", "training.learning_rate=1e-2,1e-5", "--seeds", "2"]
    shard = runner.invoke(app, [*args, "--shard", "1/2"])
    assert shard.exit_code == 0, shard.output
    assert "rerun without --shard" in shard.output
    assert len(list((out / "runs").glob("*/seed=*/jbert_config.yaml"))) == 2  # runs 1 and 3 of 4
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert record["metric"] == "pearson" and len(record["runs"]) == 4 and len(record["configs"]) == 2
    for config in record["configs"]:  # mean/std recomputed from the runs' own metrics.json
        scores = [r["metrics"]["pearson"] for r in record["runs"] if r["params"] == config["params"]]
        assert config["mean"] == pytest.approx(sum(scores) / 2)
    best = record["selected"]
    assert best["mean"] == max(c["mean"] for c in record["configs"])
    assert (out / "best").resolve() == Path(best["best_run"]).resolve()
    assert (out / "best" / "jbert_config.yaml").is_file()
    assert "± " in (out / "sweep.md").read_text(encoding="utf-8")
    assert read_selection(out / "best")["config"] == best["config"]
    assert read_selection(Path(best["best_run"])) is None


def test_eval_jglue_reports_the_selected_configuration(tmp_path, tiny_model_dir, jglue_dir):  # noqa: F811
    out = tmp_path / "jsts"
    train = _head(DATA / "jsts-train.jsonl", tmp_path / "train.jsonl")
    args = ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(out), "--train", str(train),
            "--valid", str(DATA / "jsts-valid.jsonl"), "--max-steps", "1", "--batch-size", "4", "--max-length",
            "64", "--set", "training.progress_bar=false", "--sweep", "training.learning_rate=1e-3,1e-4"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["eval", "jglue", "--model-dir", str(tmp_path), "--jglue-dir", str(jglue_dir)])
    assert result.exit_code == 0, result.output
    selected = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["selected"]["config"]
    assert f"| JSTS | {selected} |" in result.output


@pytest.mark.parametrize("shard", ["2/2", "x", "1/0", "-1/3"])
def test_bad_shard_is_a_one_line_error(shard, tmp_path, tiny_model_dir):
    result = runner.invoke(app, ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(tmp_path / "o"),
                                 "--train", str(DATA / "jsts-train.jsonl"), "--sweep", "training.epochs=1,2",
                                 "--shard", shard])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: --shard expects i/n with 0 <= i < n (e.g. 0/2), got {shard!r}"
    assert not (tmp_path / "o").exists()  # checked before any run starts


def test_a_sweep_needs_a_validation_file_and_an_output(tmp_path, tiny_model_dir):
    base = ["finetune", "jsts", "--model", str(tiny_model_dir), "--train", str(DATA / "jsts-train.jsonl"),
            "--sweep", "training.epochs=1,2"]
    result = runner.invoke(app, [*base, "--output", str(tmp_path / "o")])
    assert result.exit_code == 1 and not (tmp_path / "o").exists()
    assert result.output.strip() == "error: a sweep selects on the validation set: pass --valid FILE (or --jglue-dir DIR)"
    result = runner.invoke(app, [*base, "--valid", str(DATA / "jsts-valid.jsonl")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: missing --output: a sweep keeps its runs under OUTPUT/runs")


@pytest.fixture
def short_tmp():
    """A folder with a short absolute path: the message shortens a value past 80 characters, which
    pytest's own folders (longer under pytest-xdist) can reach."""
    folder = Path(tempfile.mkdtemp(prefix="sw", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_rerunning_a_finished_sweep_with_other_settings_is_refused(short_tmp, tiny_model_dir):
    tmp_path = short_tmp
    train = _head(DATA / "jsts-train.jsonl", tmp_path / "train.jsonl")
    other = _head(DATA / "jsts-valid.jsonl", tmp_path / "other.jsonl")
    out = tmp_path / "sweep"

    def sweep(*changes: str):
        return runner.invoke(app, ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(out),
                                   "--train", str(train), "--valid", str(other), "--max-steps", "1", "--batch-size",
                                   "4", "--max-length", "64", "--set", "training.progress_bar=false",
                                   "--sweep", "training.learning_rate=1e-3,1e-4", *changes])

    assert sweep().exit_code == 0
    record = (out / "sweep.json").read_bytes()
    runs = "runs/learning_rate=0.001/seed=42, runs/learning_rate=0.0001/seed=42"
    for changes, named in [(["--max-steps", "2"], "training.max_steps (was 1, now 2)"),
                           (["--train", str(other)], f"data.train (was {train}, now {other})"),
                           (["--model", str(train.parent)], f"model.name_or_path (was {tiny_model_dir}, now ")]:
        result = sweep(*changes)
        assert result.exit_code == 1, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: --output {out} holds 2 run(s) made with other settings ({named}")
        assert line.endswith(f"): {runs}; choose another --output, or remove those runs to run them again")
    assert (out / "sweep.json").read_bytes() == record  # nothing reused, nothing rewritten
    assert sweep("--seeds", "1").exit_code == 0  # the same settings: the finished runs are reused


def test_a_sweep_refuses_a_folder_of_other_files(tmp_path, tiny_model_dir):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["finetune", "jsts", "--model", str(tiny_model_dir), "--output", str(tmp_path / "o"),
                                 "--train", str(DATA / "jsts-train.jsonl"), "--valid", str(DATA / "jsts-valid.jsonl"),
                                 "--sweep", "training.epochs=1,2"])
    assert result.exit_code == 1
    assert result.output.strip() == (f"error: --output {tmp_path / 'o'} already exists and is not empty (it holds "
                                     "notes.txt); choose a new directory or remove it")
