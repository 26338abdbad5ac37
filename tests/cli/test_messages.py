"""Messages that used to mislead: each is now one line naming the file (and line) and a fix that exists."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
from pathlib import Path

import pytest
from _finetuned import JGLUE
from typer.testing import CliRunner

from jbert.cli import app
from jbert.config.run import build_config
from jbert.finetuning.sweep import SweepConfig, plan
from jbert.pretraining.documents import iter_documents

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()
REVIEWS = "review,stars\n良い映画でした,positive\nつまらない,negative\n最高の一日,positive\n"


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: "), result.output
    return lines[-1]


def test_a_directory_as_input_is_called_a_directory(tmp_path, tiny_model_dir):
    (tmp_path / "data").mkdir()
    check = one_error(cli("data", "check", "classification", "--train", tmp_path / "data"))
    assert check == (f"error: {tmp_path / 'data'}: is a directory, not a --train file (give the path of a data file; "
                     "a JGLUE datasets folder goes to --jglue-dir)")
    pretrain = one_error(cli("pretrain", tmp_path / "data", "--model", tiny_model_dir, "--output", tmp_path / "o"))
    assert pretrain.startswith(f"error: {tmp_path / 'data'}: is a directory, not a corpus file")


def test_a_sweep_axis_without_a_key_names_sweep(tmp_path, tiny_model_dir):
    message = one_error(cli("finetune", "jsts", "--model", tiny_model_dir, "--output", tmp_path / "o", "--train",
                            JGLUE / "jsts-train.jsonl", "--valid", JGLUE / "jsts-valid.jsonl", "--sweep", "=1,2"))
    assert message == "error: --sweep expects key=v1,v2,... (e.g. training.learning_rate=5e-5,3e-5), got '=1,2'"


def test_data_check_has_the_column_flag_its_hint_names(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS, encoding="utf-8")
    result = cli("data", "check", "classification", "--train", path)
    assert result.exit_code == 1 and "(set --text-column or the task spec's columns.text)" in result.stdout
    fixed = cli("data", "check", "classification", "--train", path, "--text-column", "review", "--label-column", "stars")
    assert fixed.exit_code == 0, fixed.output
    assert "labels: positive 2, negative 1" in fixed.stdout


def test_field_on_a_text_corpus_says_to_leave_it_out(tmp_path, tiny_model_dir):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("東京駅の近くでコーヒーを飲みました。\n", encoding="utf-8")
    message = one_error(cli("pretrain", corpus, "--field", "text", "--model", tiny_model_dir, "--output", tmp_path / "o"))
    assert message == (f"error: {corpus}:1: invalid JSON (Expecting value at column 1) (--field reads JSON Lines; "
                       "for a plain-text corpus (one document a line) leave --field out)")
    assert "squad" not in message


@pytest.fixture
def killed_pretrain(tmp_path, tiny_model_dir) -> Path:
    """A `jbert pretrain` output directory as a kill after the first checkpoint leaves it."""
    run = tmp_path / "killed"
    checkpoint = run / "checkpoints" / "checkpoint-4"
    checkpoint.mkdir(parents=True)
    config = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))
    (checkpoint / "config.json").write_text(json.dumps({**config, "architectures": ["BertForMaskedLM"]}), encoding="utf-8")
    shutil.copy(tiny_model_dir / "model.safetensors", checkpoint)
    (run / "train_log.jsonl").write_text("", encoding="utf-8")
    return run


def test_every_command_calls_a_killed_run_an_unfinished_run(killed_pretrain, tmp_path):
    expected = (f"error: {killed_pretrain} is an unfinished run: it stopped before writing its model (no "
                f"jbert_pretrain.yaml); finish it with `jbert pretrain ... --output {killed_pretrain} --resume`, "
                "or give a finished model directory")
    corpus = tmp_path / "c.txt"
    corpus.write_text("東京\n", encoding="utf-8")
    commands = [
        ("finetune", "jsts", "--model", killed_pretrain, "--train", JGLUE / "jsts-train.jsonl", "--output", tmp_path / "a"),
        ("pretrain", corpus, "--model", killed_pretrain, "--output", tmp_path / "b"),
        ("report", killed_pretrain, "--output", tmp_path / "r.html"),
        ("predict", "--model", killed_pretrain, JGLUE / "jsts-valid.jsonl"),
        ("eval", "--model", killed_pretrain, "--data", JGLUE / "jsts-valid.jsonl"),
        ("model", "fill-mask", "--model", killed_pretrain, "東京[MASK]"),
    ]
    for command in commands:
        assert one_error(cli(*command)) == expected, command[0]


def test_a_directory_without_tokenizer_files_says_so(tmp_path, tiny_model_dir):
    model = tmp_path / "weights-only"
    model.mkdir()
    shutil.copy(tiny_model_dir / "config.json", model)
    message = one_error(cli("finetune", "jsts", "--model", model, "--train", JGLUE / "jsts-train.jsonl",
                            "--output", tmp_path / "o"))
    assert message.startswith(f"error: {model}: no tokenizer files in this directory")
    assert "Couldn't instantiate" not in message


def test_a_gzip_corpus_is_read_as_it_is(tmp_path):
    path = tmp_path / "corpus.txt.gz"
    path.write_bytes(gzip.compress("一つ目の文書。\n二つ目の文書。\n".encode()))
    assert [d["text"] for d in iter_documents(path, None)] == ["一つ目の文書。", "二つ目の文書。"]


def test_a_shift_jis_corpus_reads_with_encoding(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes("一つ目の文書。\n".encode("cp932"))
    with pytest.raises(Exception, match="it looks like Shift_JIS/CP932 .*read it with --encoding cp932"):
        list(iter_documents(path, None))
    assert [d["text"] for d in iter_documents(path, None, encoding="cp932")] == ["一つ目の文書。"]


def test_excel_csv_through_data_check_predict_and_eval(tmp_path, finetuned):
    path = tmp_path / "excel.csv"
    path.write_bytes("sentence,label\n良い映画でした,positive\nつまらない,negative\n".encode("cp932"))
    message = one_error(cli("data", "check", "classification", "--train", path, "--text-column", "sentence"))
    assert message.startswith(f"error: {path}:2: not valid UTF-8") and "--encoding cp932" in message
    assert cli("data", "check", "classification", "--train", path, "--text-column", "sentence",
               "--encoding", "cp932").exit_code == 0
    model = finetuned("classification")
    assert "--encoding cp932" in one_error(cli("predict", "--model", model, path))
    predicted = cli("predict", "--model", model, path, "--encoding", "cp932")
    assert predicted.exit_code == 0, predicted.output
    assert [json.loads(line)["sentence"] for line in predicted.stdout.splitlines()] == ["良い映画でした", "つまらない"]
    scored = cli("eval", "--model", model, "--data", path, "--encoding", "cp932")
    assert scored.exit_code == 0, scored.output
    assert "accuracy" in scored.stdout


def test_data_check_warns_on_labels_of_mixed_types(tmp_path):
    path = tmp_path / "mixed.jsonl"
    rows = [{"text": "良い", "label": 1}, {"text": "悪い", "label": "1"}, {"text": "普通", "label": 1.0},
            {"text": "最高", "label": True}, {"text": "最低", "label": 0}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = cli("data", "check", "classification", "--train", path)
    assert result.exit_code == 0, result.output  # a warning: training would run
    assert "warning: 4 labels written as different JSON types" in result.stdout
    for line, shown in ((1, "1 (int)"), (2, "'1' (str)"), (3, "1.0 (float)"), (4, "True (bool)")):
        assert f"{path}:{line}: label {shown}" in result.stdout


def test_a_sweep_over_epochs_with_max_steps_warns(tmp_path, caplog):
    base = build_config(flags={"task.name": "jsts", "model.name_or_path": "m", "training.output_dir": str(tmp_path),
                               "training.max_steps": 10})
    with caplog.at_level(logging.WARNING, logger="jbert.finetuning.sweep"):
        runs = plan(SweepConfig(base=base, axes=["training.epochs=3,4"]))
    assert len(runs) == 2
    assert "--sweep training.epochs=3,4 with --max-steps 10: every run stops after 10 steps" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jbert.finetuning.sweep"):
        plan(SweepConfig(base=base, axes=["training.learning_rate=5e-5,3e-5"]))
    assert caplog.text == ""


def test_a_sentencepiece_vocabulary_smaller_than_asked_says_so(tmp_path, caplog):
    corpus = tmp_path / "small.txt"
    lines = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[:30]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        result = cli("tokenizer", "train", corpus, "--type", "sentencepiece-unigram", "--vocab-size", "8000",
                     "--output", tmp_path / "spm")
    assert result.exit_code == 0, result.output
    assert "of the 8000 tokens asked for" in caplog.text and "add text or lower --vocab-size" in caplog.text

