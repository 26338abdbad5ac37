"""Tokenizer throughput: jbert's fast tokenizer against BertJapaneseTokenizer, in the same run.

Workload: every JSQuAD valid context and question (single texts) and every JSTS valid pair, tokenized
to model inputs. jbert's side also returns offsets into the original text. The ids of every contender
are checked identical to BertJapaneseTokenizer's before anything is timed. Figures are the best of
``--repeats`` interleaved runs (the best, not the mean: on a shared machine the mean times the
neighbours too). Also reported: MeCab's own parse time over the same normalised text (the floor of
any MeCab tokenizer in one thread), the naive fugashi-words -> BertTokenizerFast pipeline, and the
multi-process path. A second table times the Sudachi word segmenter (split mode A, sudachidict_core, same
vocabulary) against transformers' own Sudachi BertJapaneseTokenizer, ids checked identical too.

    python benchmarks/bench_tokenize.py                 # ~1 minute on 2 cores
    python benchmarks/bench_tokenize.py --vocab local   # vocabulary built as tests/conftest.py does
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import _setup as S  # noqa: E402


def load_texts(jglue: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """JSQuAD valid contexts + questions, and JSTS valid (sentence1, sentence2) pairs."""
    squad = S.read_jglue(jglue, "jsquad", "valid")
    singles = []
    for article in squad["data"]:
        for par in article["paragraphs"]:
            singles.append(par["context"])
            singles += [qa["question"] for qa in par["qas"]]
    pairs = [(r["sentence1"], r["sentence2"]) for r in S.read_jglue(jglue, "jsts", "valid")]
    return singles, pairs


def vocab_corpus(jglue: Path) -> list[str]:
    """The sample corpus and JGLUE train text (JSTS, JCommonsenseQA): never the valid text that is timed."""
    lines = (C.REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()
    lines += [r[k] for r in S.read_jglue(jglue, "jsts", "train") for k in ("sentence1", "sentence2")]
    jcqa = jglue / "jcommonsenseqa-v1.3" / "train-v1.3.json"
    if jcqa.exists():
        for raw in jcqa.read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            lines += [v for k, v in row.items() if k.startswith(("question", "choice")) and isinstance(v, str)]
    return lines


def build_tokenizer(args: argparse.Namespace) -> Path:
    out = args.workdir / f"tokenize-{args.vocab}-{args.vocab_size}"
    if (out / "vocab.txt").exists():
        return out
    S.clean_dir(out)
    lines = vocab_corpus(args.jglue_dir)
    if args.vocab == "trained":
        from jbert.tokenization.train import train_tokenizer

        corpus = args.workdir / "tokenize-corpus.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        train_tokenizer(corpus, "mecab-wordpiece", args.vocab_size, out, progress=False)
        return out
    (out / "vocab.txt").write_text("\n".join(S.build_vocab(lines, args.vocab_size)) + "\n", encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(S.TOKENIZER_CONFIG, ensure_ascii=False), encoding="utf-8")
    return out


def best_of(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, tuple[float, float, float]]:
    """Best (wall, process CPU, main-thread CPU) seconds of each function over `repeats` interleaved rounds.

    CPU seconds do not count worker processes; the main thread's CPU is the critical path of the threaded
    pipeline when a second core is free (MeCab runs beside it).
    """
    best = {name: (float("inf"),) * 3 for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
            fn()
            took = (time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - main)
            best[name] = tuple(min(a, b) for a, b in zip(best[name], took, strict=True))
    return best


def contenders(tok_dir: Path, singles: list[str], pairs: list[tuple[str, str]]
               ) -> tuple[dict[str, Callable[[], Any]], dict[str, Any]]:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertJapaneseTokenizer, BertTokenizerFast

    from jbert.tokenization import load_tokenizer, make_tagger, segment

    slow = BertJapaneseTokenizer.from_pretrained(tok_dir, model_input_names=["input_ids", "token_type_ids",
                                                                               "attention_mask"])
    one = load_tokenizer(tok_dir, mecab_threads=0)
    threaded = load_tokenizer(tok_dir)
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    tagger = make_tagger({"mecab_dic": "unidic_lite"})
    normalised = [unicodedata.normalize("NFKC", t) for t in singles + first + second]
    backend = Tokenizer(models.WordPiece(dict(one._base_vocab), unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    naive_tok = BertTokenizerFast(tokenizer_object=backend)

    def words(text: str) -> list[str]:
        return [w.surface for w in tagger(unicodedata.normalize("NFKC", text))]

    def run(tok: Any, **kw: Any) -> tuple[Any, Any]:
        return tok(singles, **kw), tok(first, second, **kw)

    fns = {
        "BertJapaneseTokenizer": lambda: run(slow),
        "jbert, 1 thread": lambda: run(one, return_offsets_mapping=True),
        f"jbert, {threaded._pre.segmenter.threads} MeCab thread(s)": lambda: run(threaded, return_offsets_mapping=True),
        "naive fugashi -> BertTokenizerFast": lambda: (
            naive_tok([words(t) for t in singles], is_split_into_words=True),
            naive_tok([words(t) for t in first], [words(t) for t in second], is_split_into_words=True)),
        "MeCab parse only (floor)": lambda: [segment(tagger, t) for t in normalised],
    }
    outputs = {name: fns[name]() for name in list(fns)[:3]}
    return fns, outputs


def sudachi_contenders(tok_dir: Path, singles: list[str], pairs: list[tuple[str, str]]
                       ) -> tuple[dict[str, Callable[[], Any]], dict[str, Any]]:
    """transformers' and jbert's Sudachi tokenizers over the same vocabulary (none without sudachipy)."""
    import importlib.util

    if importlib.util.find_spec("sudachipy") is None or importlib.util.find_spec("sudachidict_core") is None:
        return {}, {}
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization import load_tokenizer

    out = tok_dir.parent / f"{tok_dir.name}-sudachi"
    out.mkdir(exist_ok=True)
    (out / "vocab.txt").write_bytes((tok_dir / "vocab.txt").read_bytes())
    config = json.loads((tok_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.update(word_tokenizer_type="sudachi", sudachi_kwargs={"sudachi_split_mode": "A", "sudachi_dict_type": "core"})
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    slow = BertJapaneseTokenizer.from_pretrained(out, model_input_names=["input_ids", "token_type_ids",
                                                                          "attention_mask"])
    fast = load_tokenizer(out)
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    fns = {"Sudachi: BertJapaneseTokenizer": lambda: (slow(singles), slow(first, second)),
           "Sudachi: jbert (offsets)": lambda: (fast(singles, return_offsets_mapping=True),
                                                fast(first, second, return_offsets_mapping=True))}
    return fns, {name: fn() for name, fn in fns.items()}


def check_identical(outputs: dict[str, Any], reference: str = "BertJapaneseTokenizer") -> None:
    ref_single, ref_pair = outputs[reference]
    for name, (single, pair) in outputs.items():
        same = single["input_ids"] == ref_single["input_ids"] and pair["input_ids"] == ref_pair["input_ids"] \
            and pair["token_type_ids"] == ref_pair["token_type_ids"]
        if not same:
            raise SystemExit(f"{name}: input_ids differ from BertJapaneseTokenizer's; not timing a wrong tokenizer")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jglue-dir", type=Path, default=C.DEFAULT_JGLUE)
    p.add_argument("--workdir", type=Path, default=C.OUT_DIR / "work")
    p.add_argument("--vocab", choices=["trained", "local"], default="trained",
                   help="trained: jbert's WordPiece trainer on JGLUE train text; local: frequent MeCab words")
    p.add_argument("--vocab-size", type=int, default=32768)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    singles, pairs = load_texts(args.jglue_dir)
    chars = sum(map(len, singles)) + sum(len(a) + len(b) for a, b in pairs)
    tok_dir = build_tokenizer(args)
    fns, outputs = contenders(tok_dir, singles, pairs)
    check_identical(outputs)
    sudachi_fns, sudachi_outputs = sudachi_contenders(tok_dir, singles, pairs)
    if sudachi_outputs:
        check_identical(sudachi_outputs, "Sudachi: BertJapaneseTokenizer")
    load = os.getloadavg()[0]
    seconds = best_of({**fns, **sudachi_fns}, args.repeats)
    sudachi_seconds = {name: seconds.pop(name) for name in sudachi_fns}
    ref_wall, ref_cpu, _ = seconds["BertJapaneseTokenizer"]
    in_process = {name: "processes" not in name for name in seconds}  # CPU of worker processes is not counted
    rows = [(name, wall, chars / wall, ref_wall / wall, cpu if in_process[name] else None,
             main if in_process[name] else None, ref_cpu / main if in_process[name] else None)
            for name, (wall, cpu, main) in seconds.items()]
    vocab_size = len((tok_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())
    print(f"{len(singles)} JSQuAD valid texts + {len(pairs)} JSTS valid pairs = {chars:,} characters; "
          f"{args.vocab} vocab of {vocab_size}; best of {args.repeats}; {os.cpu_count()} cores, load {load:.1f}")
    print(C.table(rows, ["tokenizer", "wall s", "chars/s", "x ref (wall)", "CPU s", "main-thread CPU s",
                         "x ref (ref CPU / main CPU)"]))
    print("(wall is what you get on this machine now; with other processes busy, threads cannot run in "
          "parallel and wall understates them: the main thread's CPU is the threaded pipeline's critical path)")
    if sudachi_seconds:
        sudachi_wall, sudachi_cpu, _ = sudachi_seconds["Sudachi: BertJapaneseTokenizer"]
        print(C.table([(name, wall, chars / wall, sudachi_wall / wall, cpu, sudachi_cpu / cpu)
                       for name, (wall, cpu, _) in sudachi_seconds.items()],
                      ["tokenizer", "wall s", "chars/s", "x transformers' Sudachi (wall)", "CPU s", "x (CPU)"]))
    path = C.write_result("tokenize", {
        "workload": {"singles": len(singles), "pairs": len(pairs), "characters": chars},
        "vocab": {"kind": args.vocab, "size": vocab_size, "dir": str(tok_dir)},
        "repeats": args.repeats,
        "load_avg_before": load,
        "ids_identical": True,
        "results": {name: {"wall_s": wall, "chars_per_s": chars / wall, "speedup_wall": ref_wall / wall,
                           **({"cpu_s": cpu, "main_thread_cpu_s": main, "speedup_critical_path": ref_cpu / main}
                              if in_process[name] else {})}
                    for name, (wall, cpu, main) in seconds.items()},
        "sudachi": {name: {"wall_s": wall, "cpu_s": cpu, "chars_per_s": chars / wall,
                           "speedup_wall": sudachi_seconds["Sudachi: BertJapaneseTokenizer"][0] / wall,
                           "speedup_cpu": sudachi_seconds["Sudachi: BertJapaneseTokenizer"][1] / cpu}
                    for name, (wall, cpu, _) in sudachi_seconds.items()},
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
