"""Shared benchmark plumbing: timers, FLOP arithmetic, the measured ceiling, JSON results, tables.

Every benchmark times jbert and a reference in the SAME run (same machine, same load), prints
both figures and their ratio, and writes ``benchmarks/out/<name>.json``.

FLOP conventions (the ones used for MFU everywhere in these scripts):
  * ``params`` = non-embedding parameters (encoder layers + pooler + head): embedding lookups
    do no matmul work, and counting them would inflate MFU for small models.
  * forward  = 2 x params x tokens + attention 4 x layers x hidden x sum(len_i^2)
    (QK^T and attention x V, each 2 x len^2 x hidden per layer and sequence);
  * training = 3 x forward (backward costs twice the forward).
  * "real" tokens are non-pad tokens: padding is work the machine does but not work the
    model needs, so MFU counts real tokens only (that is the point of the comparison).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
DEFAULT_JGLUE = REPO.parent / "shared" / "jglue"

# Offline everywhere: benchmarks never reach the hub.
for _k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_k, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# transformers 5.x's BertJapaneseTokenizer lists only input_ids and attention_mask as model inputs,
# so sentence pairs lose their segment ids (every token_type_id 0) unless asked for. transformers 4.x,
# which the JGLUE recipe was written for, returned them: the references ask for them explicitly.
BERT_INPUTS = ["input_ids", "token_type_ids", "attention_mask"]

SIZES: dict[str, dict[str, int]] = {
    # the CPU model: small enough that 3,000 JSTS pairs train in about a minute on 2 cores
    "small": {"num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 4, "intermediate_size": 1024},
    # BERT-base shapes, for GPU machines
    "base": {"num_hidden_layers": 12, "hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 3072},
    # for harness tests only
    "tiny": {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2, "intermediate_size": 128},
}


# ------------------------------------------------------------------------------------------ timing
@dataclass
class Stages:
    """Named wall-clock stages: ``with stages("train"): ...``; ``stages.seconds`` keeps the order."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def total(self) -> float:
        return sum(self.seconds.values())


BF16_SIDE = "jbert-bf16"  # jbert with --precision bf16, next to the fp32 sides


def add_sides_option(parser: Any, sides: Sequence[str]) -> None:
    """``--sides``: a comma-separated subset of ``sides`` and the bf16 jbert side."""
    parser.add_argument("--sides", default=None,
                        help=f"comma-separated subset of {','.join([*sides, BF16_SIDE])} (default: all of them; "
                        f"{BF16_SIDE} only on a CPU with native bf16 when --precision is fp32)")


def choose_sides(requested: str | None, sides: Sequence[str], device: str, precision: str) -> tuple[list[str], list[str]]:
    """(the sides to run, the full default set). The default set is ``sides``, plus jbert in bf16
    when the run is fp32 on a CPU with native bf16 (AVX512-BF16 or AMX), where bf16 is the faster
    setting. An unknown side name stops the run."""
    from jbert.config.precision import cpu_has_bf16

    full = [*sides, *([BF16_SIDE] if device == "cpu" and precision == "fp32" and cpu_has_bf16() else [])]
    chosen = [s for s in requested.split(",") if s] if requested else full
    if unknown := sorted(set(chosen) - {*sides, BF16_SIDE}):
        raise SystemExit(f"unknown side(s) {unknown}; choose from {', '.join([*sides, BF16_SIDE])}")
    return chosen, full


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              log: Path | None = None) -> tuple[float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS of the child in MiB). Raises on a non-zero exit.

    ``os.wait4`` gives the rusage of exactly this child (``RUSAGE_CHILDREN`` would mix in every
    earlier child of this process).
    """
    full_env = {**os.environ, **(env or {})}
    out = open(log, "w", encoding="utf-8") if log else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(list(cmd), env=full_env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-3000:] if log else ""
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def best_of(sides: Sequence[str], repeats: int, run: Any) -> dict[str, dict[str, Any]]:
    """``run(side)`` for every side, ``repeats`` rounds interleaved (a b c a b c), keeping each side's
    fastest run (its ``"wall"``) and every wall under ``"walls"``. On a shared machine interleaving
    spreads the neighbours' load over all sides alike, and the minimum is the least disturbed run."""
    results: dict[str, dict[str, Any]] = {}
    for round_ in range(repeats):
        for side in sides:
            print(f"running {side}" + (f" (round {round_ + 1}/{repeats})" if repeats > 1 else "") + " ...",
                  flush=True)
            result = run(side)
            walls = results.get(side, {}).get("walls", []) + [result["wall"]]
            if side not in results or result["wall"] < results[side]["wall"]:
                results[side] = result
            results[side]["walls"] = walls
    return results


