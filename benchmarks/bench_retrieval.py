"""Retrieval quality on JSQuAD, side by side: BM25 over MeCab words, the demo's pre-trained mini model
without and with contrastive fine-tuning (``jbert finetune embedding``, MNRL), the same fine-tuning from
random weights, and the best first stage reranked by a cross-encoder (``jbert finetune reranker``).

Data: JSQuAD's VALID split only (its test split stays held out), its articles shuffled (``--seed``) and
cut by article into training, selection and evaluation parts, so no paragraph is in two parts; each part
becomes a retrieval set with ``jbert data retrieval-from-squad`` (question -> its paragraph; the corpus
is the part's paragraphs). The bi-encoders train on (question, paragraph) pairs of the training part;
the reranker on its questions, each with its paragraph and ``--negatives`` BM25 hard negatives (the top
BM25 paragraphs of the training part that are not the answer), validated on the selection part's. The
best first stage is chosen by nDCG@10 on the selection part, then every row is scored on the
evaluation part. Every step is a ``jbert`` command in its own process (as a user runs it); the wall
times are the whole processes'. Mining the BM25 negatives is the one step done in this process, with
jbert's BM25 (``jbert.retrieval.bm25``): jbert has no command that writes them.

"Without fine-tuning" needs a bi-encoder directory: ``jbert finetune embedding --max-steps 1
--learning-rate 0`` writes the pre-trained weights unchanged (checked here) with mean pooling.

    python benchmarks/bench_retrieval.py
    python benchmarks/bench_retrieval.py --quick        # small sizes, to try the harness
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import _pretrained as P  # noqa: E402

JBERT = [sys.executable, "-m", "jbert"]
QUIET = ["--set", "training.progress_bar=false"]
METRICS = ("ndcg@10", "mrr@10", "recall@1", "recall@10", "recall@100")
PARTS = ("train", "select", "eval")


def jbert(*args: Any, log: Path) -> float:
    wall, _ = C.run_timed([*JBERT, *map(str, args)], log=log)
    return wall


# ------------------------------------------------------------------------------------------- data
def split_articles(args: argparse.Namespace) -> dict[str, list[dict]]:
    """JSQuAD valid's articles, shuffled with ``--seed``, cut into evaluation, selection and training."""
    path = args.jglue_dir / "jsquad-v1.3" / "valid-v1.3.json"
    if not path.is_file():
        raise SystemExit(f"{path} not found: pass --jglue-dir DIR (the directory holding jsquad-v1.3/)")
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    random.Random(args.seed).shuffle(articles)
    n_eval, n_select = round(len(articles) * args.eval_share), args.select_articles
    parts = {"eval": articles[:n_eval], "select": articles[n_eval:n_eval + n_select],
             "train": articles[n_eval + n_select:]}
    if args.quick:  # a few articles per part
        parts = {k: v[:2] for k, v in parts.items()}
    return parts


