"""Fine-tuning end to end (start-up + tokenize + train + evaluate + save): jbert vs the JGLUE recipe.

Same run, same machine, same data, same initial weights, same hyperparameters:

  reference  the JGLUE recipe as users run it today: ``run_glue.py``-style ``transformers.Trainer``
             + ``BertJapaneseTokenizer`` + ``padding="max_length"`` (max_length 128), ``datasets.map``
  dynamic    the same Trainer with dynamic padding + length-grouped batches (a hand-tuned middle point)
  jbert      ``jbert finetune jsts``: the CLI, in its own process, with jbert.finetuning.run's stage
             functions wrapped by timers (see JBERT_STAGES)

Each side runs in its own fresh Python process, so each pays its own start-up. Prints the stage
wall times, real (non-pad) tokens/s, validation Pearson/Spearman and MFU against the ceiling
measured by bench_ceiling.py; writes ``benchmarks/out/finetune[-...].json`` (suffixed unless the
run is the full default one, so partial runs never overwrite it).

    python benchmarks/bench_finetune.py                 # 3,000 JSTS pairs, L4/H256 (the issue's setup)
    python benchmarks/bench_finetune.py --quick         # 300 pairs, ~1 minute: for development
    python benchmarks/bench_finetune.py --device cuda --precision bf16 --size base   # on a GPU
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import _setup as S  # noqa: E402

SIDES = ("reference", "dynamic", "jbert")  # + C.BF16_SIDE (`--set training.precision=bf16`) on CPUs with native bf16


# ------------------------------------------------------------------------- reference (child side)
def reference_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The JGLUE recipe (run_glue.py as JGLUE's README runs it), stage by stage, in this process.

    ``spec["dynamic"]`` switches to dynamic padding + length-grouped batches.
    """
    stages = C.Stages()
    with stages("startup"):
        import torch
        from datasets import load_dataset
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(spec["seed"])
        tokenizer = AutoTokenizer.from_pretrained(spec["model_dir"], model_input_names=C.BERT_INPUTS)
        model = AutoModelForSequenceClassification.from_pretrained(spec["model_dir"], num_labels=1)
    with stages("tokenize"):
        raw = load_dataset("json", data_files={"train": spec["train"], "validation": spec["valid"]},
                           cache_dir=spec["cache_dir"])
        padding = False if spec["dynamic"] else "max_length"

        def preprocess(batch: dict[str, list]) -> dict[str, list]:
            out = tokenizer(batch["sentence1"], batch["sentence2"], padding=padding,
                            max_length=spec["max_length"], truncation=True)
            out["label"] = [float(x) for x in batch["label"]]
            return out

        data = raw.map(preprocess, batched=True, remove_columns=raw["train"].column_names)
    with stages("startup"):
        trainer = _reference_trainer(spec, model, tokenizer, data)
    with stages("train"):
        train_loss = trainer.train().training_loss
    with stages("evaluate"):
        metrics = trainer.evaluate()
    with stages("save"):
        trainer.save_model(spec["output_dir"])
    return {
        "stages": stages.seconds,
        "metrics": {"pearson": metrics["eval_pearson"], "spearman": metrics["eval_spearman"],
                    "loss": metrics["eval_loss"]},
        "train_loss": train_loss,
        "train_lengths": [sum(m) for m in data["train"]["attention_mask"]],
        "valid_lengths": [sum(m) for m in data["validation"]["attention_mask"]],
        "padded_train_tokens": sum(len(x) for x in data["train"]["input_ids"]),
    }


