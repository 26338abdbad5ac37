"""Prediction throughput and memory: ``jbert predict`` vs ``transformers.pipeline``, same model, same rows.

Sides (each a fresh process reading the same JSONL and writing one output row per input):

  pipeline   ``pipeline("text-classification", batch_size=32)`` over ``{"text", "text_pair"}`` dicts
             (``BertJapaneseTokenizer``): how users run a fine-tuned JSTS model today
  sorted     a hand-written loop: tokenize all, sort by length, dynamic padding, batches of 32,
             ``torch.inference_mode``; its forward passes alone are reported as "model alone"
  jbert      ``jbert predict --model DIR valid.jsonl --output out.jsonl``
  jbert-int8 the same on ``jbert export --format onnx --quantize int8`` of DIR (ONNX Runtime int8)
  jbert-torch-int8  the same on ``jbert export --format torch --quantize int8`` (torch dynamic int8)

The model is a jbert model directory: fine-tuned for one step from the random L4/H256 BERT
(throughput does not depend on the weights). Prints rows/s end to end (process start to
output written) and in the predict stage, inference MFU against bench_ceiling.py's peak, and
``jbert predict``'s peak RSS on N vs 10 x N rows (JSTS valid repeated): memory should stay flat.
The int8 sides print their agreement beside their speed: the figures ``jbert export`` recorded
(max/mean |delta| against the fp32 model) and the max |delta| of their output against the jbert
side's in this run. Also: the share of jbert's predict stage spent encoding (tokenization) and in
forward passes, and jbert's tokenizer against ``BertJapaneseTokenizer`` on the same pairs (ids
checked identical first).

    python benchmarks/bench_predict.py            # 1,457 JSTS valid pairs; memory on 20k vs 200k rows
    python benchmarks/bench_predict.py --quick    # 300 pairs; memory on 2k vs 20k rows
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import _setup as S  # noqa: E402

INT8_SIDES = {"jbert-int8": "onnx", "jbert-torch-int8": "torch"}  # side -> jbert export --format
SIDES = ("pipeline", "sorted", "jbert", *INT8_SIDES)  # + C.BF16_SIDE (`jbert predict --precision bf16`) on CPUs with native bf16


# ------------------------------------------------------------------------------ reference children
def _read_pairs(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_scores(path: str, rows: list[dict], scores: list[float]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row, score in zip(rows, scores, strict=True):
            f.write(json.dumps({**row, "score": score}, ensure_ascii=False) + "\n")


def _dtype(spec: dict[str, Any]) -> Any:
    """The reference sides load the weights in the run's precision (bf16/fp16 runs are GPU runs)."""
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[spec["precision"]]


def pipeline_child(spec: dict[str, Any]) -> dict[str, Any]:
    """``transformers.pipeline`` as its docs show it, batch_size=32."""
    stages = C.Stages()
    with stages("startup"):
        from transformers import AutoTokenizer, pipeline

        tok = AutoTokenizer.from_pretrained(spec["model_dir"], model_input_names=C.BERT_INPUTS)
        pipe = pipeline("text-classification", model=spec["model_dir"], tokenizer=tok, dtype=_dtype(spec),
                        batch_size=spec["batch_size"], device=spec["device"], function_to_apply="none")
    with stages("predict"):  # read, predict, write: everything after the model is loaded
        rows = _read_pairs(spec["input"])
        inputs = [{"text": r["sentence1"], "text_pair": r["sentence2"]} for r in rows]
        outputs = pipe(inputs, truncation=True, max_length=spec["max_length"])
        _write_scores(spec["output"], rows, [o["score"] for o in outputs])
    return {"stages": stages.seconds}


