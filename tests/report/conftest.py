"""Run directories to report on: a real (tiny, 2-step x 2-epoch) `jbert finetune` per head, built once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from _retrieval_data import reranker_rows, write_jsonl

from jbert import api
from jbert.config.run import build_config

DATA = Path(__file__).resolve().parents[1] / "data"
JGLUE = DATA / "jglue"


def reranker_train(folder: Path) -> Path:
    """Reranker rows from the JSQuAD train slice (the valid file is made the same way from its valid slice)."""
    return write_jsonl(folder / "reranker-train.jsonl", reranker_rows("train"))


# name -> (task, train file (or a function that writes it into a folder), valid file, extra overrides)
RUNS = {
    "jnli": ("jnli", JGLUE / "jnli-train.jsonl", JGLUE / "jnli-valid.jsonl", []),
    "jcommonsenseqa": ("jcommonsenseqa", JGLUE / "jcommonsenseqa-train.jsonl", JGLUE / "jcommonsenseqa-valid.jsonl", []),
    "jsts": ("jsts", JGLUE / "jsts-train.jsonl", JGLUE / "jsts-valid.jsonl", []),
    "jsquad": ("jsquad", JGLUE / "jsquad-train.json", JGLUE / "jsquad-valid.json", ["encoding.max_length=128"]),
    "ner": ("ner", DATA / "ner" / "train.jsonl", DATA / "ner" / "valid.jsonl", ["task.reader=jsonl"]),
    "embedding": ("embedding", JGLUE / "jsts-train.jsonl", JGLUE / "jsts-valid.jsonl", []),  # scored pairs: CoSENT
    "reranker": ("reranker", reranker_train, DATA / "reranker" / "valid.jsonl", []),
}


def train_run(out: Path, name: str, model: Path, *extra: str) -> Path:
    task, train, valid, overrides = RUNS[name]
    train = train(out.parent) if callable(train) else train
    cfg = build_config(overrides=[
        f"task.name={task}", f"model.name_or_path={model}", f"training.output_dir={out}", f"data.train={train}",
        f"data.valid={valid}", "training.max_steps=4", "training.epochs=2", "training.batch_size=16",
        "training.logging_steps=1", "training.progress_bar=false", "training.learning_rate=1e-3",
        "encoding.max_length=64", *overrides, *extra])
    cfg.training.max_steps = -1 if name != "jsquad" else 4  # two epochs of the small files, 2 evaluations
    api.finetune(cfg)
    return out


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Callable[[str], Path]:
    """``trained("jnli")`` -> a finished run directory (trained once per session)."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = train_run(tmp_path_factory.mktemp("runs") / name, name, tiny_model_dir)
        return cache[name]

    return get
