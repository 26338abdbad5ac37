"""`jbert eval`, `jbert eval score` and `jbert eval jglue` through typer's CliRunner."""

from __future__ import annotations

import json
import shutil

import pytest
from _finetuned import DATA, JGLUE, MODELS, read_jsonl
from typer.testing import CliRunner

from jbert.cli import app
from jbert.evaluation import BASELINES

runner = CliRunner()
JSTS, JNLI, JSQUAD = JGLUE / "jsts-valid.jsonl", JGLUE / "jnli-valid.jsonl", JGLUE / "jsquad-valid.json"


def _eval(*args, input=None):
    return runner.invoke(app, ["eval", *map(str, args)], input=input)


def _ok(result):
    assert result.exit_code == 0, result.output
    return result.stdout


def _error(result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr.strip().splitlines()[-1]


def _table(stdout: str) -> dict[str, float]:
    """``| key | value |`` rows of the metrics table."""
    rows = [
        line.strip("|").split("|")
        for line in stdout.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    return {k.strip(): float(v) for k, v in (r for r in rows if len(r) == 2 and r[0].strip() != "metric")}


# --- jbert eval --model --data --------------------------------------------------------------
def test_classification_prints_metrics_and_confusion_matrix(finetuned, tmp_path):
    out = tmp_path / "metrics.json"
    stdout = _ok(
        _eval(
            "--model",
            finetuned("classification"),
            "--data",
            MODELS["classification"][2],
            "--device",
            "cpu",
            "--output",
            out,
        )
    )
    metrics = _table(stdout)
    assert set(metrics) == {"accuracy", "macro_f1"} and 0 <= metrics["accuracy"] <= 1
    assert "| gold \\ predicted | positive | negative |" in stdout
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["task"] == "marc_ja" and saved["metrics"]["accuracy"] == pytest.approx(
        metrics["accuracy"], abs=1e-4
    )
    assert saved["confusion"]["labels"] == ["positive", "negative"]
    assert sum(map(sum, saved["confusion"]["matrix"])) == saved["examples"]


def test_ner_prints_overall_and_per_type(finetuned):
    stdout = _ok(_eval("--model", finetuned("token"), "--data", MODELS["token"][2], "--device", "cpu"))
    assert {"precision", "recall", "f1"} <= set(_table(stdout))
    assert "| type | precision | recall | f1 |" in stdout
    assert all(f"| {t} |" in stdout for t in ("LOC", "ORG", "PER"))


def test_jsquad_char_level_em_f1_and_per_example_predictions(finetuned, tmp_path):
    preds = tmp_path / "preds.jsonl"
    stdout = _ok(
        _eval("--model", finetuned("span"), "--data", JSQUAD, "--device", "cpu", "--predictions", preds)
    )
    assert set(_table(stdout)) == {"exact_match", "f1"}
    rows = read_jsonl(preds)
    assert len(rows) == 26 and all(isinstance(r["gold"], list) and "answer" in r for r in rows)


def test_eval_and_score_agree_on_the_same_predictions(finetuned, tmp_path):
    model, preds = finetuned("pair-regression"), tmp_path / "jsts.jsonl"
    evaluated = _table(_ok(_eval("--model", model, "--data", JSTS, "--device", "cpu")))
    predicted = runner.invoke(
        app, ["predict", "--model", str(model), "--device", "cpu", str(JSTS), "-o", str(preds)]
    )
    assert predicted.exit_code == 0, predicted.output
    scored = _table(_ok(_eval("score", "--task", "jsts", "--gold", JSTS, "--predictions", preds)))
    assert scored == pytest.approx(evaluated, abs=1e-4) and set(scored) == {"pearson", "spearman"}


def test_plain_eval_needs_model_and_data():
    assert _error(_eval("--data", JSTS)) == (
        "error: give --model DIR and --data FILE (or a subcommand: `jbert eval score`, `jbert eval jglue`)"
    )


def test_gold_file_without_labels_is_an_error(finetuned, tmp_path):
    gold = tmp_path / "nolabel.jsonl"
    gold.write_text('{"review_id": "a", "sentence": "良い"}\n', encoding="utf-8")
    message = _error(_eval("--model", finetuned("classification"), "--data", gold, "--device", "cpu"))
    assert (
        message
        == f"error: {gold}:1: no gold value (label/answers) in this row (every evaluation row needs a gold label)"
    )


# --- jbert eval score --------------------------------------------------------------------
def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _gold(path):
    return read_jsonl(path)


def test_score_perfect_jnli_and_jsts(tmp_path):
    jnli = _write_jsonl(
        tmp_path / "jnli.jsonl",
        [{"sentence_pair_id": r["sentence_pair_id"], "label": r["label"]} for r in _gold(JNLI)],
    )
    assert _table(_ok(_eval("score", "--task", "jnli", "--gold", JNLI, "--predictions", jnli))) == {
        "accuracy": 1.0,
        "macro_f1": 1.0,
    }
    # JSTS rows from another system carry the number as "label", in another order.
    jsts = _write_jsonl(
        tmp_path / "jsts.jsonl",
        [{"sentence_pair_id": r["sentence_pair_id"], "label": r["label"]} for r in reversed(_gold(JSTS))],
    )
    assert _table(_ok(_eval("score", "--task", "jsts", "--gold", JSTS, "--predictions", jsts))) == {
        "pearson": 1.0,
        "spearman": 1.0,
    }


def test_score_golden_jnli_accuracy(tmp_path):
    gold = _gold(JNLI)
    # flip the first 8 of 32 predictions to a wrong label -> accuracy 24/32 = 0.75
    wrong = {"entailment": "neutral", "neutral": "contradiction", "contradiction": "entailment"}
    rows = [
        {"sentence_pair_id": r["sentence_pair_id"], "label": wrong[r["label"]] if i < 8 else r["label"]}
        for i, r in enumerate(gold)
    ]
    metrics = _table(
        _ok(_eval("score", "-t", "jnli", "--gold", JNLI, "-p", _write_jsonl(tmp_path / "p.jsonl", rows)))
    )
    assert metrics["accuracy"] == 0.75


def test_score_run_qa_prediction_json(tmp_path):
    squad = json.loads(JSQUAD.read_text(encoding="utf-8"))
    qas = [qa for art in squad["data"] for par in art["paragraphs"] for qa in par["qas"]]
    answers = {qa["id"]: qa["answers"][0]["text"] + "。" for qa in qas}  # a trailing 。 is normalised away
    answers[qas[0]["id"]] = ""  # one wrong: EM 25/26
    path = tmp_path / "eval_predictions.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    metrics = _table(_ok(_eval("score", "--task", "jsquad", "--gold", JSQUAD, "--predictions", path)))
    assert metrics["exact_match"] == pytest.approx(25 / 26, abs=1e-4) and metrics["f1"] == pytest.approx(
        25 / 26, abs=1e-4
    )


def test_score_jcommonsenseqa_indices_written_as_strings(tmp_path):
    rows = [
        {"q_id": r["q_id"], "label": str(r["label"])} for r in _gold(JGLUE / "jcommonsenseqa-valid.jsonl")
    ]
    path = _write_jsonl(tmp_path / "p.jsonl", rows)
    metrics = _table(
        _ok(
            _eval(
                "score",
                "--task",
                "jcommonsenseqa",
                "--gold",
                JGLUE / "jcommonsenseqa-valid.jsonl",
                "--predictions",
                path,
            )
        )
    )
    assert metrics == {"accuracy": 1.0}


def test_score_ner_entities(tmp_path):
    gold = DATA / "ner" / "valid.jsonl"
    rows = [{"id": r["id"], "entities": r["entities"][:1]} for r in _gold(gold)]
    stdout = _ok(
        _eval(
            "score",
            "--task",
            "ner",
            "--gold",
            gold,
            "--gold-format",
            "jsonl",
            "--predictions",
            _write_jsonl(tmp_path / "p.jsonl", rows),
        )
    )
    n_gold = sum(len(r["entities"]) for r in _gold(gold))
    n_pred = sum(min(1, len(r["entities"])) for r in _gold(gold))
    assert _table(stdout)["precision"] == 1.0 and _table(stdout)["recall"] == pytest.approx(
        n_pred / n_gold, abs=1e-4
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda g: g[1:], "{pred}: no prediction for id '0' (gold {gold}:1)"),
        (lambda g: g[3:], "{pred}: no prediction for id '0' (gold {gold}:1) and 2 more"),
        (
            lambda g: g + [{"sentence_pair_id": "zz", "label": 1.0}],
            "{pred}:33: id 'zz' is not in the gold file {gold}",
        ),
        (lambda g: g + g[:1], "{pred}:33: id '0' appears twice (first at line 1)"),
        (
            lambda g: [{"label": 1.0}],
            "{pred}:1: no id field ('sentence_pair_id' or 'id') (each row needs the gold file's id)",
        ),
    ],
)
def test_score_id_errors_name_the_id(tmp_path, rows, message):
    gold = [{"sentence_pair_id": r["sentence_pair_id"], "label": r["label"]} for r in _gold(JSTS)]
    pred = _write_jsonl(tmp_path / "p.jsonl", rows(gold))
    expected = "error: " + message.format(pred=pred, gold=JSTS)
    assert _error(_eval("score", "--task", "jsts", "--gold", JSTS, "--predictions", pred)) == expected