def sorted_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The best a user can do by hand: sorted, dynamically padded batches; forwards timed apart."""
    stages = C.Stages()
    with stages("startup"):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(spec["model_dir"], model_input_names=C.BERT_INPUTS)
        model = AutoModelForSequenceClassification.from_pretrained(spec["model_dir"], dtype=_dtype(spec))
        model = model.to(spec["device"]).eval()
    forward = C.Stages()
    with stages("predict"), torch.inference_mode():  # read, tokenize, forward, write
        rows = _read_pairs(spec["input"])
        enc = tok([r["sentence1"] for r in rows], [r["sentence2"] for r in rows], truncation=True,
                  max_length=spec["max_length"])
        order = sorted(range(len(rows)), key=lambda i: len(enc["input_ids"][i]))
        scores = [0.0] * len(rows)
        for start in range(0, len(order), spec["batch_size"]):
            idx = order[start: start + spec["batch_size"]]
            batch = tok.pad({k: [enc[k][i] for i in idx] for k in enc}, return_tensors="pt").to(spec["device"])
            with forward("model"):
                logits = model(**batch).logits[:, 0].float().cpu()
            for i, s in zip(idx, logits.tolist(), strict=True):
                scores[i] = s
        _write_scores(spec["output"], rows, scores)
    return {"stages": stages.seconds, "model_seconds": forward.seconds["model"],
            "lengths": [len(ids) for ids in enc["input_ids"]]}


def jbert_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The ``jbert predict`` CLI in this process, model loading timed apart from the streaming
    (read, encode, forward, write: one stage, as jbert interleaves them chunk by chunk)."""
    stages = C.Stages()
    with stages("startup"):  # the imports the other sides pay in their start-up too
        import torch  # noqa: F401
        import transformers  # noqa: F401

        import jbert.inference as I
        import jbert.models.directory as M
        from jbert.cli import main

    def timed(fn: Any, stage: str) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            with stages(stage):
                return fn(*a, **kw)
        return wrapper

    # both are looked up at call time (api.predict imports run_predict from jbert.inference,
    # run_predict imports load_finetuned from jbert.models.directory)
    M.load_finetuned = timed(M.load_finetuned, "load")
    I.run_predict = timed(I.run_predict, "run")
    _time_encode_and_forward(timed)
    try:
        main(spec["argv"])
    except SystemExit as exc:
        if exc.code:
            raise
    sec = stages.seconds
    return {"stages": {"startup": sec["startup"] + sec["load"], "predict": sec["run"] - sec["load"]},
            "encode_seconds": sec.get("encode", 0.0), "forward_seconds": sec.get("forward", 0.0)}


def _time_encode_and_forward(timed: Any) -> None:
    """Time each head.encode call (tokenization + features) and each Predictor.forward (the model)."""
    import jbert.inference.core as core

    init = core.Predictor.__init__

    def patched_init(self: Any, head: Any, *a: Any, **kw: Any) -> None:
        head.encode = timed(head.encode, "encode")  # the instance attribute shadows the method
        init(self, head, *a, **kw)

    core.Predictor.__init__ = patched_init
    core.Predictor.forward = timed(core.Predictor.forward, "forward")


CHILDREN = {"pipeline": pipeline_child, "sorted": sorted_child, "jbert": jbert_child, C.BF16_SIDE: jbert_child,
            **{side: jbert_child for side in INT8_SIDES}}


# ---------------------------------------------------------------------------------- parent side
def make_model_dir(setup: S.Setup, args: argparse.Namespace) -> Path:
    """A jbert model directory: ``jbert finetune`` for one optimizer step from the bench's initial BERT."""
    out = Path(args.workdir) / f"predict-model-{setup.model_dir.name}"
    if (out / "jbert_config.yaml").exists():
        return out
    S.clean_dir(out)
    rows = S.read_jglue(args.jglue_dir, "jsts", "train")[:64]
    train = S.write_jsonl(rows, out.parent / f"{out.name}-train.jsonl")
    S.clean_dir(out)
    cmd = [sys.executable, "-m", "jbert", "finetune", "jsts", "--model", str(setup.model_dir), "--train", str(train),
           "--output", str(out), "--max-steps", "1", "--set", "training.progress_bar=false"]
    C.run_timed(cmd, log=out.parent / f"{out.name}.log")
    return out


