"""What the benchmarks share before anything is timed: data slices, a tokenizer, initial weights.

Everything is built locally and cached under the work directory (keyed by its settings), so a
second run times the same thing without rebuilding:

  * data: the first ``--limit`` JSTS train pairs and the first ``--valid-limit`` valid pairs,
    written as JSONL (both sides read the same files);
  * tokenizer: a Tohoku-style MeCab (unidic-lite) + WordPiece directory that
    ``BertJapaneseTokenizer`` loads, vocabulary built from the JSTS train text
    (``jbert tokenizer train`` when ``--tokenizer jbert``; by default built here like
    tests/conftest.py does, so the benchmark does not depend on the tokenizer trainer);
  * model: a randomly initialised BERT of ``--size`` with its task head, saved once, so both
    sides start from identical weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import _common as C

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
JGLUE_FILES = {"jsts": "jsts-v1.3/{split}-v1.3.json", "jsquad": "jsquad-v1.3/{split}-v1.3.json"}


@dataclass
class Setup:
    workdir: Path
    train: Path
    valid: Path
    tokenizer_dir: Path
    model_dir: Path
    shape: dict[str, int]  # ModelShape fields


def add_common_args(p: argparse.ArgumentParser) -> None:
    """Flags every benchmark takes (GPU ones included, so the scripts run unchanged when one is lent)."""
    p.add_argument("--jglue-dir", type=Path, default=C.DEFAULT_JGLUE,
                   help="directory holding jsts-v1.3/ etc. (default: ../shared/jglue from the repo)")
    p.add_argument("--task", default="jsts", choices=sorted(JGLUE_FILES))
    p.add_argument("--size", default="small", choices=sorted(C.SIZES), help="small = L4/H256/A4/I1024")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--tokenizer", default="local", choices=["local", "jbert"],
                   help="build the vocab here (local) or with `jbert tokenizer train`")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work")
    p.add_argument("--repeats", type=int, default=1,
                   help="rounds of all sides, interleaved; each side keeps its fastest (for busy machines)")


def result_name(base: str, args: argparse.Namespace, full_size: bool) -> str:
    """``finetune`` for the default full-size CPU run; otherwise suffixed so runs never overwrite it."""
    parts = [base]
    parts += [v for v, default in ((args.task, "jsts"), (args.size, "small"), (args.device, "cpu"),
                                   (args.precision, "fp32")) if v != default]
    if not full_size:
        parts.append("quick" if getattr(args, "quick", False) else "partial")
    return "-".join(parts)


def clean_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def _key(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:10]


# ------------------------------------------------------------------------------------------- data
def read_jglue(jglue_dir: Path, task: str, split: str) -> Any:
    path = Path(jglue_dir) / JGLUE_FILES[task].format(split=split)
    if not path.exists():
        raise SystemExit(f"{path} not found: pass --jglue-dir DIR (the directory holding {JGLUE_FILES[task].split('/')[0]}/)")
    if task == "jsquad":
        return json.loads(path.read_text(encoding="utf-8"))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _squad_slice(articles: list[dict], max_questions: int | None) -> dict:
    """Whole paragraphs, in order, until ``max_questions`` questions are in."""
    out, n = [], 0
    for art in articles:
        paragraphs = []
        for par in art["paragraphs"]:
            if max_questions is not None and n >= max_questions:
                break
            paragraphs.append(par)
            n += len(par["qas"])
        if paragraphs:
            out.append({**art, "paragraphs": paragraphs})
    return {"version": "v1.3", "data": out}


def write_data(args: argparse.Namespace, workdir: Path) -> tuple[Path, Path]:
    """JSTS: train and valid heads. JSQuAD (no train split here): valid articles split 80/20."""
    if args.task == "jsquad":
        articles = read_jglue(args.jglue_dir, "jsquad", "valid")["data"]
        cut = len(articles) * 4 // 5
        train, valid = workdir / "train.json", workdir / "valid.json"
        train.write_text(json.dumps(_squad_slice(articles[:cut], args.limit), ensure_ascii=False), encoding="utf-8")
        valid.write_text(json.dumps(_squad_slice(articles[cut:], args.valid_limit), ensure_ascii=False),
                         encoding="utf-8")
        return train, valid
    train_rows = read_jglue(args.jglue_dir, args.task, "train")[: args.limit]
    valid_rows = read_jglue(args.jglue_dir, args.task, "valid")[: args.valid_limit]
    return write_jsonl(train_rows, workdir / "train.jsonl"), write_jsonl(valid_rows, workdir / "valid.jsonl")


# -------------------------------------------------------------------------------------- tokenizer
def _vocab_text(args: argparse.Namespace) -> list[str]:
    rows = read_jglue(args.jglue_dir, "jsts", "train")
    return [r[k] for r in rows for k in ("sentence1", "sentence2")]


def build_vocab(lines: list[str], size: int) -> list[str]:
    """Specials, every character (plain and ##-continued), then the most frequent MeCab words."""
    import fugashi
    import unidic_lite

    tagger = fugashi.GenericTagger(f'-d "{unidic_lite.DICDIR}" -r /dev/null')
    chars: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for line in lines:
        for w in tagger(unicodedata.normalize("NFKC", line)):
            words[w.surface] += 1
            chars.update(w.surface)
    vocab = SPECIALS + sorted(chars) + ["##" + c for c in sorted(chars)]
    seen = set(vocab)
    for w, _ in words.most_common():
        if len(vocab) >= size:
            break
        if len(w) > 1 and w not in seen:
            vocab.append(w)
            seen.add(w)
    return vocab


TOKENIZER_CONFIG = {
    "tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": False, "word_tokenizer_type": "mecab",
    "subword_tokenizer_type": "wordpiece", "mecab_kwargs": {"mecab_dic": "unidic_lite"},
    "model_max_length": 512, "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
    "cls_token": "[CLS]", "mask_token": "[MASK]",
}


def build_tokenizer(args: argparse.Namespace, out: Path) -> Path:
    if (out / "vocab.txt").exists():
        return out
    clean_dir(out)
    if args.tokenizer == "jbert":
        corpus = write_jsonl([], out.parent / "unused.jsonl").with_name("vocab-corpus.txt")
        corpus.write_text("\n".join(_vocab_text(args)) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "jbert", "tokenizer", "train", str(corpus), "--type", "mecab-wordpiece",
               "--vocab-size", str(args.vocab_size), "--output", str(out)]
        subprocess.run(cmd, check=True)
        return out
    (out / "vocab.txt").write_text("\n".join(build_vocab(_vocab_text(args), args.vocab_size)) + "\n",
                                   encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CONFIG, ensure_ascii=False, indent=2),
                                               encoding="utf-8")
    return out


