"""Every bad input -> one DataFormatError line: file:line: reason (fix)."""

from pathlib import Path

import pytest

from jbert.config.tasks import TaskSpec, load_spec
from jbert.errors import DataFormatError
from jbert.readers import read

BAD = Path(__file__).parent.parent / "data" / "bad"


def marc():
    return load_spec("marc_ja")


CASES = [
    # file, spec, reader override, expected message (after "<path>")
    ("empty.jsonl", marc, None, ": file is empty (no JSON lines) (check the path and the file's format)"),
    ("blank_lines.jsonl", marc, None, ": file is empty (no JSON lines) (check the path and the file's format)"),
    ("invalid_json.jsonl", marc, None,
     ":2: invalid JSON (Expecting ',' delimiter at column 39) (write one JSON object a line)"),
    ("json_array.json", marc, None,
     ":1: invalid JSON (Expecting value at column 2) (this looks like one JSON document, not JSON Lines; "
     "SQuAD JSON: --reader squad)"),
    ("not_object.jsonl", marc, None, ":2: expected a JSON object, got list (write one {...} object a line)"),
    ("missing_column.jsonl", marc, None,
     ":2: no column 'sentence' (the text column); columns in this row: text, label "
     "(set --text-column or the task spec's columns.text)"),
    ("not_utf8.jsonl", marc, None, ":2: not valid UTF-8 (byte 0x88 at column 15); it looks like Shift_JIS/CP932 "
     "(as Excel saves Japanese CSV) (read it with --encoding cp932, or save it as UTF-8)"),
    ("not_utf8.json", lambda: load_spec("jsquad"), None, ":8: not valid UTF-8 (byte 0xa5 at column 18); it looks like "
     "EUC-JP (read it with --encoding euc_jp, or save it as UTF-8)"),
    ("ragged.csv", lambda: load_spec("classification"), "csv",
     ":3: 3 fields but the header has 2 (quote fields that contain the delimiter)"),
    ("empty_header_only.csv", lambda: load_spec("classification"), "csv",
     ": file is empty (no data rows under the header) (check the path and the file's format)"),
    ("bad_tag.conll", lambda: load_spec("ner"), None, ":2: tag 'E-PER' is not IOB2 (use O, B-TYPE or I-TYPE (convert IOB1/BIOES first))"),
    ("no_tag.conll", lambda: load_spec("ner"), None, ":2: '太郎' has no tag column (write TOKEN<TAB>TAG)"),
    ("bad_entity.jsonl", lambda: load_spec("ner"), "jsonl",
     ":2: entity {'start': 0, 'end': 9, 'label': 'LOC'} is not a span of the 2-character text "
     "(start/end are character offsets, end exclusive)"),
    ("squad_bad_start.json", lambda: load_spec("jsquad"), None,
     ":2: question 'q2': answer 'オランダ' is not at answer_start 3 (context there: 'ダの首都') "
     "(answer_start is the answer's character offset in the context)"),
    ("squad_no_data.json", lambda: load_spec("jsquad"), None,
     ": no top-level 'data' list: not SQuAD-format JSON (one JSON object a line? use --reader jsonl)"),
]


@pytest.mark.parametrize("name, make_spec, reader, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_with_file_and_line(name, make_spec, reader, expected):
    path = BAD / name
    with pytest.raises(DataFormatError) as info:
        list(read(path, make_spec(), reader=reader))
    message = str(info.value)
    assert message == f"{path}{expected}"
    assert "\n" not in message


def test_missing_file():
    with pytest.raises(DataFormatError, match=r"nope.jsonl: file not found \(check the path\)"):
        list(read(BAD / "nope.jsonl", marc()))


def test_list_column_that_is_not_a_list(tmp_path):
    path = tmp_path / "mc.jsonl"
    path.write_text('{"question": "q", "choices": "赤"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"mc.jsonl:1: column 'choices' must be a non-empty list of choices"):
        list(read(path, load_spec("multiple_choice")))


def test_null_text(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": null}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"x.jsonl:1: column 'text' is null, expected text$"):
        list(read(path, load_spec("classification")))


def test_overlapping_entities(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "東京都", "entities": [{"start": 0, "end": 2, "label": "LOC"}, '
                    '{"start": 1, "end": 3, "label": "LOC"}]}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"x.jsonl:1: entities '東京' and '京都' overlap"):
        list(read(path, load_spec("ner"), reader="jsonl"))


def test_unknown_reader_lists_the_registered_ones():
    spec = TaskSpec(name="t", head="classification", reader="xml", metrics=("accuracy",), primary_metric="accuracy")
    with pytest.raises(Exception, match=r"unknown reader 'xml'; available: conll, csv, jsonl, squad, text, tsv"):
        read("x", spec)