def make_export_dir(model_dir: Path, fmt: str, setup: S.Setup) -> Path:
    """``jbert export --quantize int8`` of the bench model, its agreement measured on this run's valid rows
    (one export per valid slice: --quick's 300 rows are not the full run's)."""
    out = setup.workdir / f"{model_dir.name}-{fmt}-int8"
    if (out / "jbert_export.json").exists():
        return out
    S.clean_dir(out)
    out.rmdir()
    cmd = [sys.executable, "-m", "jbert", "export", "--model", str(model_dir), "--output", str(out),
           "--format", fmt, "--quantize", "int8", "--data", str(setup.valid)]
    C.run_timed(cmd, log=out.parent / f"{out.name}.log")
    return out


def jbert_argv(model_dir: Path, inp: Path, out: Path, args: argparse.Namespace, side: str = "jbert") -> list[str]:
    precision = "bf16" if side == C.BF16_SIDE else args.precision
    return ["predict", "--model", str(model_dir), str(inp), "--output", str(out), "--batch-size",
            str(args.batch_size), "--device", args.device, "--max-length", str(args.max_length), "--no-progress",
            "--precision", precision]


def run_side(side: str, model_dirs: dict[str, Path], inp: Path, workdir: Path, args: argparse.Namespace
             ) -> dict[str, Any]:
    model_dir = model_dirs.get(side, model_dirs["jbert"])
    out = workdir / f"{side}-{inp.stem}.jsonl"
    log = workdir / f"{side}-{inp.stem}.log"
    spec = {"model_dir": str(model_dir), "input": str(inp), "output": str(out), "device": args.device,
            "precision": args.precision,
            "batch_size": args.batch_size, "max_length": args.max_length,
            "argv": jbert_argv(model_dir, inp, out, args, side)}
    spec_path, result_path = workdir / f"{side}-spec.json", workdir / f"{side}-result.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    wall, rss = C.run_timed([sys.executable, __file__, "--child", side, str(spec_path), str(result_path)], log=log)
    result = json.loads(result_path.read_text(encoding="utf-8"))
    rows_out = sum(1 for _ in out.open(encoding="utf-8"))
    return {**result, "wall": wall, "peak_rss_mib": rss, "rows_out": rows_out}


def repeated_input(src: Path, rows: int, dest: Path) -> Path:
    """``rows`` rows: ``src`` repeated, each copy with fresh ids."""
    base = _read_pairs(str(src))
    with dest.open("w", encoding="utf-8") as f:
        for i in range(rows):
            f.write(json.dumps({**base[i % len(base)], "sentence_pair_id": str(i)}, ensure_ascii=False) + "\n")
    return dest


def memory_check(model_dirs: dict[str, Path], sides: list[str], setup: S.Setup, args: argparse.Namespace
                 ) -> list[dict[str, Any]]:
    """Peak RSS of ``jbert predict`` (each jbert side asked for) on each size: flat memory means streaming works."""
    results = []
    for rows in args.memory_rows:
        inp = repeated_input(setup.valid, rows, setup.workdir / f"repeat-{rows}.jsonl")
        for side in (s for s in args.memory_sides if s in sides):
            r = run_side(side, model_dirs, inp, setup.workdir, args)
            results.append({"side": side, "rows": rows, "peak_rss_mib": r["peak_rss_mib"], "wall": r["wall"],
                            "rows_out": r["rows_out"]})
        inp.unlink()
    return results


def agreement(model_dirs: dict[str, Path], results: dict[str, dict], workdir: Path, stem: str) -> dict[str, Any]:
    """Per int8 side: what ``jbert export`` recorded, and max |delta| of its scores vs the jbert side's here."""
    out: dict[str, Any] = {}
    fp32 = workdir / f"jbert-{stem}.jsonl"
    for side in (s for s in INT8_SIDES if s in results):
        recorded = json.loads((model_dirs[side] / "jbert_export.json").read_text(encoding="utf-8"))["agreement"]
        out[side] = {"recorded": recorded}
        if "jbert" in results:
            a = [r["score"] for r in _read_pairs(str(fp32))]
            b = [r["score"] for r in _read_pairs(str(workdir / f"{side}-{stem}.jsonl"))]
            out[side]["max_abs_diff_vs_jbert"] = max(abs(x - y) for x, y in zip(a, b, strict=True))
    return out


