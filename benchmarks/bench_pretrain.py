"""Masked-LM pre-training end to end (start-up + tokenize + pack + train + evaluate + save):
``jbert pretrain`` vs the ``run_mlm.py`` recipe users run today.

Same run, same machine, same corpus and held-out file, same initial weights (one ``jbert model
init`` mini BERT, L4/H256, with its MLM head, over the vocabulary ``jbert tokenizer train`` makes of the
corpus with ``--vocab-size``), same steps, batch, block length and optimiser:

  reference  ``run_mlm.py`` as its README runs it: ``datasets`` text loader, the slow
             ``BertJapaneseTokenizer`` (``AutoTokenizer``), ``group_texts`` packing,
             ``DataCollatorForLanguageModeling`` (token masking), ``Trainer``; evaluated at the end
  jbert      ``jbert pretrain --masking token``: the like-for-like side (the loss of token masking
             is what the reference's is)
  jbert-wwm  ``jbert pretrain`` with its default whole-word masking (a harder task: its loss is
             higher by design, so only its time compares)
  jbert-bf16 ``jbert pretrain --precision bf16`` (whole-word): only where bf16 is native (a GPU, or
             a CPU with AVX512-BF16 / AMX); bf16 against the reference's fp32, reported beside
             the fp32 ratio
  reference-bf16  the recipe with run_mlm.py's ``--bf16`` (Trainer autocast), same condition: the
             like-for-like partner of jbert-bf16

Each side runs in its own fresh Python process and pays its own start-up; the corpus caches of
both are cleared before each run, so tokenizing is timed too. Prints wall time, training tokens/s,
MFU (against bench_ceiling.py's measured peak) and the held-out masked-LM loss; writes
``benchmarks/out/pretrain[-quick].json``.

    python benchmarks/bench_pretrain.py            # 200 steps x 32 blocks x 128 tokens
    python benchmarks/bench_pretrain.py --quick    # 20 steps, for development
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

CORPUS = sorted((C.REPO / "data" / "pretrain").glob("*.txt"))
SIDES = ("reference", "jbert", "jbert-wwm", "jbert-bf16", "reference-bf16")
MLM_PROBABILITY = 0.15  # both sides: the recipe's DataCollatorForLanguageModeling and jbert pretrain's default
# jbert-bf16: whole-word masking with --precision bf16, run only on a GPU or a CPU with native bf16
# (AVX512-BF16 / AMX); against the reference in fp32, so it is reported beside the fp32 ratio, not instead.
# reference-bf16: the same recipe with run_mlm.py's --bf16 (Trainer autocast), the like-for-like bf16 pair
HOLD_OUT_EVERY = 50  # every 50th line of the corpus is held out (both sides score the same text)


# ------------------------------------------------------------------------- reference (child side)
def reference_child(spec: dict[str, Any]) -> dict[str, Any]:
    """run_mlm.py's flow (not line_by_line), in this process."""
    import torch
    from datasets import load_dataset
    from transformers import (
        AutoModelForMaskedLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainingArguments,
    )

    torch.manual_seed(spec["seed"])
    tokenizer = AutoTokenizer.from_pretrained(spec["model_dir"])  # BertJapaneseTokenizer: slow, MeCab
    raw = load_dataset("text", data_files={"train": spec["train"], "validation": spec["valid"]},
                       cache_dir=spec["cache_dir"])
    tokenized = raw.map(lambda b: tokenizer(b["text"], return_special_tokens_mask=True), batched=True,
                        remove_columns=["text"])
    block = spec["max_length"]

    def group_texts(examples: dict[str, list]) -> dict[str, list]:  # run_mlm.py's, verbatim in spirit
        concatenated = {k: sum(examples[k], []) for k in examples}
        total = (len(concatenated["input_ids"]) // block) * block
        return {k: [t[i: i + block] for i in range(0, total, block)] for k, t in concatenated.items()}

    lm = tokenized.map(group_texts, batched=True)
    model = AutoModelForMaskedLM.from_pretrained(spec["model_dir"])
    args = TrainingArguments(output_dir=spec["output_dir"], max_steps=spec["steps"],
                             per_device_train_batch_size=spec["batch_size"], per_device_eval_batch_size=64,
                             learning_rate=spec["lr"], warmup_steps=0.06, weight_decay=0.01, seed=spec["seed"],
                             logging_steps=50, save_strategy="no", report_to="none", use_cpu=spec["device"] == "cpu",
                             disable_tqdm=True, bf16=spec.get("bf16", False))
    trainer = Trainer(model=model, args=args, train_dataset=lm["train"], eval_dataset=lm["validation"],
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm_probability=MLM_PROBABILITY),
                      processing_class=tokenizer)
    train = trainer.train()
    metrics = trainer.evaluate()
    trainer.save_model(spec["output_dir"])
    return {"train_runtime": train.metrics["train_runtime"], "mlm_loss": metrics["eval_loss"],
            "train_blocks": len(lm["train"])}