def _reference_trainer(spec: dict[str, Any], model: Any, tokenizer: Any, data: Any) -> Any:
    import numpy as np
    from scipy.stats import pearsonr, spearmanr
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=spec["output_dir"], num_train_epochs=spec["epochs"], learning_rate=spec["lr"],
        per_device_train_batch_size=spec["batch_size"], per_device_eval_batch_size=spec["batch_size"],
        warmup_steps=spec["warmup_ratio"], weight_decay=spec["weight_decay"], seed=spec["seed"],
        eval_strategy="no", save_strategy="no", logging_steps=50, report_to="none", disable_tqdm=True,
        bf16=spec["precision"] == "bf16", use_cpu=spec["device"] == "cpu",
        train_sampling_strategy="group_by_length" if spec["dynamic"] else "random",
    )

    def compute_metrics(p: Any) -> dict[str, float]:
        preds = np.squeeze(p.predictions)
        return {"pearson": float(pearsonr(preds, p.label_ids)[0]),
                "spearman": float(spearmanr(preds, p.label_ids)[0])}

    return Trainer(model=model, args=args, train_dataset=data["train"], eval_dataset=data["validation"],
                   data_collator=DataCollatorWithPadding(tokenizer) if spec["dynamic"] else None,
                   processing_class=tokenizer, compute_metrics=compute_metrics)


# ---------------------------------------------------------------------------------- jbert side
# Functions of jbert.finetuning.run whose wall time makes a stage. They are looked up by name at call
# time inside run_finetune, so wrapping the module attributes times them without touching jbert;
# a name that no longer exists is simply not timed (its seconds fall into "other").
JBERT_STAGES = {
    "startup": ("start_run", "load_model"),
    "tokenize": ("read_examples", "encode_once"),
    "fit": ("fit",),
    "save": ("write_predictions", "save_finetuned"),
}


def jbert_args(setup: S.Setup, args: argparse.Namespace, output_dir: Path, precision: str | None = None) -> list[str]:
    """``jbert finetune`` arguments with the reference's model, data and hyperparameters."""
    overrides = {
        "training.epochs": args.epochs,
        "training.batch_size": args.batch_size,
        "training.learning_rate": args.lr,
        "training.warmup_ratio": args.warmup_ratio,
        "training.weight_decay": args.weight_decay,
        "training.seed": args.seed,
        "training.precision": precision or args.precision,
        "training.progress_bar": False,
        "encoding.max_length": args.max_length,
    }
    argv = ["finetune", args.task, "--model", str(setup.model_dir), "--train", str(setup.train),
            "--valid", str(setup.valid), "--output", str(output_dir)]
    for item in [f"{k}={v}" for k, v in overrides.items()] + (args.jbert_set or []):
        argv += ["--set", item]
    return argv


def jbert_child(argv: list[str], result_path: Path) -> None:
    """``jbert`` CLI in this process, with jbert.finetuning.run's stage functions timed."""
    stages = C.Stages()
    with stages("startup"):
        import jbert.finetuning.run as F
        from jbert.cli import main

    def timed(fn: Any, stage: str) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            with stages(stage):
                return fn(*a, **kw)
        return wrapper

    for stage, names in JBERT_STAGES.items():
        for name in names:
            if hasattr(F, name):
                setattr(F, name, timed(getattr(F, name), stage))
    try:
        main(argv)
    except SystemExit as exc:
        if exc.code:
            raise
    result_path.write_text(json.dumps({"stages": stages.seconds}), encoding="utf-8")


def profile_jbert(setup: S.Setup, args: argparse.Namespace) -> None:
    """Run the jbert side once more under cProfile (untimed) and print where its seconds go."""
    out = setup.workdir / "run-jbert-profile"
    S.clean_dir(out)
    prof = setup.workdir / "jbert.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "jbert", *jbert_args(setup, args, out)]
    C.run_timed(cmd, log=setup.workdir / "jbert-profile.log")
    print("\njbert under cProfile (cumulative seconds, profiler overhead included):")
    print(C.profile_summary(prof))


def jbert_result(output_dir: Path, stages: dict[str, float]) -> dict[str, Any]:
    """Scores from ``metrics.json``; fit's seconds split into train and evaluate.

    The Trainer's ``train_runtime`` includes the evaluations it ran during training (each logged
    with its ``eval_runtime``), so train = train_runtime minus those, and evaluate = the rest of
    fit: every evaluation, checkpoint saving and the best-model reload.
    """
    train = loss = None
    evals_in_train = 0.0
    log = output_dir / "train_log.jsonl"
    if log.exists():
        for row in map(json.loads, log.read_text(encoding="utf-8").splitlines()):
            if "eval_runtime" in row and train is None:
                evals_in_train += float(row["eval_runtime"])
            if "train_runtime" in row:
                train, loss = float(row["train_runtime"]) - evals_in_train, row.get("train_loss")
    fit = stages.pop("fit", None)
    if fit is not None and train is not None:
        stages["train"], stages["evaluate"] = train, fit - train
    return {"stages": stages, "metrics": S.read_metrics(output_dir), "train_loss": loss}


