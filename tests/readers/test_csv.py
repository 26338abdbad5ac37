import io
import sys

from jbert.config.tasks import TaskSpec
from jbert.readers import read


def spec(reader="csv", **columns):
    return TaskSpec(name="t", head="pair-regression", reader=reader, metrics=("pearson",),
                    primary_metric="pearson", columns=columns)


def test_csv_header_columns_and_line_numbers(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text('id,s1,s2,score\na1,犬が走る。,"犬が, 走っている。",4.2\n\na2,"複数\n行",猫,1\n', encoding="utf-8")
    examples = list(read(path, spec(id="id", text="s1", text_pair="s2", label="score")))
    assert [(e.id, e.line) for e in examples] == [("a1", 2), ("a2", 4)]
    assert examples[0].text_pair == "犬が, 走っている。"
    assert examples[0].label == "4.2"  # cells stay strings; the head converts
    assert examples[1].text == "複数\n行"


def test_tsv_by_extension_and_bom(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_bytes("\ufefftext\tlabel\n良い,とても\tpositive\n".encode())
    (example,) = read(path, spec())
    assert example.text == "良い,とても" and example.label == "positive"


def test_tsv_reader_name_forces_tabs(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("text\tlabel\na,b\tx\n", encoding="utf-8")
    (example,) = read(path, spec(), reader="tsv")  # --reader tsv: a .txt file read as TSV
    assert example.text == "a,b"


def test_named_choice_columns(tmp_path):
    path = tmp_path / "mc.csv"
    path.write_text("q,c0,c1,c2,answer\n色は？,赤,青,黄,2\n", encoding="utf-8")
    (example,) = read(path, spec(text="q", choices=["c0", "c1", "c2"], label="answer"))
    assert example.choices == ("赤", "青", "黄") and example.label == "2"


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("text\n一行目\n".encode())))
    assert [e.text for e in read("-", spec())] == ["一行目"]


def test_a_field_longer_than_the_csv_modules_default_limit(tmp_path):
    # csv refuses fields over 131,072 characters by default ("field larger than field limit"); a long
    # document in one cell is ordinary data
    long_text = "長い文書。" * 60_000  # 300,000 characters
    path = tmp_path / "long.csv"
    path.write_text(f'id,s1,s2,score\na1,"{long_text}",短い,1.5\na2,x,y,2\n', encoding="utf-8")
    examples = list(read(path, spec(id="id", text="s1", text_pair="s2", label="score")))
    assert [(e.id, e.line, len(e.text)) for e in examples] == [("a1", 2, 300_000), ("a2", 3, 1)]
