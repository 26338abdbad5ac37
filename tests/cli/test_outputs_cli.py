"""Commands at the edges of their outputs, through typer's CliRunner: a non-empty output directory, a
resume with other settings, a second process on the same output, what a killed run leaves behind, a
read-only place, and the modes of what is written. Every refusal is one line and exit 1."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from _outputs import hidden, holder, umask, unprivileged
from typer.testing import CliRunner

import jbert.evaluation  # noqa: F401  (imported before a test runs as nobody, who cannot read site-packages)
import jbert.export  # noqa: F401
import jbert.inference  # noqa: F401
import jbert.pretraining.run  # noqa: F401
import jbert.report  # noqa: F401
import jbert.tokenization.train  # noqa: F401
from jbert.cli import app
from jbert.models.directory import CONFIG_FILE, METRICS_FILE

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
JGLUE = DATA / "jglue"
ROWS = DATA / "marc_ja" / "valid.jsonl"
CORPUS = REPO / "data" / "sample" / "corpus.txt"
QUICK = ["--max-steps", "1", "--batch-size", "4", "--max-length", "64", "--set", "training.progress_bar=false"]
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def fails_with(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def head_rows(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


# --- a non-empty output directory -------------------------------------------------------------------


def test_model_init_refuses_a_trained_model(finetuned, tiny_tokenizer_dir, tmp_path):
    run = shutil.copytree(finetuned("classification"), tmp_path / "run")
    before = digest(run)
    result = invoke("model", "init", "--tokenizer", tiny_tokenizer_dir, "--output", run)
    fails_with(result, f"--output {run} already exists and is not empty (it holds ")
    assert digest(run) == before


def test_pretrain_refuses_a_folder_of_other_files(tiny_model_dir, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    fails_with(invoke("pretrain", CORPUS, "--model", tiny_model_dir, "--output", tmp_path / "out"),
               f"--output {tmp_path / 'out'} already exists and is not empty (it holds notes.txt)")


def test_finetune_refuses_other_files_but_reuses_what_a_run_stopped_early_left(tiny_model_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    args = ["finetune", "jsts", "--model", tiny_model_dir, "--output", out, "--train",
            head_rows(JGLUE / "jsts-train.jsonl", tmp_path / "t.jsonl"), *QUICK]
    fails_with(invoke(*args), f"--output {out} already exists and is not empty (it holds notes.txt)")
    (out / "notes.txt").unlink()
    for leftover in (".encoded", "checkpoints"):  # stopped before its first checkpoint
        (out / leftover).mkdir()
    (out / "train_log.jsonl").write_text("{}\n")
    result = invoke(*args)
    assert result.exit_code == 0, result.output


# --- a resume with other settings -------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tiny_model_dir, tmp_path_factory) -> tuple[Path, list[object]]:
    """A finished jsts run and the arguments that made it."""
    root = tmp_path_factory.mktemp("finished")
    train = head_rows(JGLUE / "jsts-train.jsonl", root / "train.jsonl")
    valid = head_rows(JGLUE / "jsts-valid.jsonl", root / "valid.jsonl")
    args = ["--model", tiny_model_dir, "--train", train, "--valid", valid, *QUICK]
    result = invoke("finetune", "jsts", "--output", root / "run", *args)
    assert result.exit_code == 0, result.output
    return root / "run", args


@pytest.mark.parametrize("change, named", [
    (["--max-steps", "2"], "training.max_steps (was 1, now 2)"),
    (["--train", JGLUE / "jsts-valid.jsonl"], f"data.train (was {{root}}/train.jsonl, now {JGLUE}/jsts-valid.jsonl)"),
    (["--set", "training.learning_rate=1e-3"], "training.learning_rate (was 5e-05, now 0.001)"),
])
def test_resuming_a_finished_run_with_other_settings_is_refused(finished, change, named):
    run, args = finished
    before = digest(run)
    result = invoke("finetune", "jsts", "--output", run, *args, *change, "--resume")
    fails_with(result, f"--resume: {run} was started with other settings: ", named.format(root=run.parent))
    assert digest(run) == before  # jbert_config.yaml, metrics.json and the weights as they were


def test_resuming_with_another_task_is_refused_before_the_checkpoint_load(finished, tiny_model_dir, tmp_path):
    run, _ = finished
    before = digest(run)
    train = head_rows(JGLUE / "jnli-train.jsonl", tmp_path / "jnli.jsonl")
    result = invoke("finetune", "jnli", "--output", run, "--model", tiny_model_dir, "--train", train, *QUICK,
                    "--resume")
    fails_with(result, "task.name (was jsts, now jnli)")  # was: a RuntimeError (classifier size mismatch)
    assert digest(run) == before


def test_an_unfinished_run_resumes_with_its_settings_and_new_logging_only(finished, tmp_path):
    run, args = finished
    moved = shutil.copytree(run, tmp_path / "moved")  # another output_dir: the same run, moved
    (moved / CONFIG_FILE).unlink()  # as if killed before the final save
    fails_with(invoke("finetune", "jsts", "--output", moved, *args, "--max-steps", "3", "--resume"),
               "training.max_steps (was 1, now 3)")
    result = invoke("finetune", "jsts", "--output", moved, *args, "--resume", "--report-to", "none",
                    "--set", "training.logging_steps=7", "--set", "training.save_total_limit=1")
    assert result.exit_code == 0, result.output
    assert (moved / CONFIG_FILE).is_file()


# --- a second process on the same output; what a killed run leaves ----------------------------------


def test_predict_refuses_an_output_another_process_is_writing(finetuned, tmp_path):
    out = tmp_path / "p.jsonl"
    with holder(out) as proc:
        result = invoke("predict", "--model", finetuned("classification"), ROWS, "--output", out)
        fails_with(result, f"{out} is being written by another jbert process (pid {proc.pid}, lock .p.jsonl.lock)")
        assert not out.exists() and len(hidden(tmp_path)) == 2  # its lock and its temp file: not ours to remove
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    result = invoke("predict", "--model", finetuned("classification"), ROWS, "--output", out)
    assert result.exit_code == 0, result.output
    assert hidden(tmp_path) == []  # the killed run's temp file is gone, and no lock is left behind
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(ROWS.read_text(encoding="utf-8").splitlines())


def test_export_removes_the_work_directory_of_a_killed_export(finetuned, tmp_path):
    out = tmp_path / "x"
    with holder(out, "dir") as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert [n for n in hidden(tmp_path) if n.startswith(".x.export-")]
    result = invoke("export", "--model", finetuned("classification"), "--output", out, "--format", "torch",
                    "--data", ROWS)
    assert result.exit_code == 0, result.output
    assert hidden(tmp_path) == [] and (out / "jbert_export.json").is_file()


# --- a read-only place --------------------------------------------------------------------------------


@pytest.fixture
def read_only() -> Path:
    """A folder nobody may write in, under /tmp so that nobody can reach it."""
    place = Path(tempfile.mkdtemp(prefix="jbert-read-only-"))
    place.chmod(0o555)
    yield place
    place.chmod(0o755)
    shutil.rmtree(place)


def _writers(place: Path, model: Path, tiny_model_dir: Path, tokenizer: Path) -> dict[str, list[object]]:
    return {
        "export": ["export", "--model", model, "--output", place / "x", "--data", ROWS],
        "predict": ["predict", "--model", model, ROWS, "--output", place / "p.jsonl"],
        "eval": ["eval", "--model", model, "--data", ROWS, "--output", place / "m.json"],
        "model init": ["model", "init", "--tokenizer", tokenizer, "--output", place / "m"],
        "finetune": ["finetune", "jsts", "--model", tiny_model_dir, "--output", place / "o", "--train",
                     JGLUE / "jsts-train.jsonl"],
        "pretrain": ["pretrain", CORPUS, "--model", tiny_model_dir, "--output", place / "o"],
        "tokenizer train": ["tokenizer", "train", CORPUS, "--output", place / "tok"],
        "report": ["report", model, "--output", place / "r.html"],
    }


@pytest.mark.parametrize("command", ["export", "predict", "eval", "model init", "finetune", "pretrain",
                                     "tokenizer train", "report"])
def test_a_read_only_place_is_refused_before_any_work(command, read_only, finetuned, tiny_model_dir,
                                                      tiny_tokenizer_dir):
    args = _writers(read_only, finetuned("classification"), tiny_model_dir, tiny_tokenizer_dir)[command]
    with unprivileged():  # as nobody, the model and data under root's pytest folder cannot even be read:
        result = invoke(*args)  # a refusal here shows the place was checked before anything was read
    fails_with(result, f"cannot write in {read_only} (permission denied); choose a writable place")
    assert list(read_only.iterdir()) == []


# --- modes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)],
                         ids=["umask-022", "umask-027"])
def test_outputs_get_the_mode_the_umask_gives(finetuned, tmp_path, mask, file_mode, dir_mode):
    model = finetuned("classification")
    with umask(mask):
        predicted = invoke("predict", "--model", model, ROWS, "--output", tmp_path / "p.jsonl")
        evaluated = invoke("eval", "--model", model, "--data", ROWS, "--output", tmp_path / METRICS_FILE)
        exported = invoke("export", "--model", model, "--output", tmp_path / "x", "--format", "torch", "--data", ROWS)
    for result in (predicted, evaluated, exported):
        assert result.exit_code == 0, result.output
    written = [tmp_path / "p.jsonl", tmp_path / METRICS_FILE, *(tmp_path / "x").iterdir()]
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in written} == {p.name: oct(file_mode) for p in written}
    assert (tmp_path / "x").stat().st_mode & 0o777 == dir_mode
