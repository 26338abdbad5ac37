"""`accelerate launch` with two CPU processes: the same model as one process with the same global batch.

One single-process run (batch 16) and one two-process run (2 x 8) of ``jbert finetune jsts`` on
the tiny model, from the SAME saved regression head with dropout off, so the only differences
left are the process count and float summation order: the weights must come out equal.
The validation file has an odd number of rows (33), so the last evaluation batch is split
unevenly across the ranks: every row must still be scored exactly once.

The two-process run uses ``configs/accelerate/cpu_2proc.yaml`` (torchrun start-up, see its
comment), without ``ACCELERATE_USE_CPU``: on a machine without CUDA jbert itself makes the ranks
meet on the CPU (gloo); if it did not, each rank would train alone on all the data (8 steps, not 4).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

slow = pytest.mark.slow  # every test that launches processes; the config checks are fast

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "jglue"
CPU_2PROC = REPO / "configs" / "accelerate" / "cpu_2proc.yaml"
VALID_ROWS = 33


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What torch.distributed says when another process took the rendezvous port between _free_port()
# releasing it and the launcher binding it: a race in the test harness, not in jbert.
PORT_RACE = ("address already in use", "EADDRINUSE", "DistNetworkError")


def _exec(cmd: list[str], env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "TOKENIZERS_PARALLELISM": "false", **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={k: v for k, v in full.items() if v is not None})


def _checked(cmd: list[str], proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def _run(cmd: list[str], env: dict[str, str | None] | None = None) -> str:
    """Run ``cmd`` from the repo root; ``env`` entries are added (a None value removes the variable)."""
    return _checked(cmd, _exec(cmd, env))


def _launch(args: list[str], env: dict[str, str | None] | None = None) -> str:
    """``accelerate launch --config_file cpu_2proc.yaml -m jbert ARGS`` on a free rendezvous port;
    tried once more on a new port only when the first port was taken in between."""
    for attempt in range(2):
        cmd = [sys.executable, "-m", "accelerate.commands.accelerate_cli", "launch", "--config_file",
               str(CPU_2PROC), "--main_process_port", str(_free_port()), "-m", "jbert", *args]
        proc = _exec(cmd, env)
        if proc.returncode == 0 or attempt == 1 or not any(m in proc.stderr for m in PORT_RACE):
            return _checked(cmd, proc)
        shutil.rmtree(args[args.index("--output") + 1], ignore_errors=True)  # a clean start, not a resume
    raise AssertionError("unreachable")


def _head_model(tiny_model_dir: Path, out: Path) -> Path:
    """The tiny BERT with a saved regression head and no dropout: nothing random left at start."""

    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(
        tiny_model_dir, num_labels=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )
    model.config.problem_type = "regression"
    model.save_pretrained(out)
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(tiny_model_dir / name, out / name)
    return out


def _odd_valid(path: Path) -> Path:
    """32 JSTS valid rows plus one train row under a new id: 33 rows."""
    rows = (DATA / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()[: VALID_ROWS - 1]
    extra = json.loads((DATA / "jsts-train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    extra["sentence_pair_id"] = "extra-33"
    path.write_text("\n".join(rows + [json.dumps(extra, ensure_ascii=False)]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("distributed")
    return {"root": root, "model": _head_model(tiny_model_dir, root / "model"),
            "valid": _odd_valid(root / "valid.jsonl")}


def _finetune_args(work: dict[str, Path], output: Path, batch_size: int) -> list[str]:
    return ["-v", "finetune", "jsts", "--model", str(work["model"]), "--train", str(DATA / "jsts-train.jsonl"),
            "--valid", str(work["valid"]), "--output", str(output), "--epochs", "1",
            "--batch-size", str(batch_size), "--set", "training.progress_bar=false"]


@pytest.fixture(scope="module")
def runs(work: dict[str, Path]) -> dict[str, tuple[Path, str]]:
    """Output dir and console output of: one process x 16, and two processes x 8."""
    one, two = work["root"] / "one", work["root"] / "two"
    one_log = _run([sys.executable, "-m", "jbert", *_finetune_args(work, one, 16)])
    # as a user would launch it: no ACCELERATE_USE_CPU, jbert must make the CPU ranks join up itself
    two_log = _launch(_finetune_args(work, two, 8), env={"ACCELERATE_USE_CPU": None})
    return {"one": (one, one_log), "two": (two, two_log)}


def _log_rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]


def _predictions(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "valid_predictions.jsonl").read_text(encoding="utf-8").splitlines()]


def _final(out: Path) -> dict[str, float]:
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))["final"]


@slow
def test_two_ranks_split_the_batches(runs: dict) -> None:
    """64 rows at global batch 16 = 4 steps in both runs (a rank training alone would take 8),
    and the Trainer log is written once (rank 0), not once per rank."""
    for name in ("one", "two"):
        rows = _log_rows(runs[name][0])
        finished = [r for r in rows if "train_runtime" in r]
        assert len(finished) == 1, f"{name}: {len(finished)} train summaries in train_log.jsonl"
        assert finished[0]["step"] == 4, f"{name}: {finished[0]['step']} steps"


@slow
def test_every_valid_row_scored_exactly_once(runs: dict, work: dict[str, Path]) -> None:
    ids = [r["id"] for r in _predictions(runs["two"][0])]
    gold = [json.loads(line)["sentence_pair_id"] for line in work["valid"].read_text(encoding="utf-8").splitlines()]
    assert len(ids) == VALID_ROWS
    assert ids == gold  # input order, no duplicate from padding the uneven last batch, none missing


@slow
def test_metric_is_computed_on_the_33_rows(runs: dict, work: dict[str, Path]) -> None:
    """The reported Pearson equals the Pearson of the predictions file against gold."""
    from scipy.stats import pearsonr

    gold = {json.loads(x)["sentence_pair_id"]: json.loads(x)["label"]
            for x in work["valid"].read_text(encoding="utf-8").splitlines()}
    preds = _predictions(runs["two"][0])
    expected = pearsonr([p["score"] for p in preds], [gold[p["id"]] for p in preds])[0]
    assert _final(runs["two"][0])["pearson"] == pytest.approx(expected, abs=1e-5)


@slow
def test_same_weights_and_scores_as_one_process(runs: dict, work: dict[str, Path]) -> None:
    import torch
    from safetensors.torch import load_file

    init = load_file(work["model"] / "model.safetensors")
    one = load_file(runs["one"][0] / "model.safetensors")
    two = load_file(runs["two"][0] / "model.safetensors")
    update_one = torch.cat([(one[k] - init[k]).flatten() for k in init])
    update_two = torch.cat([(two[k] - init[k]).flatten() for k in init])
    assert update_one.norm() > 0, "training changed nothing: the comparison would be empty"
    assert (update_one - update_two).norm() / update_one.norm() < 1e-3
    for key in ("pearson", "spearman"):
        assert _final(runs["two"][0])[key] == pytest.approx(_final(runs["one"][0])[key], abs=1e-3)
    scores_one = [p["score"] for p in _predictions(runs["one"][0])]
    scores_two = [p["score"] for p in _predictions(runs["two"][0])]
    assert scores_two == pytest.approx(scores_one, abs=1e-4)


@slow
def test_reported_loss_is_not_scaled_by_process_count(runs: dict, work: dict[str, Path]) -> None:
    """transformers 5.x scales the loss by the process count for models whose forward takes **kwargs
    (huggingface/transformers#35078); jbert turns that off (``accepts_loss_kwargs = False``).
    Within 5%, not exact: the Trainer averages per-batch losses, and the uneven last batch (1 row on
    one rank, a padding duplicate on the other) weighs slightly wrong; 2x would be the bug."""
    gold = {json.loads(x)["sentence_pair_id"]: json.loads(x)["label"]
            for x in work["valid"].read_text(encoding="utf-8").splitlines()}
    preds = _predictions(runs["two"][0])
    mse = sum((p["score"] - gold[p["id"]]) ** 2 for p in preds) / len(preds)
    assert _final(runs["two"][0])["loss"] == pytest.approx(mse, rel=0.05)


@slow
def test_each_split_is_encoded_once(runs: dict) -> None:
    """Rank 0 encodes (under main_process_first) and caches; rank 1 reads the cache, so logs nothing."""
    log = runs["two"][1]
    assert log.count("train: 64 examples") == 1, log[-3000:]
    assert log.count(f"valid: {VALID_ROWS} examples") == 1


@pytest.mark.parametrize("config", sorted((REPO / "configs" / "accelerate").glob("*.yaml")), ids=lambda p: p.name)
def test_accelerate_configs_load(config: Path) -> None:
    """Every shipped config parses as accelerate's ClusterConfig, and each DeepSpeed/FSDP key is one
    that ``accelerate launch`` knows (a misspelt key would be silently ignored at launch)."""
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.commands.launch import launch_command_parser

    cfg = load_config_from_file(str(config))
    known = {action.dest for action in launch_command_parser()._actions}
    nested = [*cfg.deepspeed_config, *cfg.fsdp_config]
    assert [k for k in nested if k not in known and f"fsdp_{k}" not in known] == []
    assert cfg.num_processes >= 2 and cfg.num_processes % cfg.num_machines == 0


@slow
def test_summary_printed_once_by_rank_zero(runs: dict) -> None:
    for name in ("one", "two"):
        assert runs[name][1].count("fine-tuned model written to") == 1, name


# --- jbert pretrain under accelerate launch -------------------------------------------------------


@slow
def test_pretrain_two_processes(work: dict[str, Path], tiny_model_dir: Path) -> None:
    """Two CPU ranks pre-train together: 96 blocks at 2 x 8 = 6 steps (a rank training alone would take
    12), the corpus is tokenized once (rank 0 under main_process_first; rank 1 reads the Arrow cache),
    and rank 0 alone writes one model directory that loads as a masked LM."""
    from transformers import AutoModelForMaskedLM

    corpus = work["root"] / "pretrain-corpus.txt"
    lines = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()
    corpus.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
    out = work["root"] / "pretrained"
    args = ["-v", "pretrain", str(corpus), "--model", str(tiny_model_dir), "--output", str(out), "--epochs", "1",
            "--batch-size", "8", "--max-length", "128", "--valid", "0", "--set", "training.progress_bar=false",
            "--set", f"corpus.cache_dir={work['root'] / 'cache'}"]
    log = _launch(args, env={"ACCELERATE_USE_CPU": None, "DATASETS_VERBOSITY": "info"})
    finished = [r for r in _log_rows(out) if "train_runtime" in r]
    blocks = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["corpus"]["train_blocks"]
    assert len(finished) == 1 and finished[0]["step"] == -(-blocks // 16), (blocks, finished)
    assert log.count("pre-trained model written to") == 1
    # rank 0 reads and tokenizes the corpus; rank 1 then loads both Arrow tables from the cache
    assert log.count("INFO datasets.builder: Generating train split") == 1, log[-3000:]
    assert log.count("INFO datasets.arrow_dataset: Caching processed dataset") == 2  # tokens, blocks
    assert log.count("INFO datasets.arrow_dataset: Loading cached processed dataset") == 2
    assert AutoModelForMaskedLM.from_pretrained(out).config.vocab_size > 0
