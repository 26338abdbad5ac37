"""jbert.writers.outputs: the output checks, the lock (against a second real process, and after kill -9),
the removal of stale temps, and temp files that end with the umask's mode like any other file."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from _outputs import hidden, holder, umask, unprivileged

from jbert.errors import ConfigError
from jbert.writers import atomic_output
from jbert.writers.outputs import (
    check_output_dir,
    output_lock,
    parent_folders,
    remove_stale,
    temp_dir,
    temp_file,
)

# --- checks -----------------------------------------------------------------------------------------


def test_an_output_directory_must_be_new_or_empty(tmp_path):
    assert check_output_dir(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    check_output_dir(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"^--output .*file is a file; give a new directory$"):
        check_output_dir(tmp_path / "file")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.safetensors").write_text("weights")
    with pytest.raises(ConfigError, match=r"already exists and is not empty \(it holds model.safetensors\)"):
        check_output_dir(tmp_path / "run")


def test_kept_names_and_their_lock_and_temp_files_do_not_count(tmp_path):
    for name in ("train_log.jsonl", ".jbert_run.yaml.lock", ".jbert_run.yaml.0a1b2c3d.tmp"):
        (tmp_path / name).write_text("")
    check_output_dir(tmp_path, keep=("train_log.jsonl", "jbert_run.yaml"))
    with pytest.raises(ConfigError, match=r"holds \.jbert_run\.yaml\.0a1b2c3d\.tmp"):
        check_output_dir(tmp_path, keep=("train_log.jsonl",))


def test_folders_made_for_an_output_go_again_when_the_command_fails(tmp_path):
    with pytest.raises(ConfigError), parent_folders(tmp_path / "a" / "b" / "out"):
        assert (tmp_path / "a" / "b").is_dir()
        raise ConfigError("failed")
    assert list(tmp_path.iterdir()) == []
    with parent_folders(tmp_path / "a" / "b" / "out"):
        pass
    assert (tmp_path / "a" / "b").is_dir()


# --- the lock -----------------------------------------------------------------------------------------


def test_a_second_process_is_refused_while_the_first_writes(tmp_path):
    target = tmp_path / "out.jsonl"
    with holder(target) as proc:
        with pytest.raises(ConfigError) as info:
            with atomic_output(target) as stream:
                stream.write("second")
        assert str(info.value) == (f"{target} is being written by another jbert process (pid {proc.pid}, lock "
                                   ".out.jsonl.lock); wait for it to finish or choose another --output")
        assert len([n for n in hidden(tmp_path) if n.endswith(".tmp")]) == 1  # the live run's temp is kept
    assert not target.exists()


def test_after_kill_9_the_next_run_removes_the_dead_runs_temp(tmp_path):
    target = tmp_path / "out.jsonl"
    with holder(target) as proc:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        lock, temp = sorted(hidden(tmp_path), key=lambda name: name.endswith(".tmp"))
        assert lock == ".out.jsonl.lock" and temp.startswith(".out.jsonl.") and temp.endswith(".tmp")
        with atomic_output(target) as stream:
            stream.write("done\n")
    assert target.read_text() == "done\n" and hidden(tmp_path) == []


def test_a_killed_export_leaves_a_work_directory_the_next_one_removes(tmp_path):
    target = tmp_path / "export"
    with holder(target, "dir") as proc:
        with pytest.raises(ConfigError, match="being written by another jbert process"):
            with output_lock(target):
                pass
        proc.kill()
        proc.wait()
    (work,) = [n for n in hidden(tmp_path) if ".export-" in n]
    with output_lock(target):
        assert hidden(tmp_path) == [".export.lock"]
    assert hidden(tmp_path) == []


def test_the_lock_is_reentrant_within_a_process_and_removed_after(tmp_path):
    target = tmp_path / "out.jsonl"
    with output_lock(target), output_lock(target):
        assert (tmp_path / ".out.jsonl.lock").read_text().strip() == str(os.getpid())
        with atomic_output(target) as stream:
            stream.write("x")
    assert hidden(tmp_path) == [] and target.read_text() == "x"
    with output_lock("-"), output_lock(None):  # stdout: nothing to lock
        pass


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to leave a file another user cannot open")
def test_another_users_stale_lock_file_is_a_one_line_error():
    shared = Path(tempfile.mkdtemp(prefix="jbert-shared-"))  # under /tmp: nobody can reach it
    try:
        shared.chmod(0o1777)
        (shared / ".out.jsonl.lock").write_text("123\n")  # root's, 0644: left by a killed run
        with unprivileged(), pytest.raises(ConfigError) as info:
            with output_lock(shared / "out.jsonl"):
                pass
        assert str(info.value) == (f"{shared}/.out.jsonl.lock: no permission to open this lock file; if no jbert "
                                   f"process is writing {shared}/out.jsonl, remove it")
    finally:
        shutil.rmtree(shared)


def test_only_this_outputs_stale_temps_are_removed(tmp_path):
    target = tmp_path / "out.jsonl"
    names = [".out.jsonl.0a1b2c3d.tmp", ".out.jsonl.k3_j9zq1.tmp", ".out.jsonl.export-0a1b2c3d",
             ".out.jsonl.b.0a1b2c3d.tmp", ".other.jsonl.0a1b2c3d.tmp", "out.jsonl.0a1b2c3d.tmp"]
    for name in names:
        (tmp_path / name).mkdir() if "export" in name else (tmp_path / name).write_text("")
    removed = remove_stale(target)
    assert sorted(p.name for p in removed) == sorted(names[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[3:])


# --- modes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)],
                         ids=["umask-022", "umask-027"])
def test_outputs_get_the_umasks_mode(tmp_path, mask, file_mode, dir_mode):
    with umask(mask):
        with atomic_output(tmp_path / "metrics.json") as stream:
            stream.write("{}\n")
        fd, tmp = temp_file(tmp_path / "rows.jsonl")
        os.close(fd)
        work = temp_dir(tmp_path / "export")
    assert (tmp_path / "metrics.json").stat().st_mode & 0o777 == file_mode
    assert tmp.stat().st_mode & 0o777 == file_mode
    assert work.stat().st_mode & 0o777 == dir_mode
