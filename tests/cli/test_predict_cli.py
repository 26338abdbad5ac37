"""`jbert predict` through typer's CliRunner: every head, every input and output format,
stdin/stdout, order and ids, skip/fail modes, chunking, and the errors a user can hit."""

from __future__ import annotations

import csv
import io
import json

import pytest
from _finetuned import DATA, JGLUE, MODELS, read_jsonl
from typer.testing import CliRunner

from jbert.cli import app

runner = CliRunner()
JNLI = JGLUE / "jnli-valid.jsonl"
MARC = DATA / "marc_ja" / "valid.jsonl"


def _predict(model, *args, input=None):
    return runner.invoke(
        app, ["predict", "--model", str(model), "--device", "cpu", *map(str, args)], input=input
    )


def _ok(result):
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _last_error(result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("head", list(MODELS))
def test_every_head_to_stdout(finetuned, head):
    rows = _ok(_predict(finetuned(head), MODELS[head][2]))
    assert rows and all("id" in r for r in rows)
    key = {
        "classification": "probabilities",
        "pair-classification": "probabilities",
        "pair-regression": "score",
        "choice": "probabilities",
        "span": "answer",
        "token": "entities",
        "reranker": "score",
        "embedding": "vector",
    }[head]
    assert all(key in r for r in rows)


def test_jsts_rows_keep_id_and_input_fields_in_input_order(finetuned):
    rows = _ok(_predict(finetuned("pair-regression"), JGLUE / "jsts-valid.jsonl"))
    source = [json.loads(x) for x in (JGLUE / "jsts-valid.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["sentence_pair_id"] for r in rows] == [s["sentence_pair_id"] for s in source]
    assert [r["id"] for r in rows] == [s["sentence_pair_id"] for s in source]
    assert rows[0]["sentence1"] == source[0]["sentence1"] and rows[0]["input_label"] == source[0]["label"]


def test_summary_on_stderr_adds_up(finetuned):
    result = _predict(finetuned("classification"), MARC)
    n = len(MARC.read_text(encoding="utf-8").splitlines())
    assert f"rows in: {n}, rows out: {n}, rows in error: 0" in result.stderr
    assert "rows in" not in result.stdout


def test_stdin_to_stdout(finetuned):
    text = JNLI.read_text(encoding="utf-8")
    rows = _ok(_predict(finetuned("pair-classification"), "-", input=text))
    assert [r["id"] for r in rows] == [json.loads(x)["sentence_pair_id"] for x in text.splitlines()]


def test_plain_text_input_one_text_a_line(finetuned, tmp_path):
    src = tmp_path / "reviews.txt"
    src.write_text("とても良い商品です。\n\n最悪でした。\n", encoding="utf-8")
    rows = _ok(_predict(finetuned("classification"), src))
    assert [(r["id"], r["text"]) for r in rows] == [
        ("1", "とても良い商品です。"),
        ("2", ""),
        ("3", "最悪でした。"),
    ]
    assert all(r["label"] in ("positive", "negative") for r in rows)


def test_plain_text_pairs_from_stdin_with_input_format(finetuned):
    rows = _ok(
        _predict(
            finetuned("pair-regression"),
            "-",
            "--input-format",
            "text",
            input="犬が走る。\t犬が走っている。\n",
        )
    )
    assert rows[0]["id"] == "1" and isinstance(rows[0]["score"], float)


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_csv_and_tsv_input(finetuned, tmp_path, delimiter):
    src = tmp_path / ("in.csv" if delimiter == "," else "in.tsv")
    with src.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(["review_id", "sentence"])
        writer.writerows([["r1", "良い、とても良い。"], ["r2", "悪い"]])
    rows = _ok(_predict(finetuned("classification"), src))
    assert [r["review_id"] for r in rows] == ["r1", "r2"] and rows[0]["sentence"] == "良い、とても良い。"


@pytest.mark.parametrize(
    ("name", "fmt", "delimiter"), [("out.csv", None, ","), ("out.tsv", None, "\t"), ("out.txt", "csv", ",")]
)
def test_csv_and_tsv_output(finetuned, tmp_path, name, fmt, delimiter):
    out = tmp_path / name
    args = [MARC, "--output", out] + (["--format", fmt] if fmt else [])
    result = _predict(finetuned("classification"), *args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter=delimiter))
    assert rows[0]["id"] == "R000101TEST" and set(json.loads(rows[0]["probabilities"])) == {
        "positive",
        "negative",
    }


def test_csv_to_stdout(finetuned):
    result = _predict(finetuned("classification"), MARC, "--format", "tsv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split("\t")[:2] == ["id", "sentence"]


def test_squad_json_input_with_n_best(finetuned):
    rows = _ok(_predict(finetuned("span"), JGLUE / "jsquad-valid.json", "--n-best", "2"))
    squad = json.loads((JGLUE / "jsquad-valid.json").read_text(encoding="utf-8"))
    ids = [qa["id"] for art in squad["data"] for par in art["paragraphs"] for qa in par["qas"]]
    assert [r["id"] for r in rows] == ids
    assert all(len(r["n_best"]) <= 2 and r["context"][r["start"] : r["end"]] == r["answer"] for r in rows)


def test_conll_input(finetuned):
    rows = _ok(_predict(finetuned("token"), DATA / "ner" / "valid.conll"))
    texts = [
        json.loads(x)["text"] for x in (DATA / "ner" / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, len(texts) + 1)]
    for row, text in zip(rows, texts, strict=True):
        assert row["text"] == text  # the text the entity offsets refer to is in the row
        assert all(text[e["start"] : e["end"]] == e["text"] for e in row["entities"])
        for e in row["entities"]:  # the input tokens an entity covers, first and last (inclusive)
            covered = "".join(row["tokens"][e["first_token"] : e["last_token"] + 1])
            assert e["text"].replace(" ", "") in covered


def test_choice_from_jsonl_without_labels(finetuned, tmp_path):
    src = tmp_path / "q.jsonl"
    rows = [
        json.loads(x)
        for x in (JGLUE / "jcommonsenseqa-valid.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    ]
    src.write_text(
        "".join(
            json.dumps({k: v for k, v in r.items() if k != "label"}, ensure_ascii=False) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    out = _ok(_predict(finetuned("choice"), src))
    assert [r["q_id"] for r in out] == [r["q_id"] for r in rows] and all(0 <= r["label"] < 5 for r in out)


def test_several_inputs_larger_than_a_chunk_keep_order_and_name_their_source(finetuned, tmp_path):
    out = tmp_path / "p.jsonl"
    result = _predict(
        finetuned("pair-classification"),
        JNLI,
        JNLI,
        "--chunk-size",
        "5",
        "--batch-size",
        "4",
        "--output",
        out,
    )
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    ids = [json.loads(x)["sentence_pair_id"] for x in JNLI.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ids * 2 and {r["source"] for r in rows} == {str(JNLI)}
    assert f"rows in: {2 * len(ids)}, rows out: {2 * len(ids)}, rows in error: 0" in result.stderr


def _with_bad_rows(tmp_path):
    lines = JNLI.read_text(encoding="utf-8").splitlines()[:12]
    lines[2] = '{"sentence_pair_id": "bad", "sentence1": "ペアがない"}'
    lines[9] = "[1, 2]"
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def test_on_error_fail_names_file_and_line_and_writes_nothing(finetuned, tmp_path):
    src, out = _with_bad_rows(tmp_path), tmp_path / "out.jsonl"
    result = _predict(finetuned("pair-classification"), src, "--output", out, "--chunk-size", "2")
    message = _last_error(result)
    assert message.startswith(f"error: {src}:3: no column 'sentence2' (the text_pair column)")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_on_error_skip_writes_the_errors_file(finetuned, tmp_path):
    src, out = _with_bad_rows(tmp_path), tmp_path / "out.jsonl"
    result = _predict(
        finetuned("pair-classification"), src, "--output", out, "--on-error", "skip", "--chunk-size", "4"
    )
    assert result.exit_code == 0, result.output
    assert f"rows in: 12, rows out: 10, rows in error: 2 (see {out}.errors.jsonl)" in result.stderr
    errors = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert [(e["line"], e["source"]) for e in errors] == [(3, str(src)), (10, str(src))]
    assert errors[1]["error"].startswith("expected a JSON object, got list")
    assert len(read_jsonl(out)) == 10 and "bad" not in {r["id"] for r in read_jsonl(out)}


def test_on_error_skip_with_explicit_errors_file_and_stdout(finetuned, tmp_path):
    src, errors = _with_bad_rows(tmp_path), tmp_path / "bad.jsonl"
    result = _predict(finetuned("pair-classification"), src, "--on-error", "skip", "--errors", errors)
    assert len(_ok(result)) == 10 and len(read_jsonl(errors)) == 2


def test_on_error_skip_to_stdout_reports_errors_on_stderr(finetuned, tmp_path):
    result = _predict(finetuned("pair-classification"), _with_bad_rows(tmp_path), "--on-error", "skip")
    assert len(_ok(result)) == 10
    assert '"line": 3' in result.stderr and "rows in error: 2" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--on-error", "ignore"], "error: --on-error must be one of fail, skip, got 'ignore'"),
        (["--format", "xml"], "error: unknown output format 'xml'; available: csv, jsonl, tsv"),
        (["--device", "gpu0"], "error: --device 'gpu0' is not a device; use cpu, cuda, cuda:1 or auto"),
        (
            ["--input-format", "xml"],
            "error: unknown reader 'xml'; available: conll, csv, jsonl, squad, text, tsv",
        ),
        (["--batch-size", "0"], "error: --batch-size must be at least 1, got 0"),
    ],
)
def test_bad_options(finetuned, args, message):
    assert _last_error(_predict(finetuned("classification"), MARC, *args)) == message


def test_missing_input_file(finetuned, tmp_path):
    missing = tmp_path / "nope.jsonl"
    assert (
        _last_error(_predict(finetuned("classification"), missing))
        == f"error: {missing}: file not found (check the path)"
    )


def test_output_folder_missing(finetuned, tmp_path):
    out = tmp_path / "no" / "p.jsonl"
    message = _last_error(_predict(finetuned("classification"), MARC, "--output", out))
    assert message == f"error: {out}: the folder {out.parent} does not exist; create it first"


def test_not_a_model_directory(tmp_path):
    result = runner.invoke(app, ["predict", "--model", str(tmp_path), str(MARC)])
    assert _last_error(result) == (
        f"error: {tmp_path} has no jbert_config.yaml: not a jbert fine-tuned model "
        "directory (make one with `jbert finetune`)"
    )
