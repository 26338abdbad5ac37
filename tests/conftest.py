"""Session fixtures: a tiny MeCab+WordPiece tokenizer and a tiny random BERT, built offline in seconds.

The fixture vocabulary is built here by hand (not with jbert's trainer) so that tokenizer
tests and head/trainer tests do not share a failure mode.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `make test` runs the suite on pytest-xdist workers, one per core: each worker (and the jbert processes a
# test starts) keeps to one torch/OpenMP thread, since threads spin-waiting for a core another worker holds
# cost more than they give on tiny models
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    if "torch" in sys.modules:  # imported before this file (a plugin): the variable came too late for it
        sys.modules["torch"].set_num_threads(1)

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _corpus_lines() -> list[str]:
    lines = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()
    for name in ("jsts-train.jsonl", "jnli-train.jsonl", "jcommonsenseqa-train.jsonl"):
        for raw in (DATA / "jglue" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            lines += [v for k, v in row.items() if isinstance(v, str) and k.startswith(("sentence", "question", "choice"))]
    squad = json.loads((DATA / "jglue" / "jsquad-train.json").read_text(encoding="utf-8"))
    for art in squad["data"]:
        for par in art["paragraphs"]:
            lines.append(par["context"])
            lines += [qa["question"] for qa in par["qas"]]
    return lines


def build_tiny_vocab(words_per_line: list[list[str]], size: int = 3000) -> list[str]:
    """Specials, every character (plain and ##-continued), then the most frequent words."""
    chars: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for ws in words_per_line:
        for w in ws:
            words[w] += 1
            chars.update(w)
    vocab = list(SPECIALS)
    vocab += sorted(chars)
    vocab += ["##" + c for c in sorted(chars)]
    seen = set(vocab)
    for w, _ in words.most_common():
        if len(vocab) >= size:
            break
        if len(w) > 1 and w not in seen:
            vocab.append(w)
            seen.add(w)
    return vocab


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Tohoku-style tokenizer directory (vocab.txt + tokenizer_config.json, BertJapaneseTokenizer)."""
    import unicodedata

    import fugashi
    import unidic_lite

    tagger = fugashi.GenericTagger(f'-d "{unidic_lite.DICDIR}" -r /dev/null')
    lines = [unicodedata.normalize("NFKC", t) for t in _corpus_lines()]
    words = [[w.surface for w in tagger(t)] for t in lines]
    vocab = build_tiny_vocab(words)
    out = tmp_path_factory.mktemp("tiny_tokenizer")
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = {
        "tokenizer_class": "BertJapaneseTokenizer",
        "do_lower_case": False,
        "word_tokenizer_type": "mecab",
        "subword_tokenizer_type": "wordpiece",
        "mecab_kwargs": {"mecab_dic": "unidic_lite"},
        "model_max_length": 512,
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_tokenizer_dir: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) saved with the tiny tokenizer's files."""
    import shutil

    import torch
    from transformers import BertConfig, BertModel

    vocab_size = len((tiny_tokenizer_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    torch.manual_seed(0)
    model = BertModel(config)
    out = tmp_path_factory.mktemp("tiny_model")
    model.save_pretrained(out)
    for f in tiny_tokenizer_dir.iterdir():
        shutil.copy(f, out / f.name)
    return out