def tokenizer_ratio(model_dir: Path, valid: Path, repeats: int = 3) -> dict[str, Any]:
    """jbert's tokenizer (as ``jbert predict`` loads it) vs BertJapaneseTokenizer on the same pairs, best of
    ``repeats``; the ids must be identical (else there is nothing to compare)."""
    import time

    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    rows = _read_pairs(str(valid))
    first, second = [r["sentence1"] for r in rows], [r["sentence2"] for r in rows]
    toks = {"BertJapaneseTokenizer": BertJapaneseTokenizer.from_pretrained(model_dir, model_input_names=C.BERT_INPUTS),
            "jbert": load_tokenizer(model_dir)}
    ids = {name: tok(first, second)["input_ids"] for name, tok in toks.items()}
    best = dict.fromkeys(toks, float("inf"))
    for _ in range(repeats):
        for name, tok in toks.items():
            started = time.perf_counter()
            tok(first, second)
            best[name] = min(best[name], time.perf_counter() - started)
    return {"seconds": best, "ratio": best["BertJapaneseTokenizer"] / best["jbert"],
            "ids_identical": ids["jbert"] == ids["BertJapaneseTokenizer"], "pairs": len(rows)}


def summarise(results: dict[str, dict], lengths: list[int], shape: C.ModelShape, ceiling: float | None) -> None:
    flops = C.forward_flops(shape, lengths)
    n = len(lengths)
    for r in results.values():
        predict_s = r["stages"].get("predict")
        r["rows_per_s"] = n / r["wall"]
        r["predict_rows_per_s"] = n / predict_s if predict_s else None
        r["mfu"] = C.mfu(flops, predict_s or 0, ceiling)
    if "sorted" in results:
        model_s = results["sorted"]["model_seconds"]
        results["model alone"] = {"stages": {"predict": model_s}, "wall": None, "rows_per_s": None,
                                  "predict_rows_per_s": n / model_s, "mfu": C.mfu(flops, model_s, ceiling),
                                  "peak_rss_mib": None}