# ------------------------------------------------------------------------------------------ model
def build_model(args: argparse.Namespace, tokenizer_dir: Path, out: Path) -> dict[str, int]:
    """Random BERT of ``--size`` with the task's head, saved with the tokenizer files."""
    import torch
    from transformers import BertConfig, BertForQuestionAnswering, BertForSequenceClassification

    shape_file = out / "benchmark_shape.json"
    if shape_file.exists():
        return json.loads(shape_file.read_text(encoding="utf-8"))
    clean_dir(out)
    vocab_size = len((tokenizer_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    config = BertConfig(vocab_size=vocab_size, max_position_embeddings=512, **C.SIZES[args.size])
    torch.manual_seed(args.seed)
    if args.task == "jsquad":
        model = BertForQuestionAnswering(config)
    else:
        config.num_labels, config.problem_type = 1, "regression"
        model = BertForSequenceClassification(config)
    model.save_pretrained(out)
    for f in tokenizer_dir.iterdir():
        shutil.copy(f, out / f.name)
    shape = asdict(C.ModelShape.of(model))
    shape_file.write_text(json.dumps(shape), encoding="utf-8")
    return shape


def prepare(args: argparse.Namespace) -> Setup:
    workdir = Path(args.workdir) / f"{args.task}-{args.size}-{args.limit}-{args.valid_limit}"
    workdir.mkdir(parents=True, exist_ok=True)
    train, valid = write_data(args, workdir)
    tok_dir = build_tokenizer(args, Path(args.workdir) / f"tokenizer-{_key(args.tokenizer, args.vocab_size)}")
    model_dir = Path(args.workdir) / f"model-{_key(args.task, args.size, args.seed, args.tokenizer, args.vocab_size)}"
    shape = build_model(args, tok_dir, model_dir)
    return Setup(workdir, train, valid, tok_dir, model_dir, shape)


# ---------------------------------------------------------------------------------- measurements
def token_lengths(setup: Setup, max_length: int) -> dict[str, list[int]]:
    """Real (non-pad) token counts per JSTS pair, as the model sees them (truncated at max_length)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(setup.model_dir, model_input_names=C.BERT_INPUTS)
    out = {}
    for split, path in (("train", setup.train), ("valid", setup.valid)):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        enc = tok([r["sentence1"] for r in rows], [r["sentence2"] for r in rows], truncation=True,
                  max_length=max_length)
        out[split] = [len(ids) for ids in enc["input_ids"]]
    return out


def read_metrics(output_dir: Path) -> dict[str, float]:
    """Final validation metrics from a jbert output directory (whichever metrics file it wrote)."""
    for name in ("metrics.json", "eval_metrics.json", "valid_metrics.json", "all_results.json"):
        path = output_dir / name
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            flat = next((data[k] for k in ("final", "valid", "metrics") if isinstance(data.get(k), dict)), data)
            return {k.removeprefix("eval_"): v for k, v in flat.items() if isinstance(v, (int, float))}
    return {}


def jbert_feature_lengths(setup: Setup, args: argparse.Namespace) -> dict[str, list[int]]:
    """Real token counts of the features jbert itself trains on: any task (QA windows included),
    for tasks the reference side cannot run."""
    from jbert.config.encoding import EncodeOptions
    from jbert.config.tasks import load_spec
    from jbert.finetuning.run import make_head, read_examples
    from jbert.tokenization import load_tokenizer

    spec = load_spec(args.task)
    tokenizer = load_tokenizer(setup.model_dir)
    examples = {"train": read_examples(setup.train, spec), "valid": read_examples(setup.valid, spec)}
    head = make_head(spec, examples["train"])
    options = EncodeOptions(max_length=args.max_length)
    return {split: [len(f["input_ids"]) for f in head.encode(ex, tokenizer, options)]
            for split, ex in examples.items()}
