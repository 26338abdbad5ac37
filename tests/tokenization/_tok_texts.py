"""Texts the fast-tokenizer tests compare on, and a helper to make tokenizer-directory variants."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
HARD_STRINGS: list[str] = json.loads((DATA / "tokenization" / "hard_strings.json").read_text(encoding="utf-8"))
BERT_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]


def _jsonl(name: str) -> Iterator[dict[str, Any]]:
    for line in (DATA / "jglue" / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def jglue_texts() -> tuple[list[str], list[tuple[str, str]]]:
    """Every text of tests/data/jglue as single texts, and the pairs the tasks encode."""
    singles: list[str] = []
    pairs: list[tuple[str, str]] = []
    for task in ("jsts", "jnli"):
        for split in ("train", "valid"):
            for row in _jsonl(f"{task}-{split}.jsonl"):
                singles += [row["sentence1"], row["sentence2"]]
                pairs.append((row["sentence1"], row["sentence2"]))
    for split in ("train", "valid"):
        for row in _jsonl(f"jcommonsenseqa-{split}.jsonl"):
            singles.append(row["question"])
            pairs += [(row["question"], row[f"choice{i}"]) for i in range(5)]
        squad = json.loads((DATA / "jglue" / f"jsquad-{split}.json").read_text(encoding="utf-8"))
        for article in squad["data"]:
            for par in article["paragraphs"]:
                singles.append(par["context"])
                for qa in par["qas"]:
                    singles.append(qa["question"])
                    pairs.append((qa["question"], par["context"]))
    return singles, pairs


def variant(base: Path, out: Path, **config: Any) -> Path:
    """A copy of a tokenizer directory with some tokenizer_config.json entries changed."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "vocab.txt", out / "vocab.txt")
    data = json.loads((base / "tokenizer_config.json").read_text(encoding="utf-8"))
    data.update(config)
    (out / "tokenizer_config.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out
