"""Every `jbert ...` command in the README's bash blocks runs as written.

Each command runs in a fresh working directory through typer's CliRunner, its placeholders standing for
tiny fixtures: model names (cl-tohoku/..., DIR, MODEL) for the tiny model, model directories it reads
(runs/jsts, pretrained/, tok/ ...) for tiny fine-tuned / tokenizer directories, and each data file it
names for a small file of that name and extension, in the layout the command reads (the CSV columns
its --text-column / --label-column name, a JGLUE folder, a corpus). Flags and values stay as written.
A command this test cannot run is listed in NOT_RUN with the reason; any other command must pass.
"""

from __future__ import annotations

import glob
import json
import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from _finetuned import DATA, JGLUE, finetuned  # noqa: F401 (fixture)
from typer.testing import CliRunner

from jbert.cli import app

# several minutes on 2 cores: the README's sweep alone is 18 tiny fine-tunings (3 learning rates x 2 epochs x 3 seeds)
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
runner = CliRunner()

NOT_RUN = {
    "accelerate": "`accelerate launch` runs several processes (GPUs, nodes, DeepSpeed, FSDP); the two-process CPU "
                  "run is tests/test_distributed.py, and `...` stands for the rest of a finetune command",
}
# Commands run end to end by their own CLI tests on fixtures of their kind (teachers, sentence-transformers
# models, retrieval sets), which this file's generic fixtures do not build: each names the test that runs it.
RUN_ELSEWHERE = {
    ("distill",): "tests/distillation/test_distill_cli.py distils fine-tuned teachers of every head; "
                  "tests/distillation/test_distill_sweep.py runs a sweep",
    ("embed",): "tests/cli/test_embed_cli.py embeds files with a trained embedding model",
    ("finetune", "embedding"): "tests/cli/test_embed_cli.py trains every embedding loss",
    ("eval", "--model", "runs/embedder"): "tests/cli/test_embed_cli.py scores an embedding model on JSTS",
    ("eval", "retrieval"): "tests/cli/test_eval_retrieval_cli.py runs BM25, dense and reranked retrieval",
    ("data", "retrieval-from-squad"): "tests/cli/test_eval_retrieval_cli.py builds a retrieval set from JSQuAD",
    ("data", "mine-negatives"): "tests/retrieval/test_mine.py mines rows for both trainers and checks them",
    ("finetune", "reranker"): "tests/cli/test_reranker_cli.py trains rerankers and loads them in CrossEncoder",
    ("report", "bm25.json"): "tests/report/test_report_ranking.py reports jbert eval retrieval results",
}
MODEL_NAMES = {"cl-tohoku/bert-base-japanese-v3", "cl-tohoku/bert-base-japanese", "DIR", "MODEL"}
OUTPUT_FLAGS = ("--output", "-o")
# model directories a command may read -> the task of the data it is given
MODEL_DIRS = {"runs/jsts": "jsts", "runs/jsts-int8": "jsts", "runs/reviews": "classification", "runs": "jsts",
              "pretrained": "corpus", "init": "corpus", "tok": "corpus", "model": "corpus"}


