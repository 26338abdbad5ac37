"""Sentence embeddings: ``jbert embed`` / ``jbert finetune embedding`` vs sentence-transformers, same model dir,
same texts, same loss, measured in the same run.

Encoding (each side a fresh process over the same texts: JSQuAD valid paragraphs and questions):

  st          ``SentenceTransformer(DIR).encode(texts, batch_size=32)`` (its slow ``BertJapaneseTokenizer``),
              vectors saved with ``np.save``
  jbert       ``jbert embed --model DIR texts.jsonl --output v.npy`` (fast tokenizer, streamed .npy)
  jbert-onnx  the same on ``jbert export --format onnx`` of DIR (ONNX Runtime fp32)
  jbert-int8  the same on ``jbert export --format onnx --quantize int8`` of DIR

Reported: seconds for the whole process (interpreter start to vectors on disk) and after the model is
loaded (encode stage), texts/s and the ratio to ``st`` for both; the largest |difference| of each
side's vectors to ``st``'s and their lowest per-row cosine.

Training (each side a fresh process, the same random initial BERT, the same (question, paragraph)
pairs, loss MultipleNegativesRankingLoss (scale 20) with duplicate-free batches, batch size, steps,
learning rate, warm-up, weight decay, max length):

  st-train     ``SentenceTransformerTrainer`` with ``BatchSamplers.NO_DUPLICATES``
  jbert-train  ``jbert finetune embedding --model INIT --train pairs.jsonl`` (the anchor/positive rows pick MNRL)

Reported: the Trainer's own ``train_runtime`` (both sides run transformers' Trainer) and the whole
process, steps/s and the ratio to ``st-train``, and each side's final training loss.

The model is the benchmarks' random ``--size`` BERT (throughput does not depend on the weights); the
encoding model dir is the jbert-train side's output, a sentence-transformers directory.

    python benchmarks/bench_embed.py --quick       # 200 texts, 10 training steps
    python benchmarks/bench_embed.py               # every JSQuAD valid paragraph + question, 100 steps
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

ENCODE_SIDES = ("st", "jbert", "jbert-onnx", "jbert-int8")
EXPORTS = {"jbert-onnx": None, "jbert-int8": "int8"}  # side -> --quantize
TRAIN_SIDES = ("st-train", "jbert-train")


# ------------------------------------------------------------------------------ children (one process each)
def st_encode_child(spec: dict[str, Any]) -> dict[str, Any]:
    stages = C.Stages()
    with stages("startup"):
        import numpy as np
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(spec["model_dir"], device=spec["device"])
    with stages("encode"):  # read, encode, write: everything after the model is loaded
        texts = [json.loads(line)["text"] for line in Path(spec["input"]).read_text(encoding="utf-8").splitlines()]
        np.save(spec["output"], model.encode(texts, batch_size=spec["batch_size"]))
    return {"stages": stages.seconds}


def jbert_encode_child(spec: dict[str, Any]) -> dict[str, Any]:
    """``jbert embed`` through the callable core in this process: imports, then the run; the run's own
    summary gives the encode stage (model loading excluded)."""
    stages = C.Stages()
    with stages("startup"):
        import torch  # noqa: F401  (the imports the st side pays in its start-up too)

        from jbert import api
        from jbert.inference.embed import EmbedConfig
        from jbert.training.runtime import tune_allocator

        tune_allocator()  # as `jbert embed` (the CLI's main) does before anything else
    with stages("run"):
        summary = api.embed(EmbedConfig(model=spec["model_dir"], inputs=[spec["input"]], output=spec["output"],
                                        batch_size=spec["batch_size"], device=spec["device"], precision="fp32"))
    load = stages.seconds["run"] - summary.seconds
    return {"stages": {"startup": stages.seconds["startup"] + load, "encode": summary.seconds},
            "rows_out": summary.rows_out}


def st_train_child(spec: dict[str, Any]) -> dict[str, Any]:
    stages = C.Stages()
    with stages("startup"):
        from datasets import Dataset
        from sentence_transformers import (
            SentenceTransformer,
            SentenceTransformerTrainer,
            SentenceTransformerTrainingArguments,
        )
        from sentence_transformers.base.modules import Transformer
        from sentence_transformers.base.sampler import BatchSamplers
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
        from sentence_transformers.sentence_transformer.modules import Pooling

        rows = [json.loads(line) for line in Path(spec["train"]).read_text(encoding="utf-8").splitlines()]
        transformer = Transformer(spec["init_dir"], max_seq_length=spec["max_length"])
        model = SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean")],
                                    device=spec["device"])
        args = SentenceTransformerTrainingArguments(
            output_dir=spec["output"], per_device_train_batch_size=spec["batch_size"], max_steps=spec["steps"],
            learning_rate=5e-5, warmup_ratio=0.1, weight_decay=0.01, seed=42, batch_sampler=BatchSamplers.NO_DUPLICATES,
            save_strategy="no", logging_steps=spec["steps"], report_to="none", disable_tqdm=True,
            use_cpu=spec["device"] == "cpu")
        trainer = SentenceTransformerTrainer(
            model=model, args=args, loss=MultipleNegativesRankingLoss(model),
            train_dataset=Dataset.from_dict({"anchor": [r["anchor"] for r in rows],
                                             "positive": [r["positive"] for r in rows]}))
    with stages("train"):
        out = trainer.train()
    return {"stages": stages.seconds, "train_runtime": out.metrics["train_runtime"], "train_loss": out.training_loss}


CHILDREN = {"st": st_encode_child, "jbert": jbert_encode_child, "jbert-onnx": jbert_encode_child,
            "jbert-int8": jbert_encode_child, "st-train": st_train_child}


def child_main(side: str, spec_path: str, result_path: str) -> int:
    result = CHILDREN[side](json.loads(Path(spec_path).read_text(encoding="utf-8")))
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


# ------------------------------------------------------------------------------------------ parent
def jsquad_texts(args: argparse.Namespace, workdir: Path) -> tuple[Path, Path]:
    """(texts.jsonl: paragraphs and questions to encode; pairs.jsonl: question -> paragraph training rows)."""
    articles = S.read_jglue(args.jglue_dir, "jsquad", "valid")["data"]
    paragraphs = [p for a in articles for p in a["paragraphs"]]
    texts, pairs = [], []
    for p in paragraphs:
        texts.append(p["context"])
        for qa in p["qas"]:
            texts.append(qa["question"])
            pairs.append({"anchor": qa["question"], "positive": p["context"]})
    texts = texts[: args.texts] if args.texts else texts
    text_file = S.write_jsonl([{"id": str(i), "text": t} for i, t in enumerate(texts)], workdir / "embed-texts.jsonl")
    return text_file, S.write_jsonl(pairs, workdir / "embed-pairs.jsonl")


def _run_child(side: str, spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    spec_path, result_path = workdir / f"{side}-spec.json", workdir / f"{side}-result.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    wall, rss = C.run_timed([sys.executable, __file__, "--child", side, str(spec_path), str(result_path)],
                            log=workdir / f"{side}.log")
    return {**json.loads(result_path.read_text(encoding="utf-8")), "wall": wall, "peak_rss_mib": rss}


def run_training(setup: S.Setup, pairs: Path, args: argparse.Namespace) -> tuple[dict[str, dict], Path]:
    """Both training sides; returns their results and jbert's output directory (the encoding model)."""
    results: dict[str, dict] = {}
    out = setup.workdir / "embed-jbert-train"
    S.clean_dir(out)
    out.rmdir()
    cmd = [sys.executable, "-m", "jbert", "finetune", "embedding", "--model", str(setup.model_dir), "--train",
           str(pairs), "--output", str(out), "--max-steps", str(args.steps), "--batch-size", str(args.batch_size),
           "--max-length", str(args.max_length), "--learning-rate", "5e-5", "--seed", "42",
           "--set", "training.progress_bar=false", "--set", f"training.logging_steps={args.steps}"]
    wall, rss = C.run_timed(cmd, log=setup.workdir / "jbert-train.log")
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]
    final = next(e for e in reversed(log) if "train_runtime" in e)
    results["jbert-train"] = {"wall": wall, "peak_rss_mib": rss, "train_runtime": final["train_runtime"],
                              "train_loss": final["train_loss"]}
    spec = {"init_dir": str(setup.model_dir), "train": str(pairs), "output": str(setup.workdir / "embed-st-train"),
            "batch_size": args.batch_size, "steps": args.steps, "max_length": args.max_length, "device": args.device}
    results["st-train"] = _run_child("st-train", spec, setup.workdir)
    for r in results.values():
        r["steps_per_s"] = args.steps / r["train_runtime"]
    return results, out


