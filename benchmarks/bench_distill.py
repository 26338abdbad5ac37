"""Distillation, measured: a teacher (the demo's pre-trained mini model fine-tuned by ``jbert finetune``),
a student with half its layers distilled from it by ``jbert distill --student-layers`` (``--sweep`` over
``distill.alpha``, selected on the validation file as a user would), and the same student (same layers
copied from the teacher) trained on the gold labels alone (``--alpha 0``), on JSTS and on JNLI-style
data; what unlabeled pairs from the bundled corpus add (``--unlabeled``); then ``jbert predict``
whole-process time teacher vs student (fp32) and of the student's ONNX int8 export, for the mini
teacher and for a BERT-base-shaped one (12 layers to 6). Targets: the student keeps >= 95% of the
teacher's primary metric and beats the labels-only student; >= 1.8x fp32, >= 3.5x int8.

Data: JSTS: its train split (or its first ``--train-pairs``), scored (and the best epoch picked) on its
valid split. JNLI ships no train split here: its valid split is shuffled (seeded) and cut 80/20 into
train and selection; the test split is never read. The teachers start from the demo's pre-trained
mini model (L4/H256, masked LM on data/pretrain; built once and cached by ``_pretrained.py``, shared
with bench_retrieval.py). Training runs in bf16 where the CPU has it natively (``--precision``);
the predict timings are fp32.

``--unlabeled`` for a pair task needs pairs: the sentences of data/pretrain/captions.txt (the JSTS train
sentences; JSTS valid and test left out) paired anew, half with their nearest other caption by BM25 and
half at random (seeded), written as ``sentence<TAB>sentence`` lines (the text reader's pair format); the
teacher scores them.

    python benchmarks/bench_distill.py
    python benchmarks/bench_distill.py --train-pairs 1000 --epochs 2 --skip-jnli --no-base-speed   # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import _pretrained as P  # noqa: E402

JBERT = [sys.executable, "-m", "jbert"]
QUIET = ["--set", "training.progress_bar=false"]
PRIMARY = {"jsts": "pearson", "jnli": "accuracy"}
TARGETS = {"share": 0.95, "student fp32": 1.8, "student ONNX int8": 3.5}  # of the teacher's metric / speed


def jbert(*args: Any, log: Path) -> float:
    wall, _ = C.run_timed([*JBERT, *map(str, args)], log=log)
    return wall


def final(out: Path) -> dict[str, float]:
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))["final"]


def train_args(task: dict[str, Path], args: argparse.Namespace, epochs: float | None = None) -> list[Any]:
    return ["--train", task["train"], "--valid", task["valid"], "--epochs", epochs or args.epochs, "--batch-size", 32,
            "--learning-rate", args.lr, "--seed", args.seed, "--max-length", 128, "--precision", args.precision, *QUIET]


def teacher(name: str, task: dict[str, Path], init: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = work / f"{name}-teacher"
    shutil.rmtree(out, ignore_errors=True)
    wall = jbert("finetune", name, "--model", init, "--output", out, *train_args(task, args, args.teacher_epochs),
                 log=work / f"{out.name}.log")
    history = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["history"]
    curve = [round(h[PRIMARY[name]], 4) for h in history if PRIMARY[name] in h]
    print(f"{name} teacher, {PRIMARY[name]} after each epoch: {curve}", flush=True)
    return {"dir": out, "wall_s": wall, "curve": curve, **final(out)}


def student(name: str, side: str, task: dict[str, Path], work: Path, args: argparse.Namespace,
            extra: list[Any]) -> dict[str, Any]:
    out = work / f"{name}-{side}"
    shutil.rmtree(out, ignore_errors=True)
    wall = jbert("distill", "--teacher", work / f"{name}-teacher", "--student-layers", args.student_layers,
                 "--output", out, "--teacher-cache", work / "teacher-cache", *train_args(task, args), *extra,
                 log=work / f"{out.name}.log")
    return {"dir": out, "wall_s": wall, **final(out)}


def swept_student(name: str, task: dict[str, Path], work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``jbert distill --sweep distill.alpha=...``: the distilled student as a user selects it, on the
    validation file (the runs share one teacher cache); its row is the selected run."""
    out = work / f"{name}-distilled-sweep"
    shutil.rmtree(out, ignore_errors=True)
    wall = jbert("distill", "--teacher", work / f"{name}-teacher", "--student-layers", args.student_layers,
                 "--output", out, "--teacher-cache", work / "teacher-cache", *train_args(task, args),
                 "--sweep", f"distill.alpha={args.alphas}",
                 log=work / f"{out.name}.log")
    record = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    best = Path(record["selected"]["best_run"])
    per_alpha = {str(r["params"]["distill.alpha"]): round(r["metrics"][PRIMARY[name]], 4) for r in record["runs"]}
    print(f"{name} distilled, {PRIMARY[name]} per alpha: {per_alpha}", flush=True)
    alpha = record["selected"]["params"]["distill.alpha"]
    return {"dir": best, "wall_s": wall, "alpha": alpha, "per_alpha": per_alpha, **final(best)}


