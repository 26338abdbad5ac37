"""The demo's pre-trained mini model, built in one place for every benchmark that needs a pre-trained
encoder (a distillation teacher, a bi-encoder or reranker to fine-tune) rather than random weights.

The same commands as scripts/demo.sh, through jbert's CLI: ``jbert tokenizer train`` (MeCab +
WordPiece, 6,000 words) on data/pretrain/*.txt, ``jbert model init --size mini`` (L4/H256/A4) and
``jbert pretrain`` (masked LM, whole-word masking, 32 blocks x 128 tokens). Two settings differ from
the demo's 160 steps at lr 1e-3, which leave the model on the early masked-LM plateau (320 steps at
1e-3: held-out loss 5.93, 6.7% of masked tokens right, and a bi-encoder or reranker fine-tuned from it
did worse than from random weights): 1,000 steps at lr 5e-4 (bench_transfer.py's rate, which a probe
found better than higher ones) reach 5.58 / 12.8% in about 13 minutes in bf16 on 2 CPU cores. The
result is cached under the work directory, keyed by those settings, so a second benchmark (or a
rerun) reuses it: ``build.json`` beside it says how long it took and what it scored on the held-out
lines.

    mini = pretrained_mini(args)          # after add_pretrain_args(parser)
    mini.init, mini.pretrained            # the random weights it started from, the pre-trained model
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common as C

CORPUS = sorted((C.REPO / "data" / "pretrain").glob("*.txt"))
JBERT = [sys.executable, "-m", "jbert"]
QUIET = ["--set", "training.progress_bar=false"]


@dataclass(frozen=True)
class Mini:
    init: Path  # `jbert model init --size mini`: random weights (with the masked-LM head)
    pretrained: Path  # `jbert pretrain` of init
    build: dict[str, Any]  # settings, wall seconds per stage, held-out MLM metrics


def add_pretrain_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the pre-trained mini model (shared, cached)")
    g.add_argument("--pretrain-steps", type=int, default=1000,
                   help="masked-LM steps of 32 x 128 tokens (demo: 160; 1,000 = about 6 passes over data/pretrain)")
    g.add_argument("--pretrain-lr", type=float, default=5e-4, help="peak learning rate (demo: 1e-3)")
    g.add_argument("--pretrain-precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="auto: bf16 where it is native (AVX512-BF16/AMX CPU, GPU), else fp32")
    g.add_argument("--pretrain-vocab-size", type=int, default=6000)
    g.add_argument("--pretrain-workdir", type=Path, default=C.OUT_DIR / "work",
                   help="the cache: <dir>/pretrained-mini-<settings key>/")


def resolve_precision(requested: str) -> str:
    """auto -> bf16 where it is native (a GPU, an AVX512-BF16/AMX CPU: about twice the steps per second
    on this benchmark CPU), else fp32; jbert's own auto keeps fp32 on every CPU."""
    if requested != "auto":
        return requested
    import torch

    from jbert.config.precision import cpu_has_bf16

    return "bf16" if torch.cuda.is_available() or cpu_has_bf16() else "fp32"


def settings(args: argparse.Namespace) -> dict[str, Any]:
    return {"steps": args.pretrain_steps, "lr": args.pretrain_lr, "precision": resolve_precision(args.pretrain_precision),
            "vocab_size": args.pretrain_vocab_size, "batch_size": 32, "max_length": 128, "seed": 42}


def pretrained_mini(args: argparse.Namespace) -> Mini:
    """The cached model for these settings, built first when it is not there (or was left half-built)."""
    cfg = settings(args)
    key = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:10]
    root = Path(args.pretrain_workdir) / f"pretrained-mini-{key}"
    mini = Mini(root / "model-init", root / "model-pretrained", {})
    done = root / "build.json"
    if done.is_file():
        print(f"pre-trained mini model: reusing {mini.pretrained}", flush=True)
        return Mini(mini.init, mini.pretrained, json.loads(done.read_text(encoding="utf-8")))
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"pre-trained mini model: building {mini.pretrained} ({cfg['steps']} steps, {cfg['precision']}) ...",
          flush=True)
    walls = _build(root, mini, cfg)
    metrics = json.loads((mini.pretrained / "metrics.json").read_text(encoding="utf-8"))["final"]
    build = {"settings": cfg, "wall_s": walls, "held_out": metrics, "machine": C.machine_info()}
    done.write_text(json.dumps(build, indent=2, default=str) + "\n", encoding="utf-8")
    return Mini(mini.init, mini.pretrained, build)


def _build(root: Path, mini: Mini, cfg: dict[str, Any]) -> dict[str, float]:
    def run(name: str, *argv: Any) -> float:
        wall, _ = C.run_timed([*JBERT, *map(str, argv)], log=root / f"{name}.log")
        return wall

    tok = root / "tokenizer"
    steps = cfg["steps"]
    return {
        "tokenizer": run("tokenizer", "tokenizer", "train", *CORPUS, "--type", "mecab-wordpiece",
                         "--vocab-size", cfg["vocab_size"], "--output", tok),
        "init": run("init", "model", "init", "--tokenizer", tok, "--size", "mini", "--output", mini.init),
        "pretrain": run("pretrain", "pretrain", *CORPUS, "--model", mini.init, "--output", mini.pretrained,
                        "--max-steps", steps, "--batch-size", cfg["batch_size"], "--max-length", cfg["max_length"],
                        "--learning-rate", cfg["lr"], "--eval-steps", steps, "--seed", cfg["seed"],
                        "--precision", cfg["precision"], *QUIET, "--set", f"corpus.cache_dir={root / 'corpus-cache'}",
                        "--set", "training.logging_steps=40"),
    }


def describe(mini: Mini) -> str:
    """One line for a benchmark's output: how the shared model was made."""
    cfg, held = mini.build.get("settings", {}), mini.build.get("held_out", {})
    walls = mini.build.get("wall_s", {})
    return (f"pre-trained mini (L4/H256): {cfg.get('steps')} steps x 32 x 128 tokens, {cfg.get('precision')}, "
            f"held-out MLM loss {held.get('mlm_loss', float('nan')):.3f}, masked-token accuracy "
            f"{held.get('accuracy', float('nan')):.3f}, built in {sum(walls.values()):.0f} s")