# ----------------------------------------------------------------------------------- one side
def prepare(args: argparse.Namespace) -> dict[str, Path]:
    """Train/held-out files, a tokenizer trained on the corpus and one random mini BERT for both sides."""
    work = args.workdir / f"pretrain-{args.vocab_size}"  # the tokenizer and model depend on it
    work.mkdir(parents=True, exist_ok=True)
    lines = [line for path in CORPUS for line in path.read_text(encoding="utf-8").splitlines()]
    files = {"train": work / "train.txt", "valid": work / "valid.txt"}
    files["train"].write_text("\n".join(x for i, x in enumerate(lines) if i % HOLD_OUT_EVERY) + "\n", encoding="utf-8")
    files["valid"].write_text("\n".join(x for i, x in enumerate(lines[::HOLD_OUT_EVERY]) if x.strip()) + "\n",
                              encoding="utf-8")
    tok, model = work / "tokenizer", work / "model-init"
    jbert = [sys.executable, "-m", "jbert"]
    if not (model / "config.json").exists():
        subprocess.run([*jbert, "tokenizer", "train", *map(str, CORPUS), "--vocab-size", str(args.vocab_size),
                        "--output", str(tok)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*jbert, "model", "init", "--tokenizer", str(tok), "--size", "mini", "--output", str(model)],
                       check=True, stdout=subprocess.DEVNULL)
    return {**files, "work": work, "model": model}


def _has_bf16(device: str) -> bool:
    from jbert.config.precision import cpu_has_bf16

    return device == "cuda" or cpu_has_bf16()


def run_side(side: str, paths: dict[str, Path], args: argparse.Namespace) -> dict[str, Any]:
    out = paths["work"] / f"run-{side}"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    log = paths["work"] / f"{side}.log"
    if side.startswith("jbert"):
        cmd = [sys.executable, "-m", "jbert", "pretrain", str(paths["train"]), "--model", str(paths["model"]),
               "--output", str(out), "--valid", str(paths["valid"]), "--max-steps", str(args.steps),
               "--batch-size", str(args.batch_size), "--max-length", str(args.max_length), "--lr", str(args.lr),
               "--seed", str(args.seed), "--eval-steps", str(args.steps), "--masking",
               "token" if side == "jbert" else "whole-word", "--set", "training.progress_bar=false",
               *(["--precision", "bf16"] if side == "jbert-bf16" else []),
               "--set", f"corpus.cache_dir={out / 'cache'}", "--set", "training.eval_batch_size=64"]
        wall, rss = C.run_timed(cmd, log=log)
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        rows = [json.loads(x) for x in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]
        evals = sum(r.get("eval_runtime", 0.0) for r in rows if "eval_runtime" in r and "train_runtime" not in r)
        train_runtime = next(r["train_runtime"] for r in rows if "train_runtime" in r) - evals
        result = {"train_runtime": train_runtime, "mlm_loss": metrics["final"]["mlm_loss"],
                  "accuracy": metrics["final"]["accuracy"], "train_blocks": metrics["corpus"]["train_blocks"]}
    else:
        spec = {**{k: v for k, v in vars(args).items() if k != "workdir"}, "model_dir": str(paths["model"]),
                "bf16": side == "reference-bf16",
                "train": str(paths["train"]), "valid": str(paths["valid"]), "output_dir": str(out),
                "cache_dir": str(out / "cache")}
        spec_path, result_path = paths["work"] / "reference-spec.json", paths["work"] / "reference-result.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        wall, rss = C.run_timed([sys.executable, __file__, "--child", str(spec_path), str(result_path)], log=log)
        result = json.loads(result_path.read_text(encoding="utf-8"))
    return {**result, "wall": wall, "peak_rss_mib": rss, "perplexity": math.exp(result["mlm_loss"])}


