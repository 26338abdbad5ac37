"""The machine's measured matmul throughput: the denominator of every MFU figure.

Times ``torch.matmul`` on square shapes and on the shapes a BERT layer actually runs
(tokens x hidden @ hidden x 4*hidden), for fp32 and bf16 (plus tf32/fp16 on CUDA), and writes
``benchmarks/out/ceiling-<device>.json`` with the peak per precision.

    python benchmarks/bench_ceiling.py            # ~1 minute on 2 CPU cores
    python benchmarks/bench_ceiling.py --quick    # a few seconds
    python benchmarks/bench_ceiling.py --device cuda
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

SQUARE = (256, 512, 1024, 2048)
# Measured here (AMD EPYC with AVX512-BF16, 2 cores): bf16 matmuls run ~2x faster than fp32, so
# nothing is skipped for bf16; on CPUs without bf16 kernels a bf16 run is slow: use --precision fp32.
# (m, k, n): a batch of 32 x 128 tokens through H256/I1024 and H768/I3072 layers
BERT_SHAPES = ((4096, 256, 1024), (4096, 1024, 256), (4096, 768, 3072), (4096, 3072, 768))


def _dtypes(device: str) -> dict[str, object]:
    import torch

    if device == "cuda":
        return {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    return {"fp32": torch.float32, "bf16": torch.bfloat16}


def measure(m: int, k: int, n: int, dtype: object, device: str, min_seconds: float) -> float:
    """GFLOP/s of ``(m x k) @ (k x n)``: the best of short windows over ``min_seconds``, after a warm-up.

    The best window, not the mean: on a shared machine the mean measures the neighbours too,
    and the ceiling is meant to be what this hardware can do.
    """
    import torch

    a = torch.randn(m, k, device=device).to(dtype)
    b = torch.randn(k, n, device=device).to(dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.matmul(a, b)
    sync()
    flops = 2.0 * m * k * n
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        reps, t0 = 0, time.perf_counter()
        while True:  # one window: at least ~20 ms of work, so timer resolution does not matter
            torch.matmul(a, b)
            reps += 1
            sync()
            if time.perf_counter() - t0 >= 0.02:
                break
        best = max(best, flops * reps / (time.perf_counter() - t0))
    return best / 1e9


def model_throughput(size: str, device: str, precision: str, train: bool, quick: bool) -> dict:
    """The BERT the benchmarks use, on dense full batches (32 x 128, no padding): best of a few steps.

    This is the practical ceiling for that model: every token real, no tokenizer, no data loading.
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=8000, num_labels=1, **C.SIZES[size])
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).to(device)
    shape = C.ModelShape.of(model)
    ids = torch.randint(5, config.vocab_size, (32, 128), device=device)
    labels = torch.zeros(32, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    amp = torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")
    best = float("inf")
    for _ in range(3 if quick else 6):
        t0 = time.perf_counter()
        with amp:
            if train:
                model(input_ids=ids, labels=labels).loss.backward()
            else:
                with torch.inference_mode():
                    model(input_ids=ids)
        sync()
        best = min(best, time.perf_counter() - t0)
    flops = (C.train_flops if train else C.forward_flops)(shape, [128] * 32)
    return {"size": size, "precision": precision, "mode": "train" if train else "inference",
            "seconds_per_batch": round(best, 4), "pairs_per_s": round(32 / best, 1),
            "gflops": round(flops / best / 1e9, 2)}


def run(device: str, quick: bool, precisions: list[str] | None) -> dict:
    import torch

    shapes = [(s, s, s) for s in (SQUARE[1:3] if quick else SQUARE)] + list(BERT_SHAPES[: 2 if quick else 4])
    min_seconds = 0.1 if quick else 0.5
    results, peak = [], {}
    for name, dtype in _dtypes(device).items():
        if precisions and name not in precisions:
            continue
        if device == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
        for m, k, n in shapes:
            gflops = measure(m, k, n, dtype, device, min_seconds)
            results.append({"precision": name, "shape": [m, k, n], "gflops": round(gflops, 2)})
            if gflops > peak.get(name, {}).get("gflops", 0):
                peak[name] = {"gflops": round(gflops, 2), "shape": [m, k, n]}
    models = [model_throughput("small" if device == "cpu" else "base", device, name, train, quick)
              for name in ("fp32", "bf16") if not precisions or name in precisions for train in (False, True)]
    return {"device": device, "threads": torch.get_num_threads(), "peak": peak, "measurements": results,
            "model": models}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="fewer shapes, shorter timings")
    parser.add_argument("--precision", action="append", help="only these (fp32, bf16, tf32, fp16); repeatable")
    args = parser.parse_args(argv)

    result = run(args.device, args.quick, args.precision)
    rows = [(f"{r['precision']} {'x'.join(map(str, r['shape']))}", r["gflops"]) for r in result["measurements"]]
    print(C.table(rows, ["matmul", "GFLOP/s"]))
    rows = [(f"{m['size']} BERT {m['mode']} {m['precision']}", m["pairs_per_s"], m["gflops"])
            for m in result["model"]]
    print(C.table(rows, ["dense 32x128 batches", "pairs/s", "GFLOP/s"]))
    fp32 = result["peak"].get("fp32", {}).get("gflops")
    for name, entry in result["peak"].items():
        vs = f"  ({entry['gflops'] / fp32:.2g}x fp32)" if fp32 and name != "fp32" else ""
        print(f"peak {name}: {entry['gflops']:.1f} GFLOP/s{vs}")
    path = C.ceiling_path(args.device, quick=args.quick)
    C.write_result(path.stem, result)
    print(f"wrote {path.relative_to(C.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
