"""Every reader isolates bad rows: each good row comes out, each bad row is a RowError at its line,
and rows in = rows out + rows in error (tests/data/broken/, hand-written)."""

from pathlib import Path

import pytest

from jbert.config.tasks import load_spec
from jbert.data import Example, RowError
from jbert.errors import DataFormatError
from jbert.readers import read_examples, read_items

BROKEN = Path(__file__).parent.parent / "data" / "broken"

# file, task, good ids, (line, kind) of each bad row
CASES = [
    # sentences 1 (good), 2 (line 9 has no tag), 3 (good: I-LOC after O is repaired), 4 (E-ORG), 5 (good)
    ("broken.conll", "ner", ["1", "3", "5"], [(8, "unparseable"), (17, "iob")]),
    # 7 non-blank lines: a, invalid JSON (2), a list (3), no text column (4), null text (5), f, g
    ("broken.jsonl", "classification", ["a", "f", "g"],
     [(2, "unparseable"), (3, "unparseable"), (4, "missing_column"), (5, "unparseable")]),
    # header + a, too many fields (3), c (quoted comma), too few fields (5), e (quoted line break)
    ("broken.csv", "classification", ["a", "c", "e"], [(3, "unparseable"), (5, "unparseable")]),
    # q1 good, q2 wrong answer_start, q3 no question, q4 and q5 in a paragraph without context,
    # an article without paragraphs (one error), q6 good; the line is the question index
    ("broken_squad.json", "jsquad", ["q1", "q6"],
     [(2, "unparseable"), (3, "unparseable"), (4, "unparseable"), (5, "unparseable"), (6, "unparseable")]),
]


@pytest.mark.parametrize("name, task, good, bad", CASES, ids=[c[0] for c in CASES])
def test_every_good_row_kept_every_bad_row_reported(name, task, good, bad):
    reader = "csv" if name.endswith(".csv") else None
    items = list(read_items(BROKEN / name, load_spec(task), reader))
    examples = [x for x in items if isinstance(x, Example)]
    errors = [x for x in items if isinstance(x, RowError)]
    assert len(items) == len(good) + len(bad)  # rows in = rows out + rows in error
    assert [e.id for e in examples] == good
    assert [(e.line, e.kind) for e in errors] == bad
    assert all(e.source == str(BROKEN / name) and e.reason for e in errors)


def test_squad_errors_keep_the_question_id():
    items = list(read_items(BROKEN / "broken_squad.json", load_spec("jsquad")))
    assert [x.id for x in items] == ["q1", "q2", "q3", "q4", "q5", None, "q6"]
    assert "answer '日本' is not at answer_start 5" in items[1].reason
    assert "question 4's paragraph has no 'context' text" in items[3].reason


def test_finetuning_reads_fail_once_naming_every_bad_row():
    with pytest.raises(DataFormatError) as info:
        read_examples(BROKEN / "broken.jsonl", load_spec("classification"))
    message = str(info.value)
    assert message.startswith(f"{BROKEN / 'broken.jsonl'}:2: 4 row(s) cannot be read: line 2: invalid JSON")
    assert "line 3: expected a JSON object" in message and "line 4: no column 'text'" in message
    assert "line 5: column 'text' is null" in message and "jbert data check" in message
    assert "\n" not in message