# ----------------------------------------------------------------------------------- one side
def run_side(side: str, setup: S.Setup, args: argparse.Namespace) -> dict[str, Any]:
    """Run one side in a fresh process; wall time and peak RSS measured from outside."""
    out = setup.workdir / f"run-{side}"
    S.clean_dir(out)
    log = setup.workdir / f"{side}.log"
    result_path = setup.workdir / f"{side}-result.json"
    if side.startswith("jbert"):
        precision = "bf16" if side == C.BF16_SIDE else None
        cmd = [sys.executable, __file__, "--child-jbert", str(result_path), "--",
               *jbert_args(setup, args, out, precision)]
        wall, rss = C.run_timed(cmd, log=log)
        result = jbert_result(out, json.loads(result_path.read_text(encoding="utf-8"))["stages"])
    else:
        spec = {**vars(args), "dynamic": side == "dynamic", "model_dir": str(setup.model_dir),
                "train": str(setup.train), "valid": str(setup.valid), "output_dir": str(out),
                "cache_dir": str(out / "datasets-cache")}
        spec_path = setup.workdir / f"{side}-spec.json"
        spec_path.write_text(json.dumps(spec, default=str), encoding="utf-8")
        cmd = [sys.executable, __file__, "--child", str(spec_path), str(result_path)]
        wall, rss = C.run_timed(cmd, log=log)
        result = json.loads(result_path.read_text(encoding="utf-8"))
    result["wall"] = wall
    result["peak_rss_mib"] = rss
    # whatever the side did not time itself (interpreter start, imports, model load, saving)
    result["stages"]["other"] = max(0.0, wall - sum(v for k, v in result["stages"].items() if k != "other"))
    return result


# -------------------------------------------------------------------------------------- report
def summarise(results: dict[str, dict], lengths: dict[str, list[int]], setup: S.Setup,
              args: argparse.Namespace, ceiling: float | None) -> dict[str, Any]:
    shape = C.ModelShape(**setup.shape)
    train_tokens = sum(lengths["train"]) * args.epochs
    valid_tokens = sum(lengths["valid"])
    work = C.train_flops(shape, lengths["train"]) * args.epochs + C.forward_flops(shape, lengths["valid"])
    for r in results.values():
        train_s = r["stages"].get("train")
        r["train_tokens_per_s"] = train_tokens / train_s if train_s else None
        r["tokens_per_s"] = (train_tokens + valid_tokens) / r["wall"]
        r["train_mfu"] = C.mfu(C.train_flops(shape, lengths["train"]) * args.epochs, train_s or 0, ceiling)
        r["mfu"] = C.mfu(work, r["wall"], ceiling)
    ref = results.get("reference", {})
    if "padded_train_tokens" in ref:
        ref["padding_share"] = 1 - sum(lengths["train"]) / ref["padded_train_tokens"]
    return {
        "config": {k: v for k, v in vars(args).items() if k not in ("child", "workdir")},
        "model": shape.to_dict(),
        "rows": {"train": len(lengths["train"]), "valid": len(lengths["valid"])},
        "real_tokens": {"train": train_tokens, "valid": valid_tokens},
        "ceiling_gflops": ceiling,
        "sides": results,
        "speedup": {s: C.ratio(results["reference"]["wall"], r["wall"])
                    for s, r in results.items() if "reference" in results},
    }


def _metric_names(sides: dict[str, dict]) -> list[str]:
    names = {m for s in sides.values() for m in s["metrics"] if m not in ("epoch", "step")}
    return sorted(names)