def summarise(results: dict[str, dict], paths: dict[str, Path], args: argparse.Namespace,
              ceiling: float | None) -> dict[str, Any]:
    from transformers import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(paths["model"])
    shape = C.ModelShape.of(model)
    # Count the work each side does. The encoder runs at every position in both sides; the prediction head
    # (its transform, then the decoder: hidden x vocab, tied to the word embeddings) runs at every position
    # in the reference's dense head but only at the masked ones (15%) in jbert's sparse head
    # (jbert/pretraining/sparse_head.py). Counting the dense head for jbert gave an MFU above 1.
    head = sum(p.numel() for n, p in model.named_parameters() if n.startswith(("cls.", "lm_head.")) and
               ".embeddings." not in f".{n}") + model.config.vocab_size * shape.hidden
    encoder = C.ModelShape(shape.layers, shape.hidden, shape.params - (head - model.config.vocab_size * shape.hidden),
                           shape.total_params)
    tokens = args.steps * args.batch_size * args.max_length
    encoder_flops = C.train_flops(encoder, [args.max_length] * args.steps * args.batch_size)
    for side, r in results.items():
        positions = tokens if side.startswith("reference") else MLM_PROBABILITY * tokens
        r["train_flops"] = encoder_flops + 3 * 2.0 * head * positions
        r["train_tokens_per_s"] = tokens / r["train_runtime"]
        r["train_mfu"] = C.mfu(r["train_flops"], r["train_runtime"], ceiling)
    ref = results.get("reference", {}).get("wall")
    return {"config": {k: v for k, v in vars(args).items() if k not in ("child", "workdir")},
            "model": shape.to_dict(), "train_tokens": tokens, "ceiling_gflops": ceiling, "sides": results,
            "speedup": {s: C.ratio(ref, r["wall"]) for s, r in results.items()}}


def print_report(summary: dict[str, Any]) -> None:
    sides = summary["sides"]
    rows = [["end to end s", *(s["wall"] for s in sides.values())],
            ["train s", *(s["train_runtime"] for s in sides.values())],
            ["train tokens/s", *(s["train_tokens_per_s"] for s in sides.values())],
            ["train MFU", *(s["train_mfu"] for s in sides.values())],
            ["held-out MLM loss", *(s["mlm_loss"] for s in sides.values())],
            ["peak RSS MiB", *(s["peak_rss_mib"] for s in sides.values())],
            ["speed-up vs reference", *(summary["speedup"].get(k) for k in sides)]]
    print(C.table(rows, ["", *sides]))
    if "jbert-bf16" in sides and "reference-bf16" in sides:  # the like-for-like bf16 pair
        print(f"jbert-bf16 vs reference-bf16 (both bf16): "
              f"{C.fmt(sides['reference-bf16']['wall'] / sides['jbert-bf16']['wall'])}x end to end")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-4)
    # jbert tokenizer train's default: 17,695 tokens on this corpus (too little text for 32k). The MLM head's
    # share of the step, which only jbert skips at unmasked positions, grows with it: 8000 gives the
    # smallest ratio (RESULTS.md has both)
    p.add_argument("--vocab-size", type=int, default=32768)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--sides", default=",".join(SIDES))
    p.add_argument("--quick", action="store_true", help="20 steps")
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        spec = json.loads(Path(args.child[0]).read_text(encoding="utf-8"))
        Path(args.child[1]).write_text(json.dumps(reference_child(spec)), encoding="utf-8")
        return 0
    if args.quick:
        args.steps = 20
    paths = prepare(args)
    ceiling = C.ensure_ceiling(args.device)
    sides = [s for s in args.sides.split(",") if not s.endswith("-bf16") or _has_bf16(args.device)]
    if len(sides) < len(args.sides.split(",")):
        print("bf16 sides skipped: this CPU has no native bf16 (AVX512-BF16 / AMX)")
    results = {side: run_side(side, paths, args) for side in sides}
    summary = summarise(results, paths, args, ceiling)
    print_report(summary)
    print(f"results: {C.write_result('pretrain' + ('-quick' if args.quick else ''), summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