def print_report(summary: dict[str, Any]) -> None:
    sides = summary["sides"]
    ref = sides.get("pipeline", {})
    rows = [
        ["total wall s (process)", *(s["wall"] for s in sides.values())],
        ["start-up s (imports, model load)", *(s["stages"].get("startup") for s in sides.values())],
        ["predict stage s (after load)", *(s["stages"].get("predict") for s in sides.values())],
        ["rows/s end to end", *(s["rows_per_s"] for s in sides.values())],
        ["rows/s predict stage", *(s["predict_rows_per_s"] for s in sides.values())],
        ["vs pipeline (end to end)", *(C.ratio(s["rows_per_s"], ref.get("rows_per_s")) for s in sides.values())],
        ["vs pipeline (predict stage)",
         *(C.ratio(s["predict_rows_per_s"], ref.get("predict_rows_per_s")) for s in sides.values())],
        ["inference MFU (predict stage)", *(s["mfu"] for s in sides.values())],
        ["peak RSS MiB", *(s["peak_rss_mib"] for s in sides.values())],
    ]
    print(C.table(rows, ["", *sides]))
    for side, a in summary.get("agreement", {}).items():
        rec = a["recorded"]
        print(f"{side}: {C.fmt(C.ratio(sides[side]['predict_rows_per_s'], ref.get('predict_rows_per_s')))}x pipeline "
              f"(predict stage), {C.fmt(C.ratio(sides[side]['rows_per_s'], ref.get('rows_per_s')))}x end to end; "
              f"agreement recorded by jbert export: {100 * rec['agreement']:.1f}% of rows within "
              f"{rec['tolerance']:.3g}, max |delta| {rec['max_abs_diff']:.4f}, mean |delta| {rec['mean_abs_diff']:.4f}"
              + (f"; max |delta| vs jbert fp32 here {a['max_abs_diff_vs_jbert']:.4f}" if "max_abs_diff_vs_jbert" in a
                 else ""))
    for side in (s for s in sides if "encode_seconds" in sides[s]):
        s = sides[side]
        print(f"{side}: encode (tokenization) {s['encode_seconds']:.2f}s = "
              f"{100 * s['encode_seconds'] / s['stages']['predict']:.0f}% of the predict stage, forward "
              f"{100 * s['forward_seconds'] / s['stages']['predict']:.0f}%")
    if summary.get("tokenizer"):
        t = summary["tokenizer"]
        print(f"tokenizer on {t['pairs']} pairs: jbert {t['seconds']['jbert']:.2f}s, BertJapaneseTokenizer "
              f"{t['seconds']['BertJapaneseTokenizer']:.2f}s = {t['ratio']:.2f}x; ids identical: {t['ids_identical']}")
    for m in summary.get("memory", []):
        print(f"{m.get('side', 'jbert')} predict on {m['rows']:,} rows: peak RSS {m['peak_rss_mib']:.0f} MiB, "
              f"{m['wall']:.1f}s ({m['rows'] / m['wall']:.0f} rows/s)")
    print(f"rows {summary['rows']}; ceiling {C.fmt(summary['ceiling_gflops'])} GFLOP/s; model {summary['model']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    S.add_common_args(p)
    p.add_argument("--valid-limit", type=int, default=None, help="rows to predict (default: all 1,457)")
    p.add_argument("--quick", action="store_true", help="300 rows; memory on 2k vs 20k rows")
    C.add_sides_option(p, SIDES)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--memory-rows", type=lambda s: [int(x) for x in s.split(",") if x], default=None,
                   help="row counts for the memory check (default 20000,200000; '' to skip)")
    p.add_argument("--model-dir", type=Path, help="a jbert model dir to use instead of building one")
    p.add_argument("--memory-sides", type=lambda s: [x for x in s.split(",") if x], default=["jbert", "jbert-int8"],
                   help="jbert sides whose memory is checked (default jbert,jbert-int8)")
    p.add_argument("--child", nargs=3, metavar=("SIDE", "SPEC", "RESULT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.limit = 64  # training rows for the one-step model dir (see make_model_dir)
    if args.quick:
        args.valid_limit = args.valid_limit or 300
    if args.memory_rows is None:
        args.memory_rows = [2000, 20000] if args.quick else [20000, 200000]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        side, spec_path, result_path = args.child
        result = CHILDREN[side](json.loads(Path(spec_path).read_text(encoding="utf-8")))
        Path(result_path).write_text(json.dumps(result), encoding="utf-8")
        return 0
    if args.task != "jsts":
        raise SystemExit("bench_predict.py measures JSTS pairs only (--task jsts)")
    sides, _ = C.choose_sides(args.sides, SIDES, args.device, args.precision)
    ceiling = C.ensure_ceiling(args.device, args.precision)
    setup = S.prepare(args)
    model_dir = args.model_dir or make_model_dir(setup, args)
    model_dirs = {"jbert": model_dir, **{side: make_export_dir(model_dir, fmt, setup)
                                         for side, fmt in INT8_SIDES.items() if side in sides}}
    results = C.best_of(sides, args.repeats, lambda side: run_side(side, model_dirs, setup.valid, setup.workdir, args))
    lengths = results["sorted"].pop("lengths") if "sorted" in results else \
        S.token_lengths(setup, args.max_length)["valid"]
    shape = C.ModelShape(**setup.shape)
    summarise(results, lengths, shape, ceiling)
    summary = {"config": {k: v for k, v in vars(args).items() if k != "child"}, "model": shape.to_dict(),
               "rows": len(lengths), "ceiling_gflops": ceiling, "sides": results,
               "agreement": agreement(model_dirs, results, setup.workdir, setup.valid.stem),
               "tokenizer": tokenizer_ratio(model_dir, setup.valid),
               "memory": memory_check(model_dirs, sides, setup, args) if args.memory_rows else []}
    print_report(summary)
    name = S.result_name("predict", args, full_size=args.valid_limit is None and args.memory_rows == [20000, 200000])
    print(f"wrote {C.write_result(name, summary).relative_to(C.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