def make_export(model_dir: Path, quantize: str | None, texts: Path, workdir: Path) -> tuple[Path, dict[str, Any]]:
    out = workdir / f"embed-export-{quantize or 'fp32'}"
    S.clean_dir(out)
    out.rmdir()
    cmd = [sys.executable, "-m", "jbert", "export", "--model", str(model_dir), "--output", str(out), "--format",
           "onnx", "--data", str(texts), "--min-agreement", "0", *(["--quantize", quantize] if quantize else [])]
    C.run_timed(cmd, log=workdir / f"{out.name}.log")
    return out, json.loads((out / "jbert_export.json").read_text(encoding="utf-8"))["agreement"]


def run_encoding(model_dir: Path, texts: Path, setup: S.Setup, args: argparse.Namespace
                 ) -> tuple[dict[str, dict], dict[str, Any]]:
    dirs, recorded = {"st": model_dir, "jbert": model_dir}, {}
    for side, quantize in EXPORTS.items():
        dirs[side], recorded[side] = make_export(model_dir, quantize, texts, setup.workdir)

    def one(side: str) -> dict[str, Any]:
        spec = {"model_dir": str(dirs[side]), "input": str(texts), "output": str(setup.workdir / f"{side}-vectors.npy"),
                "batch_size": args.batch_size, "device": args.device}
        return _run_child(side, spec, setup.workdir)

    return C.best_of(ENCODE_SIDES, args.repeats, one), recorded


