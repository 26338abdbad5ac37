"""`jbert report`: the HTML is parsed, its images decoded, and its numbers checked against the run's
own files (metrics.json, the validation data); several runs, sweeps and JGLUE results; errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from _finetuned import jglue_dir  # noqa: F401  (fixture)
from _report_html import check_self_contained, parse
from typer.testing import CliRunner

from jbert.cli import app
from jbert.data import Answer, Example
from jbert.report.qa import _context

pytest.importorskip("matplotlib")
runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"
# run -> the analysis heading its head adds (besides the learning curves)
ANALYSIS = {
    "jnli": "Confusion matrix (rows gold, columns predicted)",
    "jcommonsenseqa": "Confusion matrix (rows gold, columns predicted)",
    "jsts": "Predicted vs gold",
    "jsquad": "Exact match and F1 by answer length (characters)",
    "ner": "Entities by type",
    "embedding": "Cosine similarity vs gold score",
    "reranker": "Ranking of the validation queries",
}


def report(tmp_path: Path, *paths: Path, name: str = "report.html"):
    out = tmp_path / name
    result = runner.invoke(app, ["report", *map(str, paths), "--output", str(out)])
    return result, out


def final(run: Path) -> dict[str, float]:
    return json.loads((run / "metrics.json").read_text(encoding="utf-8"))["final"]


@pytest.mark.parametrize("name", list(ANALYSIS))
def test_one_run_per_head(name, trained, tmp_path):
    run = trained(name)
    result, out = report(tmp_path, run)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"report written to {out}"
    page = parse(out)
    check_self_contained(page)
    assert f"{name}: {name}" in page.headings and "Learning curves" in page.headings
    assert ANALYSIS[name] in page.headings and "Tokenizer fingerprint" in page.headings
    assert len(page.images) == 2  # curves + the head's analysis (for a reranker: its ranks)
    metrics = dict((row[0], row[1]) for row in page.table("metric")[1:])
    primary = {"jnli": "accuracy", "jcommonsenseqa": "accuracy", "jsts": "pearson", "jsquad": "exact_match",
               "ner": "f1", "embedding": "spearman", "reranker": "ndcg@10"}[name]
    assert metrics[primary] == f"{final(run)[primary]:.4f}"
    fingerprint = dict((row[0], row[1]) for row in page.table("field")[1:])
    assert fingerprint["word_tokenizer"] == "mecab" and len(fingerprint["vocab_sha256"]) == 64


def test_confusion_matrix_adds_up_to_the_accuracy(trained, tmp_path):
    run = trained("jnli")
    page = parse(report(tmp_path, run)[1])
    rows = page.table("gold \\ predicted")
    assert rows[0][1:] == ["entailment", "contradiction", "neutral"]  # the spec's label order
    matrix = [[int(c) for c in row[1:]] for row in rows[1:]]
    total = sum(map(sum, matrix))
    assert total == len((DATA / "jglue" / "jnli-valid.jsonl").read_text(encoding="utf-8").splitlines())
    assert sum(matrix[i][i] for i in range(3)) / total == pytest.approx(final(run)["accuracy"])


def test_qa_by_length_and_wrong_answers_match_the_metrics(trained, tmp_path):
    run = trained("jsquad")
    page = parse(report(tmp_path, run)[1])
    rows = page.table("answer length")[1:]
    questions = sum(int(r[1]) for r in rows)
    assert questions == 26  # every validation question in exactly one bucket
    em = sum(int(r[1]) * float(r[2]) for r in rows) / questions
    assert em == pytest.approx(final(run)["exact_match"], abs=1e-3)
    wrong = round((1 - final(run)["exact_match"]) * questions)
    assert f"{wrong} of {questions} answers are not an exact match" in page.text
    sample = page.table("id")[1:]
    assert len(sample) == min(10, wrong) and all(r[4] for r in sample)  # each with its context


def test_ner_per_type_table_counts_the_gold_entities(trained, tmp_path):
    run = trained("ner")
    page = parse(report(tmp_path, run)[1])
    rows = {r[0]: r for r in page.table("type")[1:]}
    gold = [e for line in (DATA / "ner" / "valid.jsonl").read_text(encoding="utf-8").splitlines()
            for e in json.loads(line)["entities"]]
    assert int(rows["all (micro)"][4]) == len(gold)
    assert {t for t in rows if t != "all (micro)"} <= {e["label"] for e in gold} | {"LOC", "ORG", "PER"}
    assert rows["all (micro)"][3] == f"{final(run)['f1']:.4f}"


def test_several_runs_compare_and_give_the_jglue_table(trained, tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    for name in ("jsts", "jnli"):
        shutil.copytree(trained(name), folder / name, symlinks=True)
    better = shutil.copytree(trained("jsts"), folder / "jsts-2", symlinks=True)
    metrics = json.loads((better / "metrics.json").read_text(encoding="utf-8"))
    metrics["final"]["pearson"] = 0.5  # a second JSTS run that scored higher: the table takes it
    (better / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    result, out = report(tmp_path, folder)  # a folder of runs, as `jbert eval jglue --model-dir` takes
    assert result.exit_code == 0, result.output
    page = parse(out)
    check_self_contained(page)
    assert page.headings[:3] == ["jbert report: 3 runs", "JGLUE", "Runs compared"]
    jglue = {row[0]: row[1:] for row in page.table("model")}
    assert jglue["model"] == ["JSTS (pearson/spearman)", "JNLI (accuracy)"]
    rows = {name: len((folder / name / "valid_predictions.jsonl").read_text(encoding="utf-8").splitlines())
            for name in ("jsts", "jnli")}
    assert jglue["jbert (these runs)"] == [f"0.500/{final(better)['spearman']:.3f} ({rows['jsts']})†",
                                           f"{final(folder / 'jnli')['accuracy']:.3f} ({rows['jnli']})†"]
    assert jglue["Tohoku BERT base (JGLUE paper, dev)"] == ["0.909/0.868 (1457)", "0.906 (2434)"]
    assert (f"† not the full official validation split (JSTS on {rows['jsts']} of 1457 rows; JNLI on {rows['jnli']} "
            "of 2434 rows)") in page.text
    assert "several runs of jsts" in page.text
    assert [r[0] for r in page.table("run")[1:]] == ["jnli", "jsts", "jsts-2"]
    assert page.urls == ["#run-0", "#run-1", "#run-2"]
    assert len(page.images) == 1 + 3 * 2  # the two JSTS runs' curves overlaid, then each run's two


def test_eval_jglue_output_json(trained, jglue_dir, tmp_path):  # noqa: F811
    results = tmp_path / "jglue.json"
    evaluated = runner.invoke(app, ["eval", "jglue", "--model-dir", str(trained("jsts")), "--jglue-dir",
                                    str(jglue_dir), "--output", str(results)])
    assert evaluated.exit_code == 0, evaluated.output
    result, out = report(tmp_path, results)
    assert result.exit_code == 0, result.output
    scores = json.loads(results.read_text(encoding="utf-8"))["jbert"]["jsts"]["metrics"]
    rows = {row[0]: row[1:] for row in parse(out).table("model")}
    examples = json.loads(results.read_text(encoding="utf-8"))["jbert"]["jsts"]["examples"]
    assert rows["jbert (these runs)"] == [f"{scores['pearson']:.3f}/{scores['spearman']:.3f} ({examples})†"]


def test_a_sweep_shows_its_selection(trained, tmp_path):
    from jbert.finetuning.sweep import Run, write_record

    out = tmp_path / "sweep"
    runs = []
    for lr, score in ((1e-3, 0.3), (1e-4, 0.6)):
        path = shutil.copytree(trained("jsts"), out / "runs" / f"learning_rate={lr}" / "seed=42", symlinks=True)
        runs.append(Run({"training.learning_rate": lr}, 42, path, {"pearson": score}))
    write_record(out, runs, "pearson")
    result, html = report(tmp_path, out)
    assert result.exit_code == 0, result.output
    page = parse(html)
    assert "sweep/best: jsts" in page.headings and "Hyperparameter selection" in page.headings
    rows = page.table("configuration")[1:]
    assert rows[0] == ["learning_rate=0.0001", "0.6000 ± 0.0000", "1", "selected"]


def test_moved_validation_file_keeps_curves_and_says_why(trained, tmp_path):
    run = shutil.copytree(trained("jnli"), tmp_path / "jnli", symlinks=True)
    config = yaml.safe_load((run / "jbert_config.yaml").read_text(encoding="utf-8"))
    config["data"]["valid"] = str(tmp_path / "gone.jsonl")
    (run / "jbert_config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result, out = report(tmp_path, run)
    assert result.exit_code == 0, result.output
    page = parse(out)
    assert "Learning curves" in page.headings and len(page.images) == 1
    assert f"no per-example analysis: validation file {tmp_path / 'gone.jsonl'}" in page.text


def test_context_is_escaped_and_the_answer_marked():
    example = Example(id="q", line=1, text="?", text_pair="<b>x</b> 東京<script>", answers=(Answer("東京", 9),))
    assert _context(example) == '&lt;b&gt;x&lt;/b&gt; <mark class="gold">東京</mark>&lt;script&gt;'


@pytest.mark.parametrize("case", ["missing", "not-a-run", "bad-json", "no-output-folder"])
def test_errors_are_one_line_and_write_nothing(case, trained, tmp_path):
    target, out = tmp_path / "missing", tmp_path / "report.html"
    expected = f"error: {target}: no such run directory or file"
    if case == "not-a-run":
        target.mkdir()
        expected = f"error: {target} holds no fine-tuned model"
    elif case == "bad-json":
        target = tmp_path / "x.json"
        target.write_text("{}", encoding="utf-8")
        expected = (f"error: {target}: not a run directory nor a `jbert eval jglue --output` or "
                    "`jbert eval retrieval --output` JSON file")
    elif case == "no-output-folder":
        target, out = trained("jsts"), tmp_path / "nope" / "report.html"
        expected = f"error: {out}: the folder {out.parent} does not exist"
    result = runner.invoke(app, ["report", str(target), "--output", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.output
    assert not out.exists()