def readme_commands() -> list[list[str]]:
    """Every command line of the README's bash blocks that runs jbert, as shell tokens (comments dropped,
    ``\\`` continuations joined)."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            tokens = shlex.split(line, comments=True)
            if "jbert" in tokens:
                commands.append(tokens)
    return commands


def not_run_reason(tokens: list[str]) -> str | None:
    if tokens[0] in NOT_RUN:
        return NOT_RUN[tokens[0]]
    args = tokens[tokens.index("jbert") + 1:]
    return next((why for prefix, why in RUN_ELSEWHERE.items() if tuple(args[:len(prefix)]) == prefix), None)


COMMANDS = readme_commands()


def test_the_readme_has_commands_and_every_one_is_run_or_listed():
    assert len(COMMANDS) > 20
    skipped = [c for c in COMMANDS if c[0] in NOT_RUN]
    assert len(skipped) < 8, skipped  # the list is for what cannot run here, not a way out
    elsewhere = [c for c in COMMANDS if c[0] not in NOT_RUN and not_run_reason(c)]
    assert len(elsewhere) <= 2 * len(RUN_ELSEWHERE), elsewhere  # a listed prefix covers a few examples, not a section


# --- fixtures: models ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models(tiny_model_dir, tiny_tokenizer_dir, finetuned, tmp_path_factory) -> dict[str, Path]:  # noqa: F811
    """Model directories by the path a README command reads them at."""
    root = tmp_path_factory.mktemp("readme-models")
    make_jglue(root)
    jsts = root / "jsts"
    run(["finetune", "jsts", "--model", str(tiny_model_dir), "--jglue-dir", str(root / "JGLUE" / "datasets"),
         "--output", str(jsts), "--max-steps", "2", "--batch-size", "4", "--max-length", "64",
         "--set", "training.progress_bar=false"])
    run(["export", "--model", str(jsts), "--output", str(root / "jsts-int8"), "--quantize", "int8",
         "--min-agreement", "0"])
    return {"runs/jsts": jsts, "runs/jsts-int8": root / "jsts-int8", "runs/reviews": finetuned("classification"),
            "pretrained": tiny_model_dir, "init": tiny_model_dir, "model": tiny_model_dir, "tok": tiny_tokenizer_dir}


def run(args: list[str], stdin: bytes | None = None):
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 0, f"jbert {' '.join(args)}\n{result.output}"
    return result


# --- fixtures: data files, by the path and the task of the command ----------------------------------------


def make_jglue(root: Path) -> None:
    for split, src in (("train", "jsts-train.jsonl"), ("valid", "jsts-valid.jsonl")):
        target = root / "JGLUE" / "datasets" / "jsts-v1.3" / f"{split}-v1.3.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_lines(target, (JGLUE / src).read_text(encoding="utf-8").splitlines()[:16])


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def jsonl_rows(path: Path, n: int = 16) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n]]


def table(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    sep = "\t" if path.suffix == ".tsv" else ","
    write_lines(path, [sep.join(columns)] + [sep.join(str(v).replace(sep, " ") for v in row) for row in rows])


def corpus_lines(n: int = 120) -> list[str]:
    return (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[:n]


def classification_file(path: Path, flags: dict[str, str]) -> None:
    rows = jsonl_rows(DATA / "marc_ja" / ("train.jsonl" if "train" in path.name else "valid.jsonl"))
    if path.suffix == ".txt":
        write_lines(path, [r["sentence"] for r in rows])
        return
    columns = [flags.get("--text-column", "text"), flags.get("--label-column", "label")]
    table(path, columns, [[r["sentence"], r["label"]] for r in rows])


def jsts_file(path: Path, flags: dict[str, str]) -> None:
    rows = jsonl_rows(JGLUE / "jsts-valid.jsonl")
    if path.suffix in (".csv", ".tsv"):
        table(path, ["sentence_pair_id", "sentence1", "sentence2"],
              [[r["sentence_pair_id"], r["sentence1"], r["sentence2"]] for r in rows])
    else:
        write_lines(path, [json.dumps(r, ensure_ascii=False) for r in rows])


def ner_file(path: Path, flags: dict[str, str]) -> None:
    shutil.copy(DATA / "ner" / ("train.conll" if "train" in path.name else "valid.conll"), path)


def jsquad_file(path: Path, flags: dict[str, str]) -> None:
    gold = JGLUE / "jsquad-valid.json"
    if path.name == flags.get("--predictions"):  # a run_qa.py-style {question id: answer text}
        squad = json.loads(gold.read_text(encoding="utf-8"))
        answers = {qa["id"]: qa["answers"][0]["text"] for art in squad["data"] for par in art["paragraphs"]
                   for qa in par["qas"]}
        path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    else:
        shutil.copy(gold, path)


def corpus_file(path: Path, flags: dict[str, str]) -> None:
    lines = corpus_lines()
    if path.suffix == ".jsonl":
        field = flags.get("--field", "text")
        write_lines(path, [json.dumps({field: line}, ensure_ascii=False) for line in lines])
    else:
        write_lines(path, lines)


DATA_FILES: dict[str, Callable[[Path, dict[str, str]], None]] = {
    "classification": classification_file, "jsts": jsts_file, "ner": ner_file, "jsquad": jsquad_file,
    "corpus": corpus_file,
}


def task_of(args: list[str]) -> str:
    """The task whose data the command reads: its TASK argument, --task, its model's, or a corpus."""
    if args[0] == "finetune" or args[:2] == ["data", "check"]:
        return args[1] if args[0] == "finetune" else args[2]
    if "--task" in args:
        return args[args.index("--task") + 1]
    for token in args:
        if "/" in token and token.rstrip("/") in MODEL_DIRS:
            return MODEL_DIRS[token.rstrip("/")]
    return "corpus"