def compare_vectors(workdir: Path) -> dict[str, dict[str, float]]:
    """Each jbert side's vectors against st's: max |difference| and the lowest per-row cosine."""
    import numpy as np

    reference = np.load(workdir / "st-vectors.npy").astype(np.float64)
    out = {}
    for side in ENCODE_SIDES[1:]:
        ours = np.load(workdir / f"{side}-vectors.npy").astype(np.float64)
        cosine = (ours * reference).sum(1) / np.maximum(np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1),
                                                        1e-12)
        out[side] = {"max_abs_diff": float(np.abs(ours - reference).max()), "min_cosine": float(cosine.min()),
                     "mean_cosine": float(cosine.mean()), "rows": int(len(ours))}
    return out


def print_report(summary: dict[str, Any]) -> None:
    n, enc, ref = summary["texts"], summary["encode"], summary["encode"]["st"]
    rows = [
        ["whole process s", *(s["wall"] for s in enc.values())],
        ["start-up s (imports, model load)", *(s["stages"]["startup"] for s in enc.values())],
        ["encode stage s (after load)", *(s["stages"]["encode"] for s in enc.values())],
        ["texts/s whole process", *(n / s["wall"] for s in enc.values())],
        ["texts/s after load", *(n / s["stages"]["encode"] for s in enc.values())],
        ["vs st (whole process)", *(C.ratio(ref["wall"], s["wall"]) for s in enc.values())],
        ["vs st (after load)", *(C.ratio(ref["stages"]["encode"], s["stages"]["encode"]) for s in enc.values())],
        ["peak RSS MiB", *(s["peak_rss_mib"] for s in enc.values())],
    ]
    print(f"encoding {n} JSQuAD texts (paragraphs and questions), batch {summary['config']['batch_size']}")
    print(C.table(rows, ["", *enc]))
    for side, v in summary["vectors"].items():
        recorded = summary["recorded"].get(side)
        print(f"{side} vs st: max |diff| {v['max_abs_diff']:.2e}, lowest row cosine {v['min_cosine']:.6f}"
              + (f"; jbert export recorded mean cosine {recorded['mean_cosine']:.6f}" if recorded else ""))
    train, tref = summary["train"], summary["train"]["st-train"]
    rows = [
        ["train_runtime s (Trainer)", *(s["train_runtime"] for s in train.values())],
        ["whole process s", *(s["wall"] for s in train.values())],
        ["steps/s", *(s["steps_per_s"] for s in train.values())],
        ["vs st-train (train_runtime)", *(C.ratio(tref["train_runtime"], s["train_runtime"]) for s in train.values())],
        ["vs st-train (whole process)", *(C.ratio(tref["wall"], s["wall"]) for s in train.values())],
        ["final training loss", *(s["train_loss"] for s in train.values())],
        ["peak RSS MiB", *(s["peak_rss_mib"] for s in train.values())],
    ]
    cfg = summary["config"]
    print(f"training MNRL, {cfg['steps']} steps of {cfg['batch_size']} (question, paragraph) pairs, "
          f"max length {cfg['max_length']}")
    print(C.table(rows, ["", *train]))
    print(f"model {summary['model']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    S.add_common_args(p)
    p.add_argument("--quick", action="store_true", help="200 texts, 10 training steps")
    p.add_argument("--texts", type=int, default=None, help="texts to encode (default: all)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 100)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--child", nargs=3, metavar=("SIDE", "SPEC", "RESULT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.limit, args.valid_limit = 8, 8  # the JSTS slices S.prepare writes (unused here: texts come from JSQuAD)
    args.texts = args.texts or (200 if args.quick else None)
    args.steps = args.steps or (10 if args.quick else 100)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(*args.child)
    started = time.perf_counter()
    setup = S.prepare(args)  # the tokenizer and the random BERT (JSTS vocabulary), shared by both sides
    texts, pairs = jsquad_texts(args, setup.workdir)
    train, model_dir = run_training(setup, pairs, args)
    encode, recorded = run_encoding(model_dir, texts, setup, args)
    summary = {"config": {k: v for k, v in vars(args).items() if k != "child"}, "model": setup.shape,
               "texts": sum(1 for _ in texts.open(encoding="utf-8")), "encode": encode,
               "vectors": compare_vectors(setup.workdir), "recorded": recorded, "train": train}
    print_report(summary)
    name = S.result_name("embed", args, full_size=not args.quick and args.texts is None)
    print(f"wrote {C.write_result(name, summary).relative_to(C.REPO)} ({time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
