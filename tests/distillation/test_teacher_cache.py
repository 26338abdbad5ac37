"""The teacher runs once: its outputs are cached per teacher and data, read back by later epochs, a
resumed run and later students, and recomputed when the teacher or the data change."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from jbert import api
from jbert.config.run import build_config
from jbert.distillation import DistillConfig
from jbert.distillation.cache import CachedTargets, TargetsWriter, save_targets
from jbert.models.directory import CONFIG_FILE

JGLUE = Path(__file__).resolve().parents[1] / "data" / "jglue"


def rows(src: Path, dst: Path, n: int = 8) -> Path:
    dst.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:n]), encoding="utf-8")
    return dst


def distill(teacher_dir: Path, out: Path, train: Path, **flags) -> dict:
    cfg = build_config(cls=DistillConfig, flags={
        "distill.teacher": str(teacher_dir), "distill.student_layers": 1, "data.train": str(train),
        "data.valid": str(JGLUE / "jsts-valid.jsonl"), "training.output_dir": str(out), "training.batch_size": 4,
        "training.progress_bar": False, **flags})
    return api.distill(cfg)


@pytest.fixture
def jsts(finetuned, tmp_path) -> tuple[Path, Path]:
    return finetuned("pair-regression"), rows(JGLUE / "jsts-train.jsonl", tmp_path / "train.jsonl")


def test_the_teacher_runs_once_over_two_epochs(jsts, tmp_path, forwards):
    teacher_dir, train = jsts
    unlabeled = rows(JGLUE / "jsts-valid.jsonl", tmp_path / "unlabeled.jsonl", 6)
    distill(teacher_dir, tmp_path / "out", train, **{"training.epochs": 2, "distill.unlabeled": [str(unlabeled)]})
    assert forwards == [4, 4, 4, 2]  # 8 train rows, then 6 unlabeled rows, in batches of 4: once each
    metrics = yaml.safe_load((tmp_path / "out" / CONFIG_FILE).read_text(encoding="utf-8"))
    assert metrics["distill"]["record"]["rows"] == {"train": 8, "valid": 32, "unlabeled": {str(unlabeled): 6}}


def test_a_resumed_run_reads_the_teachers_outputs_back(jsts, tmp_path, forwards, monkeypatch):
    teacher_dir, train = jsts
    out = tmp_path / "out"

    def killed(run, result, save):  # as if the process died after its last checkpoint
        raise KeyboardInterrupt

    from jbert.distillation import run as run_module

    with monkeypatch.context() as patch:
        patch.setattr(run_module, "finish_run", killed)
        with pytest.raises(KeyboardInterrupt):
            distill(teacher_dir, out, train, **{"training.epochs": 1})
    assert len(forwards) == 2 and (out / ".encoded" / "teacher").is_dir()
    distill(teacher_dir, out, train, **{"training.epochs": 1, "training.resume": True})  # the same settings
    assert len(forwards) == 2  # nothing more: the resumed run read the cache
    assert (out / CONFIG_FILE).is_file() and not (out / ".encoded").exists()


def test_a_shared_cache_is_reused_and_invalidated_by_teacher_or_data_changes(jsts, tmp_path, forwards):
    teacher_dir, train = jsts
    own_teacher = tmp_path / "teacher"
    shutil.copytree(teacher_dir, own_teacher)
    cache = {"distill.teacher_cache": str(tmp_path / "cache"), "training.max_steps": 1}
    distill(own_teacher, tmp_path / "a", train, **cache)
    assert len(forwards) == 2
    distill(own_teacher, tmp_path / "b", train, **cache)  # a second student, same teacher and data
    assert len(forwards) == 2
    with train.open("a", encoding="utf-8") as f:  # the data change
        f.write((JGLUE / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[0])
    distill(own_teacher, tmp_path / "c", train, **cache)
    assert forwards[2:] == [4, 4, 1]  # nine rows now
    _change_weights(own_teacher)  # the teacher changes
    distill(own_teacher, tmp_path / "d", train, **cache)
    assert forwards[5:] == [4, 4, 1]
    assert len(list((tmp_path / "cache").glob("train-teacher-*.arrow"))) == 3


def _change_weights(model_dir: Path) -> None:
    from safetensors.torch import load_file, save_file

    weights = load_file(model_dir / "model.safetensors")
    name = next(k for k in weights if k.endswith("classifier.weight"))
    weights[name] = weights[name] + 1.0
    save_file(weights, model_dir / "model.safetensors", metadata={"format": "pt"})


def test_cached_arrays_round_trip_ragged_shapes_and_dtypes(tmp_path):
    rows_in = [{"logits": np.arange(6, dtype=np.float16).reshape(3, 2), "index": np.array([2, 0], dtype=np.int32)},
               {"logits": np.ones((1, 2), dtype=np.float16), "index": np.array([1], dtype=np.int32)}]
    save_targets(tmp_path / "t.arrow", rows_in)
    back = CachedTargets(tmp_path / "t.arrow")
    assert len(back) == 2 and back.nbytes() == (6 + 2) * 2 + 3 * 4
    for original, loaded in zip(rows_in, (back[0], back[1]), strict=True):
        for key in original:
            assert loaded[key].dtype == original[key].dtype and np.array_equal(loaded[key], original[key])


def test_batches_written_out_of_order_read_back_in_feature_order(tmp_path):
    with TargetsWriter(tmp_path / "t.arrow") as writer:  # as length-sorted teacher batches come
        writer.write([2, 0], [{"x": np.full(2, 2.0, dtype=np.float32)}, {"x": np.zeros(1, dtype=np.float32)}])
        writer.write([1], [{"x": np.ones(3, dtype=np.float32)}])
    back = CachedTargets(tmp_path / "t.arrow")
    assert [back[i]["x"].tolist() for i in range(3)] == [[0.0], [1.0, 1.0, 1.0], [2.0, 2.0]]
    with TargetsWriter(tmp_path / "empty.arrow"):
        pass
    assert len(CachedTargets(tmp_path / "empty.arrow")) == 0


def test_a_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(RuntimeError), TargetsWriter(tmp_path / "t.arrow") as writer:
        writer.write([0], [{"x": np.zeros(1, dtype=np.float32)}])
        raise RuntimeError("the teacher failed half-way")
    assert list(tmp_path.iterdir()) == []
