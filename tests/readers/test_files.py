"""Input files before any format: directories, gzip, legacy Japanese encodings and --encoding, and which
reader a file gets (extension, spec, --reader, stdin)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from jbert.config.tasks import TaskSpec, load_spec
from jbert.errors import ConfigError, DataFormatError
from jbert.readers import read
from jbert.readers.files import check_encoding, reader_for, require_file

ROWS = "text,label\n良い映画でした,positive\nつまらない,negative\n"


def test_a_directory_is_named_as_one_with_a_file_in_it(tmp_path):
    (tmp_path / "train.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as err:
        require_file(tmp_path, "--train")
    assert str(err.value) == (f"{tmp_path}: is a directory, not a --train file (give a file in it, e.g. "
                              f"{tmp_path / 'train.jsonl'}; a JGLUE datasets folder goes to --jglue-dir)")


def test_a_missing_file_says_not_found(tmp_path):
    with pytest.raises(DataFormatError, match=r"nope.txt: corpus file not found \(check the path\)"):
        require_file(tmp_path / "nope.txt", "corpus")


@pytest.mark.parametrize("codec, name", [("cp932", "Shift_JIS/CP932"), ("euc_jp", "EUC-JP")])
def test_legacy_japanese_encodings_are_named_with_the_option_that_reads_them(tmp_path, codec, name):
    path = tmp_path / "excel.csv"
    path.write_bytes(ROWS.encode(codec))
    with pytest.raises(DataFormatError) as err:
        list(read(path, load_spec("classification")))
    message = str(err.value)
    assert message.startswith(f"{path}:2: not valid UTF-8 (byte ")
    assert f"it looks like {name}" in message and f"(read it with --encoding {codec}, or save it as UTF-8)" in message
    assert "\n" not in message


def test_encoding_reads_a_shift_jis_file(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(ROWS.encode("cp932"))
    examples = list(read(path, load_spec("classification"), encoding="cp932"))
    assert [(e.text, e.label) for e in examples] == [("良い映画でした", "positive"), ("つまらない", "negative")]


def test_a_wrong_encoding_names_itself(tmp_path):
    path = tmp_path / "utf8.csv"
    path.write_text(ROWS, encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"not valid euc_jp .*check --encoding euc_jp, or leave it out"):
        list(read(path, load_spec("classification"), encoding="euc_jp"))


@pytest.mark.parametrize("name, message", [("nope", "is not an encoding Python knows"),
                                           ("utf-16", "cannot be read line by line")])
def test_unusable_encodings_are_refused(name, message):
    with pytest.raises(ConfigError, match=message):
        check_encoding(name)


def test_gzip_files_are_read_as_they_are(tmp_path):
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(ROWS.encode("utf-8")))
    examples = list(read(path, load_spec("classification")))
    assert [e.label for e in examples] == ["positive", "negative"]


def test_a_damaged_gzip_file_says_so(tmp_path):
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(ROWS.encode("utf-8") * 50)[:60])
    with pytest.raises(DataFormatError, match="is gzip-compressed but cannot be decompressed"):
        list(read(path, load_spec("classification")))


def _spec(**kw) -> TaskSpec:
    return TaskSpec(name="t", head=kw.pop("head", "classification"), reader=kw.pop("reader", "jsonl"),
                    metrics=("accuracy",), primary_metric="accuracy", **kw)


@pytest.mark.parametrize("path, expected", [("a.csv", "csv"), ("a.TSV", "tsv"), ("a.txt", "text"), ("a.conll", "conll"),
                                            ("a.jsonl", "jsonl"), ("a.json", "jsonl"), ("a", "jsonl"),
                                            ("a.csv.gz", "csv")])
def test_the_extension_picks_the_reader_unless_the_spec_fixes_it(path, expected):
    assert reader_for(path, _spec()) == expected
    assert reader_for(path, _spec(reader="tsv", reader_fixed=True)) == "tsv"
    assert reader_for(path, _spec(reader="tsv", reader_fixed=True), unlabeled=True) == "tsv"
    assert reader_for(path, _spec(), override="squad") == "squad"


def test_predicting_from_stdin_reads_text_lines_for_a_one_text_task():
    assert reader_for("-", _spec(), unlabeled=True) == "text"
    assert reader_for("-", _spec(head="token", reader="conll"), unlabeled=True) == "text"
    assert reader_for("-", _spec(head="pair-regression"), unlabeled=True) == "jsonl"
    assert reader_for("-", _spec(columns={"text_pair": "b"}), unlabeled=True) == "jsonl"
    assert reader_for("-", _spec()) == "jsonl"  # gold data (eval) needs the labels the spec's format carries


def test_a_txt_file_is_conll_when_labelled_and_text_lines_when_unlabeled():
    conll = _spec(head="token", reader="conll")
    assert reader_for("corpus.txt", conll) == "conll"  # public NER corpora ship as .txt
    assert reader_for("corpus.txt", conll, unlabeled=True) == "text"  # predict / distill --unlabeled
    assert reader_for("corpus.conll", conll, unlabeled=True) == "conll"


def test_readers_keep_the_extensions_they_read_themselves():
    assert reader_for("qa.jsonl", _spec(head="span", reader="squad")) == "squad"  # flat QA rows
    assert reader_for("x.tsv", _spec(reader="csv")) == "csv"


def test_a_users_spec_that_names_its_reader_fixes_it(tmp_path):
    spec = tmp_path / "tickets.yaml"
    spec.write_text("name: t\nhead: classification\nreader: tsv\nmetrics: [accuracy]\nprimary_metric: accuracy\n",
                    encoding="utf-8")
    assert load_spec(spec).reader_fixed and not load_spec("classification").reader_fixed
    assert reader_for(Path("tickets.txt"), load_spec(spec)) == "tsv"