def print_report(summary: dict[str, Any]) -> None:
    sides = summary["sides"]
    stage_names = ["tokenize", "train", "evaluate", "save"]
    header = ["", *sides]
    rows: list[list[Any]] = [["start-up + other s", *(s["stages"].get("startup", 0) + s["stages"]["other"]
                                                      for s in sides.values())]]
    rows += [[f"{n} s", *(s["stages"].get(n) for s in sides.values())] for n in stage_names]
    rows += [
        ["total wall s", *(s["wall"] for s in sides.values())],
        ["speed-up vs reference", *(summary["speedup"].get(k) for k in sides)],
        ["real tokens/s (train)", *(s["train_tokens_per_s"] for s in sides.values())],
        ["real tokens/s (end to end)", *(s["tokens_per_s"] for s in sides.values())],
        ["MFU train (real tokens)", *(s["train_mfu"] for s in sides.values())],
        ["MFU end to end", *(s["mfu"] for s in sides.values())],
        *[[f"valid {m}", *(s["metrics"].get(m) for s in sides.values())] for m in _metric_names(sides)],
        ["train loss", *(s.get("train_loss") for s in sides.values())],
        ["peak RSS MiB", *(s["peak_rss_mib"] for s in sides.values())],
    ]
    print(C.table(rows, header))
    ref = sides.get("reference", {})
    if "padding_share" in ref:
        print(f"reference: {ref['padding_share']:.0%} of the training tokens are padding")
    print(f"ceiling: {C.fmt(summary['ceiling_gflops'])} GFLOP/s; model {summary['model']}; sequences {summary['rows']}")


# ---------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    S.add_common_args(p)
    p.add_argument("--limit", type=int, default=3000, help="training rows (default 3000)")
    p.add_argument("--valid-limit", type=int, default=None, help="validation rows (default: all 1,457)")
    p.add_argument("--quick", action="store_true", help="300 train / 200 valid rows: a development run")
    C.add_sides_option(p, SIDES)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.0, help="run_glue's default")
    p.add_argument("--jbert-set", action="append", metavar="KEY=VALUE",
                   help="extra `jbert finetune --set` override, e.g. training.group_by_length=true")
    p.add_argument("--profile", action="store_true", help="also profile the jbert side (untimed run)")
    p.add_argument("--child", nargs=2, metavar=("SPEC", "RESULT"), help=argparse.SUPPRESS)
    p.add_argument("--child-jbert", metavar="RESULT", help=argparse.SUPPRESS)
    p.add_argument("jbert_argv", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.limit, args.valid_limit = min(args.limit, 300), args.valid_limit or 200
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_jbert:
        jbert_child(args.jbert_argv, Path(args.child_jbert))
        return 0
    if args.child:
        spec = json.loads(Path(args.child[0]).read_text(encoding="utf-8"))
        Path(args.child[1]).write_text(json.dumps(reference_child(spec)), encoding="utf-8")
        return 0
    sides, full = C.choose_sides(args.sides, SIDES, args.device, args.precision)
    if args.task != "jsts":
        sides = [s for s in sides if s.startswith("jbert")]
        print(f"{args.task}: jbert only (BertJapaneseTokenizer has no offsets, so the reference cannot run it)")
    ceiling = C.ensure_ceiling(args.device, args.precision)
    start = time.perf_counter()
    setup = S.prepare(args)
    print(f"prepared data, tokenizer and initial model in {time.perf_counter() - start:.1f}s: {setup.workdir}")
    results = C.best_of(sides, args.repeats, lambda side: run_side(side, setup, args))
    ref = results.get("reference") or results.get("dynamic")
    if ref:
        lengths = {"train": ref["train_lengths"], "valid": ref["valid_lengths"]}
    else:
        lengths = S.token_lengths(setup, args.max_length) if args.task == "jsts" else S.jbert_feature_lengths(setup, args)
    for r in results.values():
        r.pop("train_lengths", None), r.pop("valid_lengths", None)
    summary = summarise(results, lengths, setup, args, ceiling)
    print_report(summary)
    if args.profile and "jbert" in sides:
        profile_jbert(setup, args)
    name = S.result_name("finetune", args, full_size=args.limit == 3000 and args.valid_limit is None)
    if sides != full or args.jbert_set:  # never overwrite the full comparison with a partial one
        name += "-" + "+".join(sides) + ("-" + "-".join(args.jbert_set or []).replace("=", "_") if args.jbert_set else "")
    print(f"wrote {C.write_result(name, summary).relative_to(C.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