def retrieval_sets(parts: dict[str, list[dict]], work: Path) -> dict[str, Path]:
    """One BEIR folder per part, by ``jbert data retrieval-from-squad``; no paragraph in two parts."""
    out = {}
    for name, articles in parts.items():
        squad = work / f"jsquad-{name}.json"
        squad.write_text(json.dumps({"version": "v1.3", "data": articles}, ensure_ascii=False), encoding="utf-8")
        out[name] = work / f"retrieval-{name}"
        jbert("data", "retrieval-from-squad", squad, "--output", out[name], log=work / f"data-{name}.log")
    texts = {name: {d["text"] for d in read_jsonl(folder / "corpus.jsonl")} for name, folder in out.items()}
    shared = (texts["train"] | texts["select"]) & texts["eval"] | texts["train"] & texts["select"]
    if shared:
        raise SystemExit(f"{len(shared)} paragraphs are in two parts: the split leaks")
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_set(folder: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(query id -> text, doc id -> the text a retriever reads (title, space, text), query id -> its doc)."""
    queries = {q["_id"]: q["text"] for q in read_jsonl(folder / "queries.jsonl")}
    docs = {d["_id"]: " ".join(p for p in (d.get("title"), d["text"]) if p) for d in read_jsonl(folder / "corpus.jsonl")}
    lines = (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
    gold = {q: d for q, d, _ in (line.split("\t") for line in lines)}
    return queries, docs, gold


def embedding_pairs(folder: Path, out: Path, limit: int | None, seed: int) -> Path:
    """(question, its paragraph) rows: the first ``limit`` questions of a seeded shuffle."""
    queries, docs, gold = read_set(folder)
    return write_jsonl(out, [{"anchor": queries[q], "positive": docs[gold[q]]} for q in sample(gold, limit, seed)])


def sample(gold: dict[str, str], limit: int | None, seed: int) -> list[str]:
    qids = sorted(gold)
    random.Random(seed).shuffle(qids)
    return qids[:limit]


def reranker_rows(folder: Path, out: Path, negatives: int, limit: int | None, seed: int) -> Path:
    """Per question (the first ``limit`` of a seeded shuffle): its paragraph (label 1) and the top
    ``negatives`` BM25 paragraphs of the same part that are not it (label 0), grouped by query_id."""
    from jbert.retrieval.bm25 import BM25Retriever

    queries, docs, gold = read_set(folder)
    qids = sample(gold, limit, seed)
    doc_ids = list(docs)
    hits = BM25Retriever([docs[d] for d in doc_ids]).search([queries[q] for q in qids], negatives + 1)
    rows = []
    for qid, found in zip(qids, hits, strict=True):
        negs = [doc_ids[r] for r, _ in found if doc_ids[r] != gold[qid]][:negatives]
        if not negs:  # BM25 found nothing else: a listwise group needs two documents
            negs = random.Random(qid).sample([d for d in doc_ids if d != gold[qid]], 1)
        rows += [{"query_id": qid, "query": queries[qid], "document": docs[d], "label": int(d == gold[qid])}
                 for d in [gold[qid], *negs]]
    return write_jsonl(out, rows)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------- models
def train_args(args: argparse.Namespace, epochs: float, lr: float, batch: int) -> list[Any]:
    return ["--epochs", epochs, "--batch-size", batch, "--learning-rate", lr, "--max-length", args.max_length,
            "--seed", args.seed, "--precision", args.precision, *QUIET, *(["--max-steps", 3] if args.quick else [])]


def finetune_embedding(start: Path, pairs: Path, out: Path, args: argparse.Namespace) -> float:
    return jbert("finetune", "embedding", "--model", start, "--train", pairs, "--output", out,
                 *train_args(args, args.embed_epochs, args.embed_lr, args.embed_batch_size), log=out.with_suffix(".log"))


def as_bi_encoder(start: Path, pairs: Path, out: Path, args: argparse.Namespace) -> float:
    """The pre-trained weights as they are, in a bi-encoder directory (mean pooling): one step at
    learning rate 0, then a check that no encoder weight moved."""
    wall = jbert("finetune", "embedding", "--model", start, "--train", pairs, "--output", out, "--max-steps", 1,
                 "--learning-rate", 0, "--batch-size", 2, "--max-length", args.max_length, *QUIET,
                 log=out.with_suffix(".log"))
    from safetensors.torch import load_file

    before, after = load_file(start / "model.safetensors"), load_file(out / "model.safetensors")
    before = {k.removeprefix("bert."): v for k, v in before.items()}  # the masked-LM model's encoder prefix
    moved = [k for k, v in after.items() if k in before and not v.equal(before[k])]
    if moved or not set(after) & set(before):
        raise SystemExit(f"{out}: {len(moved)} weights differ from {start} (first: {moved[0]})")
    return wall


def evaluate(model: Path | str, folder: Path, out: Path, extra: list[Any] = ()) -> tuple[float, dict[str, Any]]:
    wall = jbert("eval", "retrieval", "--model", model, "--data", folder, "--output", out, "--batch-size", 64,
                 *extra, log=out.with_suffix(".log"))
    return wall, json.loads(out.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- run
def first_stages(mini: P.Mini, sets: dict[str, Path], work: Path, args: argparse.Namespace) -> dict[str, dict]:
    """name -> {model, train_s}: BM25 and the three bi-encoders (trained here)."""
    pairs = embedding_pairs(sets["train"], work / "embed-train.jsonl", args.embed_queries, args.seed)
    stages = {"BM25 (MeCab words)": {"model": "bm25", "train_s": 0.0}}
    todo = [("pre-trained mini, no fine-tuning", mini.pretrained, as_bi_encoder),
            ("random init + finetune embedding", mini.init, finetune_embedding),
            ("pre-trained mini + finetune embedding", mini.pretrained, finetune_embedding)]
    for i, (name, start, make) in enumerate(todo):
        print(f"{name} ...", flush=True)
        out = work / f"embedder-{i}"
        shutil.rmtree(out, ignore_errors=True)
        stages[name] = {"model": out, "train_s": make(start, pairs, out, args)}
    return stages


def pick_first_stage(stages: dict[str, dict], sets: dict[str, Path], work: Path) -> str:
    """The first stage with the best nDCG@10 on the selection part (never the evaluation part)."""
    for i, stage in enumerate(stages.values()):
        _, result = evaluate(stage["model"], sets["select"], work / f"select-{i}.json")
        stage["select_ndcg@10"] = result["metrics"]["ndcg@10"]
    return max(stages, key=lambda name: stages[name]["select_ndcg@10"])


def train_reranker(mini: P.Mini, sets: dict[str, Path], work: Path, args: argparse.Namespace) -> tuple[Path, float]:
    limit = 16 if args.quick else args.reranker_queries
    train = reranker_rows(sets["train"], work / "rerank-train.jsonl", args.negatives, limit, args.seed)
    valid = reranker_rows(sets["select"], work / "rerank-select.jsonl", args.negatives, None, args.seed)
    out = work / "reranker"
    shutil.rmtree(out, ignore_errors=True)
    rates = args.reranker_lr.split(",")
    print(f"reranker (learning rate {' / '.join(rates)}, picked on the selection part) ...", flush=True)
    sweep = ["--sweep", f"training.learning_rate={args.reranker_lr}"] if len(rates) > 1 else []
    wall = jbert("finetune", "reranker", "--model", mini.pretrained, "--train", train, "--valid", valid,
                 "--output", out, *train_args(args, args.reranker_epochs, rates[0], args.reranker_batch_size),
                 *sweep, log=work / "reranker.log")
    return (out / "best" if sweep else out), wall


def score(stages: dict[str, dict], best: str, reranker: Path, reranker_s: float, sets: dict[str, Path],
          work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every first stage on the evaluation part, then the best one reranked."""
    rows = []
    for i, (name, stage) in enumerate(stages.items()):
        print(f"scoring {name} ...", flush=True)
        wall, result = evaluate(stage["model"], sets["eval"], work / f"eval-{i}.json")
        rows.append({"row": name, **result["metrics"], "train_s": stage["train_s"], "eval_s": wall,
                     "select_ndcg@10": stage["select_ndcg@10"]})
    print(f"scoring {best} + reranker ...", flush=True)
    wall, result = evaluate(stages[best]["model"], sets["eval"], work / "eval-rerank.json",
                            ["--rerank", reranker, "--top-k", args.top_k])
    rows.append({"row": f"{best} + reranker (top {args.top_k})", **result["reranked"],
                 "train_s": stages[best]["train_s"] + reranker_s, "eval_s": wall})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--eval-share", type=float, default=0.4, help="share of JSQuAD valid's articles scored")
    p.add_argument("--select-articles", type=int, default=5, help="articles for selection (reranker, best first stage)")
    p.add_argument("--max-length", type=int, default=256, help="tokens per text (bi-encoders) and per pair (reranker)")
    p.add_argument("--embed-queries", type=int, default=1600, help="training questions for the bi-encoders")
    p.add_argument("--embed-epochs", type=float, default=1.0)
    p.add_argument("--embed-lr", type=float, default=1e-4)
    p.add_argument("--embed-batch-size", type=int, default=32, help="pairs per batch: in-batch negatives")
    p.add_argument("--reranker-queries", type=int, default=400, help="training questions for the reranker")
    p.add_argument("--negatives", type=int, default=3, help="BM25 hard negatives per reranker question")
    p.add_argument("--reranker-epochs", type=float, default=1.0)
    p.add_argument("--reranker-lr", default="1e-4,3e-4",
                   help="comma-separated: a `--sweep` whose best run on the selection part reranks")
    p.add_argument("--reranker-batch-size", type=int, default=8, help="questions per batch (listwise)")
    p.add_argument("--top-k", type=int, default=10, help="first-stage documents reranked per question")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                   help="fine-tuning precision; auto: bf16 where it is native, else fp32 (scoring stays fp32)")
    p.add_argument("--quick", action="store_true", help="two articles per part, 3 training steps per model")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--jglue-dir", type=Path, default=C.DEFAULT_JGLUE)
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work" / "retrieval")
    P.add_pretrain_args(p)
    args = p.parse_args(argv)
    args.precision = P.resolve_precision(args.precision)
    work = args.workdir / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    mini = P.pretrained_mini(args)
    parts = split_articles(args)
    sets = retrieval_sets(parts, work)
    sizes = {k: {"articles": len(parts[k]), "questions": len(read_jsonl(sets[k] / "queries.jsonl")),
                 "paragraphs": len(read_jsonl(sets[k] / "corpus.jsonl"))} for k in PARTS}
    print(json.dumps(sizes), flush=True)
    stages = first_stages(mini, sets, work, args)
    best = pick_first_stage(stages, sets, work)
    reranker, reranker_s = train_reranker(mini, sets, work, args)
    rows = score(stages, best, reranker, reranker_s, sets, work, args)
    print(P.describe(mini))
    print(C.table([[r["row"], *(r[m] for m in METRICS), r["train_s"], r["eval_s"]] for r in rows],
                  ["JSQuAD valid, evaluation articles", *METRICS, "train s", "eval s"]))
    summary = {"config": {k: str(v) for k, v in vars(args).items()}, "sizes": sizes, "pretrained": mini.build,
               "best_first_stage": best, "rows": rows}
    print(f"results: {C.write_result('retrieval-quick' if args.quick else 'retrieval', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
