import json
from pathlib import Path

from jbert.config.tasks import load_spec
from jbert.data import Answer
from jbert.readers import read

DATA = Path(__file__).parent.parent / "data"


def test_jsquad_slice_questions_in_file_order():
    examples = list(read(DATA / "jglue" / "jsquad-valid.json", load_spec("jsquad")))
    assert len(examples) == 26
    assert [e.line for e in examples] == list(range(1, 27))
    first = examples[0]
    assert first.id == "a1698820p0q0" and first.text == "オランダの憲法上の首都は？"
    assert first.text_pair.startswith("オランダ [SEP] ")
    assert first.answers[0] == Answer("アムステルダム", 110)
    for e in examples:
        for a in e.answers:
            assert e.text_pair[a.start : a.start + len(a.text)] == a.text
    assert first.fields["title"] == "オランダ"


def test_flat_jsonl_qa_rows_in_hf_layout(tmp_path):
    path = tmp_path / "qa.jsonl"
    rows = [
        {"id": "x1", "question": "首都は？", "context": "首都は東京。", "answers": {"text": ["東京"], "answer_start": [3]}},
        {"id": "x2", "question": "何？", "context": "りんご", "answers": [{"text": "りんご", "answer_start": 0}]},
        {"id": "x3", "question": "予測だけ", "context": "本文"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    examples = list(read(path, load_spec("qa")))
    assert [(e.id, e.line) for e in examples] == [("x1", 1), ("x2", 2), ("x3", 3)]
    assert examples[0].answers == (Answer("東京", 3),)
    assert examples[2].answers == ()
