"""Fine-tuned model directories for every head, built without training (random head weights).

Imported by ``tests/cli/conftest.py`` and ``tests/inference/conftest.py``. Each directory is
made with ``save_finetuned`` exactly as ``jbert finetune`` writes it, so ``jbert eval`` /
``jbert predict`` load it through ``load_finetuned``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"
JGLUE = DATA / "jglue"

# head -> (task spec, labels, gold file for eval / input file for predict)
MODELS: dict[str, tuple[str, list[str] | None, Path]] = {
    "classification": ("marc_ja", ["positive", "negative"], DATA / "marc_ja" / "valid.jsonl"),
    "pair-classification": ("jnli", ["entailment", "contradiction", "neutral"], JGLUE / "jnli-valid.jsonl"),
    "pair-regression": ("jsts", None, JGLUE / "jsts-valid.jsonl"),
    "choice": ("jcommonsenseqa", None, JGLUE / "jcommonsenseqa-valid.jsonl"),
    "span": ("jsquad", None, JGLUE / "jsquad-valid.json"),
    "token": ("ner", ["LOC", "ORG", "PER"], DATA / "ner" / "valid.jsonl"),
    "reranker": ("reranker", None, DATA / "reranker" / "valid.jsonl"),
    "embedding": ("embedding", None, JGLUE / "jsts-valid.jsonl"),
}


def build_finetuned(out: Path, head_name: str, tiny_model_dir: Path, max_length: int = 64) -> Path:
    """A model directory for ``head_name`` (random, seeded head weights) at ``out``."""
    import torch
    from transformers import AutoTokenizer

    from jbert.config.run import build_config
    from jbert.config.tasks import load_spec
    from jbert.heads import get_head
    from jbert.models.directory import save_finetuned

    task, labels, _ = MODELS[head_name]
    spec = load_spec(task)
    torch.manual_seed(0)
    model = get_head(spec.head)(spec, labels).model(str(tiny_model_dir))
    config = build_config(
        overrides=[
            f"task.name={task}",
            f"model.name_or_path={tiny_model_dir}",
            f"encoding.max_length={max_length}",
        ]
    )
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))  # the portable files, as finetune saves
    save_finetuned(out, model=model, tokenizer=tokenizer, config=config, spec=spec, labels=labels)
    return out


@pytest.fixture(scope="session")
def finetuned(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Callable[[str], Path]:
    """``finetuned("choice")`` -> a saved model directory for that head (built once per session)."""
    cache: dict[str, Path] = {}

    def get(head_name: str) -> Path:
        if head_name not in cache:
            out = tmp_path_factory.mktemp(f"ft-{head_name}")
            cache[head_name] = build_finetuned(out, head_name, tiny_model_dir)
        return cache[head_name]

    return get


@pytest.fixture(scope="session")
def jglue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JGLUE datasets folder laid out like the real one, holding the test slices as valid splits."""
    root = tmp_path_factory.mktemp("jglue") / "datasets"
    for task, name in (("jsts", "jsts"), ("jnli", "jnli"), ("jcommonsenseqa", "jcommonsenseqa")):
        (root / f"{task}-v1.3").mkdir(parents=True)
        shutil.copy(JGLUE / f"{name}-valid.jsonl", root / f"{task}-v1.3" / "valid-v1.3.json")
    (root / "jsquad-v1.3").mkdir()
    shutil.copy(JGLUE / "jsquad-valid.json", root / "jsquad-v1.3" / "valid-v1.3.json")
    return root.parent


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
