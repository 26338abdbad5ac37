"""Texts the fast-tokenizer tests compare on, and a helper to make tokenizer-directory variants."""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
# JGLUE v1.3 (train/valid) beside the checkout or beside its worktree folder; the slow tests skip without it
SHARED_JGLUE = next((p / "shared" / "jglue" for p in Path(__file__).resolve().parents[3:5]
                     if (p / "shared" / "jglue").is_dir()), Path(__file__).resolve().parents[3] / "shared" / "jglue")
HARD_STRINGS: list[str] = json.loads((DATA / "tokenization" / "hard_strings.json").read_text(encoding="utf-8"))
BERT_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def collect_texts(
    pair_files: Iterable[Path], choice_files: Iterable[Path], squad_files: Iterable[Path]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Single texts and the pairs the tasks encode: sentence pairs (JSTS/JNLI), question + each choice
    (JCommonsenseQA), question + context (JSQuAD, whose contexts carry the literal [SEP])."""
    singles: list[str] = []
    pairs: list[tuple[str, str]] = []
    for path in pair_files:
        for row in _jsonl_rows(path):
            singles += [row["sentence1"], row["sentence2"]]
            pairs.append((row["sentence1"], row["sentence2"]))
    for path in choice_files:
        for row in _jsonl_rows(path):
            singles += [row["question"]] + [row[f"choice{i}"] for i in range(5)]
            pairs += [(row["question"], row[f"choice{i}"]) for i in range(5)]
    for path in squad_files:
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for par in article["paragraphs"]:
                singles.append(par["context"])
                for qa in par["qas"]:
                    singles.append(qa["question"])
                    pairs.append((qa["question"], par["context"]))
    return singles, pairs


def jglue_texts() -> tuple[list[str], list[tuple[str, str]]]:
    """Every text of tests/data/jglue as single texts, and the pairs the tasks encode."""
    jglue, splits = DATA / "jglue", ("train", "valid")
    return collect_texts(
        [jglue / f"{task}-{split}.jsonl" for task in ("jsts", "jnli") for split in splits],
        [jglue / f"jcommonsenseqa-{split}.jsonl" for split in splits],
        [jglue / f"jsquad-{split}.json" for split in splits],
    )


def variant(base: Path, out: Path, **config: Any) -> Path:
    """A copy of a tokenizer directory with some tokenizer_config.json entries changed."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "vocab.txt", out / "vocab.txt")
    data = json.loads((base / "tokenizer_config.json").read_text(encoding="utf-8"))
    data.update(config)
    (out / "tokenizer_config.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def _rows(tok: Any, text: str) -> list[tuple[str, tuple[int, int]]]:
    enc = tok(text, return_offsets_mapping=True)
    tokens = tok.convert_ids_to_tokens(enc["input_ids"])
    return [(t, o) for t, o, s in zip(tokens, enc["offset_mapping"], enc.sequence_ids(), strict=True) if s is not None]


def _groups(tok: Any, text: str) -> list[tuple[tuple[int, int], list[str]]]:
    """Consecutive tokens whose spans overlap, merged: (span, tokens)."""
    groups: list[tuple[tuple[int, int], list[str]]] = []
    for token, (a, b) in _rows(tok, text):
        if groups and a < groups[-1][0][1]:
            (ga, gb), toks = groups[-1]
            groups[-1] = ((ga, max(gb, b)), toks + [token])
        else:
            groups.append(((a, b), [token]))
    return groups


def _assert_spells(tok: Any, text: str) -> None:
    """Every token's original span, NFKC-normalised (and lower-cased), spells the token."""
    lower = tok.do_lower_case
    for (a, b), tokens in _groups(tok, text):
        if set(tokens) & set(tok.all_special_tokens) or tokens == ["\u2581"]:  # [UNK], and literal [SEP]s (never lower-cased)
            continue
        expected = unicodedata.normalize("NFKC", text[a:b])
        expected = "".join((expected.lower() if lower else expected).split())
        spelled = "".join(t[2:] if t.startswith("##") else t for t in tokens).replace("\u2581", "")
        if tok.subword_tokenizer_type == "character":
            expected = unicodedata.normalize("NFKC", expected)
        assert spelled == expected, (text, (a, b), tokens)