def test_score_squad_map_must_be_strings(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    assert _error(_eval("score", "--task", "jsquad", "--gold", JSQUAD, "--predictions", path)) == (
        f'error: {path}: not a {{question id: answer text}} object (write {{"question id": "answer text", ...}} '
        "(run_qa.py eval_predictions.json) or JSON Lines)"
    )


def test_score_unknown_task(tmp_path):
    assert _error(_eval("score", "--task", "nope", "--gold", JSTS, "--predictions", JSTS)).startswith(
        "error: unknown task 'nope'; available: "
    )


# --- jbert eval jglue --------------------------------------------------------------------
@pytest.fixture(scope="module")
def jglue_models(finetuned, tmp_path_factory):
    root = tmp_path_factory.mktemp("jglue-models")
    for head, name in (
        ("pair-regression", "jsts"),
        ("pair-classification", "jnli"),
        ("choice", "jcqa"),
        ("span", "jsquad"),
        ("token", "ner"),
    ):
        shutil.copytree(finetuned(head), root / name)
    return root


def test_jglue_table_beside_the_baselines(jglue_models, jglue_dir, tmp_path):
    out = tmp_path / "jglue.json"
    result = _eval(
        "jglue", "--model-dir", jglue_models, "--jglue-dir", jglue_dir, "--device", "cpu", "--output", out
    )
    stdout = _ok(result)
    lines = stdout.splitlines()
    assert lines[0] == (
        "| model | JSTS (pearson/spearman) | JNLI (accuracy) | JSQuAD (exact_match/f1) "
        "| JCommonsenseQA (accuracy) |"
    )
    assert lines[3] == ("| Tohoku BERT base (JGLUE paper, dev) | 0.909/0.868 (1457) | 0.906 (2434) "
                        "| 0.871/0.941 (4442) | 0.808 (1119) |")
    # the tiny slices are 32 rows (JSQuAD: its questions), marked as not the official validation split
    assert lines[2].startswith("| jbert | ") and lines[2].count("(32)†") == 3
    squad = json.loads((jglue_dir / "datasets" / "jsquad-v1.3" / "valid-v1.3.json").read_text(encoding="utf-8"))
    questions = sum(len(p["qas"]) for a in squad["data"] for p in a["paragraphs"])
    assert f"({questions})†" in lines[2]
    assert lines[4].startswith("| Tohoku BERT base (JGLUE README v1.1+, dev) |")
    assert lines[5] == (f"† not the full official validation split (JSTS on 32 of 1457 rows; JNLI on 32 of 2434 rows; "
                        f"JSQuAD on {questions} of 4442 rows; JCommonsenseQA on 32 of 1119 rows): not comparable with "
                        "the published baselines, which are scores on every row of it")
    printed = json.loads(stdout[stdout.index("\n{") :])
    assert (
        set(printed["jbert"]) == {"jsts", "jnli", "jsquad", "jcommonsenseqa"}
        and printed["baselines"] == BASELINES
    )
    assert f"skipped {jglue_models / 'ner'}: task 'ner' is not a JGLUE task" in result.stderr
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["jbert"]["jnli"]["examples"] == 32


def test_jglue_single_model_dir(finetuned, jglue_dir):
    stdout = _ok(
        _eval(
            "jglue",
            "--model-dir",
            finetuned("pair-classification"),
            "--jglue-dir",
            jglue_dir,
            "--device",
            "cpu",
        )
    )
    assert stdout.splitlines()[0] == "| model | JNLI (accuracy) |"


def test_jglue_needs_the_datasets_folder(finetuned):
    assert _error(_eval("jglue", "--model-dir", finetuned("pair-classification"))) == (
        "error: no JGLUE folder for jnli: pass --jglue-dir DIR"
    )


def test_jglue_folder_without_models(tmp_path):
    assert _error(_eval("jglue", "--model-dir", tmp_path)) == (
        f"error: {tmp_path} holds no fine-tuned model (jbert_config.yaml in it or in a subfolder)"
    )