# ------------------------------------------------------------------------------------------ FLOPs
@dataclass(frozen=True)
class ModelShape:
    layers: int
    hidden: int
    params: int  # non-embedding parameters
    total_params: int

    @classmethod
    def of(cls, model: Any) -> ModelShape:
        """Shape of a transformers BERT-like model (any model with ``.config`` and embeddings)."""
        total = sum(p.numel() for p in model.parameters())
        emb = sum(p.numel() for n, p in model.named_parameters() if ".embeddings." in f".{n}")
        return cls(model.config.num_hidden_layers, model.config.hidden_size, total - emb, total)

    def to_dict(self) -> dict[str, int]:
        return {"layers": self.layers, "hidden": self.hidden, "params_non_embedding": self.params,
                "params_total": self.total_params}


def forward_flops(shape: ModelShape, lengths: Iterable[int]) -> float:
    """FLOPs of one forward pass over sequences of these (real) lengths."""
    lengths = list(lengths)
    tokens = sum(lengths)
    attention = 4 * shape.layers * shape.hidden * sum(n * n for n in lengths)
    return 2.0 * shape.params * tokens + attention


def train_flops(shape: ModelShape, lengths: Iterable[int]) -> float:
    """FLOPs of forward + backward over these sequences (6 x params x tokens, plus attention)."""
    return 3.0 * forward_flops(shape, lengths)


def mfu(flops: float, seconds: float, ceiling_gflops: float | None) -> float | None:
    """Achieved / measured peak, as a fraction. None when no ceiling is known."""
    if not ceiling_gflops or seconds <= 0:
        return None
    return flops / seconds / (ceiling_gflops * 1e9)


# ---------------------------------------------------------------------------------- ceiling JSON
def ceiling_path(device: str = "cpu", quick: bool = False) -> Path:
    """``ceiling-cpu.json``; a ``--quick`` measurement goes to ``ceiling-cpu-quick.json`` so it never
    replaces a full one."""
    return OUT_DIR / f"ceiling-{device}{'-quick' if quick else ''}.json"


def load_ceiling(device: str = "cpu", precision: str = "fp32") -> float | None:
    """Peak GFLOP/s measured by bench_ceiling.py for this device and precision: the full measurement,
    else the quick one; None if neither was run."""
    for path in (ceiling_path(device), ceiling_path(device, quick=True)):
        if path.exists():
            entry = json.loads(path.read_text(encoding="utf-8")).get("peak", {}).get(precision)
            return float(entry["gflops"]) if entry else None
    return None


def ensure_ceiling(device: str = "cpu", precision: str = "fp32") -> float | None:
    """The ceiling, measuring it quickly (bench_ceiling.py --quick) when it has never been measured."""
    found = load_ceiling(device, precision)
    if found is None:
        cmd = [sys.executable, str(BENCH_DIR / "bench_ceiling.py"), "--quick", "--device", device]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        found = load_ceiling(device, precision)
    return found


# ---------------------------------------------------------------------------------- machine, JSON
def machine_info() -> dict[str, Any]:
    """What the figures depend on: CPU model and cores, GPU, library versions, load at start."""
    import torch
    import transformers

    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info: dict[str, Any] = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_avg_1m": os.getloadavg()[0],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``benchmarks/out/<name>.json`` (machine info included) and return its path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), **result}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain-text table (left-aligned first column, right-aligned numbers)."""
    cells = [[str(h) for h in header]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def profile_summary(prof: Path, top: int = 30) -> str:
    """jbert's own functions (plus the Trainer's big calls) by cumulative seconds, from a cProfile dump.

    Tells where the jbert side spends its wall time beyond what the Trainer log reports.
    """
    import pstats

    keep = ("train", "evaluate", "evaluation_loop", "save_pretrained", "_save_checkpoint",
            "_load_best_model", "from_pretrained")
    rows = []
    for (path, line, name), (_, calls, _, cum, _) in pstats.Stats(str(prof)).stats.items():
        if "/jbert/" in path and "<module>" not in name or ("transformers/" in path and name in keep):
            short = path.split("site-packages/")[-1].split(str(REPO) + "/")[-1]
            rows.append((cum, calls, f"{short}:{line}({name})"))
    rows.sort(reverse=True)
    return table([(where, calls, cum) for cum, calls, where in rows[:top]], ["function", "calls", "cum s"])


def ratio(jbert_value: float | None, reference_value: float | None) -> float | None:
    if not jbert_value or not reference_value:
        return None
    return jbert_value / reference_value