def prepare(args: list[str], cwd: Path, models: dict[str, Path], tiny_model_dir: Path) -> list[str]:
    """The command's arguments with model names replaced (``[--flag]``, an optional flag, given), and every
    file or directory it reads made in cwd."""
    flags = {a: b for a, b in zip(args, args[1:], strict=False) if a.startswith("-")}
    outputs = {flags[f] for f in OUTPUT_FLAGS if f in flags}
    task = task_of(args)
    prepared = []
    for token in args:
        if token in MODEL_NAMES:
            token = str(tiny_model_dir)
        elif re.fullmatch(r"\[--[\w-]+\]", token):  # usage notation for an optional flag: given here
            token = token[1:-1]
        elif token not in outputs and not token.startswith("-"):
            make_input(token, cwd, task, flags, models)
        prepared.append(token)
    return [m for token in prepared for m in (sorted(glob.glob(token, root_dir=cwd)) if "*" in token else [token])]


def make_input(token: str, cwd: Path, task: str, flags: dict[str, str], models: dict[str, Path]) -> None:
    """Copies, not links: a command must not be able to change the session's fixtures. A directory is
    written with a slash (``init/``, ``runs/jsts``), which keeps subcommand words (``model init``) out."""
    key, path = token.rstrip("/"), cwd / token
    if "/" in token and key in models:
        shutil.copytree(models[key], cwd / key, symlinks=True)
    elif "/" in token and key == "runs":
        shutil.copytree(models["runs/jsts"], cwd / "runs" / "jsts", symlinks=True)
    elif token.startswith("JGLUE/"):
        make_jglue(cwd)
    elif "*" in token:
        for part in ("a", "b"):
            corpus_file(cwd / token.replace("*", part), flags)
    elif path.suffix in (".csv", ".tsv", ".txt", ".jsonl", ".json", ".conll") and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        DATA_FILES[task](path, flags)


# --- the commands ---------------------------------------------------------------------------------------


def _id(tokens: list[str]) -> str:
    return " ".join(tokens)[:90]


@pytest.mark.parametrize("tokens", COMMANDS, ids=[_id(c) for c in COMMANDS])
def test_readme_command_runs_as_written(tokens, models, tiny_model_dir, tmp_path, monkeypatch):
    reason = not_run_reason(tokens)
    if reason:
        pytest.skip(reason)
    import datasets.config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / ".datasets")  # pretrain's Arrow cache
    stdin, redirect, args = split_shell(tokens)
    args = prepare(args, tmp_path, models, tiny_model_dir)
    if stdin is not None:
        make_input(stdin, tmp_path, task_of(args), {}, models)
    result = run(args, (tmp_path / stdin).read_bytes() if stdin else None)
    flags = dict(zip(args, args[1:], strict=False))
    for flag in OUTPUT_FLAGS:
        if flag in flags:
            assert (tmp_path / flags[flag]).exists(), f"{flags[flag]} was not written"
    if redirect:
        (tmp_path / redirect).write_text(result.stdout, encoding="utf-8")
        rows = (tmp_path / redirect).read_text(encoding="utf-8").splitlines()
        inputs = (tmp_path / stdin).read_text(encoding="utf-8").splitlines() if stdin else []
        assert len(rows) == len(inputs) + 1, rows[:3]  # a CSV header, then one row per input line


def split_shell(tokens: list[str]) -> tuple[str | None, str | None, list[str]]:
    """``cat FILE | jbert ARGS > OUT`` -> (FILE, OUT, ARGS); plain ``jbert ARGS`` -> (None, None, ARGS)."""
    stdin = tokens[1] if tokens[0] == "cat" and tokens[2] == "|" else None
    args = tokens[tokens.index("jbert") + 1 :]
    redirect = None
    if ">" in args:
        redirect = args[args.index(">") + 1]
        args = args[: args.index(">")]
    return stdin, redirect, args
