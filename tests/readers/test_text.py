import io
import sys

import pytest

from jbert.config.tasks import load_spec
from jbert.errors import DataFormatError
from jbert.readers import read


def test_one_example_per_line_blank_lines_kept(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("一行目\n\n三行目\n", encoding="utf-8")
    examples = list(read(path, load_spec("classification"), reader="text"))
    assert [(e.id, e.line, e.text) for e in examples] == [("1", 1, "一行目"), ("2", 2, ""), ("3", 3, "三行目")]


def test_pairs_split_on_tab(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("犬が走る。\t犬が走っている。\nタブなし\n", encoding="utf-8")
    rows = read(path, load_spec("jsts"), reader="text")
    first = next(rows)
    assert (first.text, first.text_pair) == ("犬が走る。", "犬が走っている。")
    with pytest.raises(DataFormatError, match=r"in.txt:2: no tab between text and text_pair"):
        next(rows)


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("あ\nい\n".encode())))
    assert [e.text for e in read("-", load_spec("classification"), reader="text")] == ["あ", "い"]
