"""Transfer from pre-training, measured: a mini BERT (L4/H256) pre-trained by ``jbert pretrain`` on the
bundled corpus (data/pretrain, 2.5 MB) for a time budget, then fine-tuned on ALL JSTS train pairs,
against the same fine-tuning from the same random weights. Reports both validation Pearsons (the
full JSTS valid split, whose sentences are kept out of the corpus) and the time each stage took.

The budget is turned into a step count before training (the linear schedule needs to know its end):
a 10-step probe measures this machine's seconds per step now, ``--minutes`` is divided by it.

    python benchmarks/bench_transfer.py                   # 10 minutes of pre-training
    python benchmarks/bench_transfer.py --minutes 15
    python benchmarks/bench_transfer.py --pretrain-steps 300 --finetune-epochs 1   # fixed work
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

CORPUS = sorted((C.REPO / "data" / "pretrain").glob("*.txt"))
JBERT = [sys.executable, "-m", "jbert"]
QUIET = ["--set", "training.progress_bar=false"]


def jbert(*args: Any, log: Path) -> float:
    wall, _ = C.run_timed([*JBERT, *map(str, args)], log=log)
    return wall


def pretrain(work: Path, model: Path, out: Path, steps: int, args: argparse.Namespace) -> float:
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return jbert("pretrain", *CORPUS, "--model", model, "--output", out, "--max-steps", steps, "--batch-size",
                 args.batch_size, "--max-length", 128, "--lr", args.pretrain_lr, "--eval-steps", max(steps, 1),
                 "--seed", args.seed, "--precision", args.precision, *QUIET,
                 "--set", f"corpus.cache_dir={work / 'cache'}",
                 "--set", "training.logging_steps=50", log=work / f"{out.name}.log")


def finetune(work: Path, model: Path, name: str, args: argparse.Namespace) -> tuple[float, dict]:
    out = work / name
    subprocess.run(["rm", "-rf", str(out)], check=True)
    wall = jbert("finetune", "jsts", "--model", model, "--output", out, "--jglue-dir", args.jglue_dir,
                 "--epochs", args.finetune_epochs, "--batch-size", 32, "--learning-rate", args.finetune_lr,
                 "--seed", args.seed, *QUIET, log=work / f"{name}.log")
    return wall, json.loads((out / "metrics.json").read_text(encoding="utf-8"))["final"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="pre-training budget (wall clock, this machine now)")
    p.add_argument("--pretrain-steps", type=int, default=None, help="fixed steps instead of --minutes")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--pretrain-lr", type=float, default=5e-4)
    p.add_argument("--finetune-epochs", type=float, default=2.0)
    p.add_argument("--finetune-lr", type=float, default=2e-4)
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--jglue-dir", type=Path, default=C.DEFAULT_JGLUE)
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work" / "transfer")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="pre-training precision; auto: bf16 where it is native (GPU, AVX512-BF16/AMX CPU), else "
                        "fp32 (about twice the steps in the same minutes). Fine-tuning stays fp32 on both sides")
    args = p.parse_args(argv)
    if args.precision == "auto":
        from jbert.config.precision import cpu_has_bf16

        args.precision = "bf16" if cpu_has_bf16() else "fp32"
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    tok, init = work / "tokenizer", work / "model-init"
    if not (init / "config.json").exists():
        jbert("tokenizer", "train", *CORPUS, "--vocab-size", args.vocab_size, "--output", tok, log=work / "tok.log")
        jbert("model", "init", "--tokenizer", tok, "--size", "mini", "--output", init, log=work / "init.log")
    steps = args.pretrain_steps
    if steps is None:  # probe: 10 steps and 30 steps; the difference is the cost of 20 steps alone
        short, long_ = (pretrain(work, init, work / f"probe-{n}", n, args) for n in (10, 30))
        per_step = max((long_ - short) / 20, 1e-3)
        startup = max(short - 10 * per_step, 0.0)
        steps = max(10, int((args.minutes * 60 - startup) / per_step))
        print(f"probe: {per_step:.2f} s/step, {startup:.0f} s start-up -> {steps} steps in {args.minutes:g} min")
    start = time.perf_counter()
    pre_wall = pretrain(work, init, work / "model-pretrained", steps, args)
    pre = json.loads((work / "model-pretrained" / "metrics.json").read_text(encoding="utf-8"))
    random_wall, random_scores = finetune(work, init, "jsts-from-random", args)
    pretrained_wall, pretrained_scores = finetune(work, work / "model-pretrained", "jsts-from-pretrained", args)
    summary = {"config": {k: v for k, v in vars(args).items() if k != "workdir"}, "pretrain_steps": steps,
               "pretrain_tokens": steps * args.batch_size * 128, "pretrain_wall_s": pre_wall,
               "pretrain_final": pre["final"], "corpus": pre["corpus"],
               "from_random": {"wall_s": random_wall, **random_scores},
               "from_pretrained": {"wall_s": pretrained_wall, **pretrained_scores},
               "total_s": time.perf_counter() - start}
    print(C.table([["pre-training", "-", "-", "-", pre_wall],
                   ["JSTS from random weights", random_scores["pearson"], random_scores["spearman"],
                    random_scores.get("loss"), random_wall],
                   ["JSTS from pre-trained weights", pretrained_scores["pearson"], pretrained_scores["spearman"],
                    pretrained_scores.get("loss"), pretrained_wall]],
                  ["", "valid Pearson", "valid Spearman", "valid loss", "wall s"]))
    print(f"pre-training ({args.precision}, lr {args.pretrain_lr:g}): {steps} steps x {args.batch_size} x 128 tokens, held-out MLM loss "
          f"{pre['final'].get('mlm_loss', float('nan')):.3f}, masked-token accuracy {pre['final'].get('accuracy', 0):.3f}")
    print(f"results: {C.write_result('transfer', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