def predict_walls(models: dict[str, Path], rows: Path, work: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """Whole-process ``jbert predict`` wall time per model, best of ``repeats`` interleaved rounds."""

    def run(side: str) -> dict[str, Any]:
        log = work / f"pred-{side}.log"
        wall, rss = C.run_timed([*JBERT, "predict", str(rows), "--model", str(models[side]), "--output",
                                 str(work / f"pred-{side}.jsonl"), "--precision", "fp32"], log=log)
        stage = re.search(r"([\d.]+)s, [\d.]+ rows/s", log.read_text(encoding="utf-8"))  # its closing line
        return {"wall": wall, "predict_stage_s": float(stage.group(1)) if stage else None, "rss_mib": rss}

    return C.best_of(list(models), repeats, run)


def predict_timings(sides: dict[str, dict[str, Any]], inputs: list[Path], work: Path, repeats: int) -> list[dict[str, Any]]:
    """The JSTS teacher and distilled student in fp32, and the student's ONNX int8 export, on each input."""
    print("export + predict timings ...", flush=True)
    student_dir = sides["distilled"]["dir"]
    shutil.rmtree(work / "jsts-student-int8", ignore_errors=True)  # jbert export refuses a non-empty --output
    jbert("export", "--model", student_dir, "--output", work / "jsts-student-int8", "--quantize", "int8",
          log=work / "export.log")
    models = {"teacher fp32": sides["teacher"]["dir"], "student fp32": student_dir,
              "student ONNX int8": work / "jsts-student-int8"}
    return [predict_walls(models, rows, work, repeats) for rows in inputs]


def base_speed(rows: Path, tokenizer: Path, work: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Predict speed at the size users distil: a BERT-base-shaped teacher (L12/H768, random weights: the
    speed does not depend on them), fine-tuned for 2 steps, and its 6-layer student, same rows."""
    print("base-shaped teacher and student: predict timings ...", flush=True)
    init, teacher, student = work / "base-init", work / "base-teacher", work / "base-student"
    for d in (init, teacher, student):
        shutil.rmtree(d, ignore_errors=True)
    few = work / "base-train.jsonl"
    few.write_text("".join(rows.open(encoding="utf-8").readlines()[:64]), encoding="utf-8")
    steps = ["--max-steps", 2, "--batch-size", 8, "--max-length", 128, *QUIET]
    jbert("model", "init", "--tokenizer", tokenizer, "--size", "base", "--output", init, log=work / "base-init.log")
    jbert("finetune", "jsts", "--model", init, "--train", few, "--output", teacher, *steps, log=work / "base-teacher.log")
    jbert("distill", "--teacher", teacher, "--student-layers", 6, "--train", few, "--output", student, *steps,
          log=work / "base-student.log")
    return predict_walls({"teacher fp32": teacher, "student fp32": student}, rows, work, args.repeats)


def caption_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """New sentence pairs from the bundled captions for the teacher to score, shaped like JSTS's mix of
    close and unrelated pairs: half are a sentence and its nearest other caption by BM25 over MeCab words
    (jbert's own first stage), half two sentences drawn at random."""
    from jbert.retrieval.bm25 import BM25Retriever

    captions = sorted({s for s in (C.REPO / "data" / "pretrain" / "captions.txt").read_text(encoding="utf-8").splitlines() if s})
    rng = random.Random(seed)
    anchors = rng.sample(captions, count)
    bm25 = BM25Retriever(captions)
    close = []
    for anchor, hits in zip(anchors[: count // 2], bm25.search(anchors[: count // 2], k=2), strict=True):
        other = next((captions[i] for i, _ in hits if captions[i] != anchor), None)
        if other:
            close.append((anchor, other))
    far = [(a, rng.choice(captions)) for a in anchors[count // 2:]]
    pairs = close + far
    rng.shuffle(pairs)
    return pairs


def jsts_data(args: argparse.Namespace, work: Path) -> dict[str, Path]:
    src = args.jglue_dir / "jsts-v1.3"
    lines = (src / "train-v1.3.json").read_text(encoding="utf-8").splitlines()[: args.train_pairs]
    train = work / "jsts-train.jsonl"
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unlabeled = work / "jsts-unlabeled.txt"
    pairs = caption_pairs(args.unlabeled_pairs, args.seed) if args.unlabeled_pairs else []
    unlabeled.write_text("".join(f"{a}\t{b}\n" for a, b in pairs), encoding="utf-8")
    return {"train": train, "valid": src / "valid-v1.3.json", "unlabeled": unlabeled}


def jnli_data(args: argparse.Namespace, work: Path) -> dict[str, Path] | None:
    """JNLI's valid split cut 80/20 (seeded) into train and selection; None when it is not there."""
    src = args.jglue_dir / "jnli-v1.3" / "valid-v1.3.json"
    if not src.is_file():
        return None
    lines = [line for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(args.seed).shuffle(lines)
    cut = int(len(lines) * 0.8)
    files = {"train": work / "jnli-train.jsonl", "valid": work / "jnli-select.jsonl"}
    files["train"].write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    files["valid"].write_text("\n".join(lines[cut:]) + "\n", encoding="utf-8")
    return files


def run_task(name: str, task: dict[str, Path], init: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    print(f"{name}: teacher ...", flush=True)
    sides = {"teacher": teacher(name, task, init, work, args)}
    print(f"{name}: students ...", flush=True)
    sides["distilled"] = swept_student(name, task, work, args)
    sides["labels-only"] = student(name, "labels-only", task, work, args, ["--alpha", 0])
    if "unlabeled" in task and args.unlabeled_pairs:
        sides["distilled+unlabeled"] = student(name, "unlabeled", task, work, args,
                                               ["--unlabeled", task["unlabeled"], "--alpha", sides["distilled"]["alpha"]])
    return sides


def report(name: str, sides: dict[str, dict[str, Any]]) -> None:
    metric = PRIMARY[name]
    top = sides["teacher"][metric]
    rows = [[side, r[metric], C.ratio(r[metric], top) if top > 0 else None, r["wall_s"]] for side, r in sides.items()]
    print(C.table(rows, ["", f"{name} {metric}", "share of teacher", "train wall s"]))
    share = C.ratio(sides["distilled"][metric], top) if top > 0 else None
    print(f"{name}: the distilled student keeps {C.fmt(share)} of the teacher's {metric} "
          f"(target {TARGETS['share']}: {'met' if share is not None and share >= TARGETS['share'] else 'missed'}); "
          f"labels alone: {C.fmt(sides['labels-only'][metric])} "
          f"({'beaten' if sides['distilled'][metric] > sides['labels-only'][metric] else 'not beaten'})")


def report_speed(walls: dict[str, dict[str, Any]], rows: int, shape: str) -> None:
    teacher = walls["teacher fp32"]
    table = [[side, w["wall"], teacher["wall"] / w["wall"], w["predict_stage_s"],
              C.ratio(teacher["predict_stage_s"], w["predict_stage_s"]), w["rss_mib"]] for side, w in walls.items()]
    print(C.table(table, [f"jbert predict, {rows:,} JSTS pairs ({shape})", "wall s", "x teacher", "predict stage s",
                          "x teacher (stage)", "peak RSS MiB"]))
    for side in (s for s in ("student fp32", "student ONNX int8") if s in walls):
        speed = teacher["wall"] / walls[side]["wall"]
        print(f"{side}: {speed:.2f}x the teacher's whole process (target {TARGETS[side]}x: "
              f"{'met' if speed >= TARGETS[side] else 'missed'})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train-pairs", type=int, default=None, help="JSTS train pairs, the first N (default: all 12,451)")
    p.add_argument("--unlabeled-pairs", type=int, default=6000,
                   help="JSTS: new pairs of caption sentences for --unlabeled (0: skip that row)")
    p.add_argument("--teacher-epochs", type=float, default=6.0, help="the teachers' epochs (best epoch kept)")
    p.add_argument("--epochs", type=float, default=3.0, help="the students' epochs (best epoch kept)")
    p.add_argument("--alphas", default="0.5,0.9", help="the distilled student's --sweep over distill.alpha")
    p.add_argument("--large-predict", action=argparse.BooleanOptionalAction, default=True,
                   help="also time the mini models' predict on the JSTS training pairs (12,451): start-up amortised")
    p.add_argument("--base-speed", action=argparse.BooleanOptionalAction, default=True,
                   help="also time predict for a BERT-base-shaped teacher (12 layers) and its 6-layer student")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--student-layers", type=int, default=2, help="of the teacher's 4")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="training precision; auto: bf16 where it is native, else fp32 (predict timings stay fp32)")
    p.add_argument("--repeats", type=int, default=2, help="interleaved rounds of the predict timings")
    p.add_argument("--skip-jnli", action="store_true")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--jglue-dir", type=Path, default=C.DEFAULT_JGLUE)
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work" / "distill")
    P.add_pretrain_args(p)
    args = p.parse_args(argv)
    args.precision = P.resolve_precision(args.precision)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    mini = P.pretrained_mini(args)
    init = mini.pretrained
    shutil.rmtree(work / "teacher-cache", ignore_errors=True)
    tasks = {"jsts": jsts_data(args, work)}
    jnli = None if args.skip_jnli else jnli_data(args, work)
    if jnli:
        tasks["jnli"] = jnli
    results = {name: run_task(name, task, init, work, args) for name, task in tasks.items()}
    inputs = [tasks["jsts"]["valid"], *([tasks["jsts"]["train"]] if args.large_predict else [])]
    walls = predict_timings(results["jsts"], inputs, work, args.repeats)
    base = base_speed(tasks["jsts"]["valid"], mini.pretrained, work, args) if args.base_speed else None
    print(P.describe(mini))
    for name, sides in results.items():
        report(name, sides)
    counts = [sum(1 for line in rows.open(encoding="utf-8") if line.strip()) for rows in inputs]
    for rows, count, timing in zip(inputs, counts, walls, strict=True):
        report_speed(timing, count, f"{rows.name}, mini: 4 layers -> 2")
    if base:
        report_speed(base, counts[0], f"{inputs[0].name}, base shape: 12 layers -> 6")
    summary = {"config": {k: str(v) for k, v in vars(args).items()}, "pretrained": mini.build,
               "results": {n: {s: {k: v for k, v in r.items() if k != "dir"} for s, r in sides.items()}
                           for n, sides in results.items()},
               "predict": dict(zip((f"{r.name} ({n} rows)" for r, n in zip(inputs, counts, strict=True)), walls,
                                   strict=True)),
               "predict_base_shape": base}
    print(f"results: {C.write_result('distill', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
