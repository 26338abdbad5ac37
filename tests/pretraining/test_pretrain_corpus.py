"""Corpus files -> documents -> packed blocks, and every bad line named (jbert.pretraining.corpus)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jbert.errors import DataFormatError
from jbert.pretraining.corpus import load_documents, pack, pack_batch, tokenize, word_starts
from jbert.pretraining.documents import iter_documents

CLS, SEP = 2, 3


def _write(tmp_path, name, data):
    path = tmp_path / name
    (path.write_bytes if isinstance(data, bytes) else lambda d: path.write_text(d, encoding="utf-8"))(data)
    return path


docs_strategy = st.lists(st.lists(st.integers(10, 99), min_size=1, max_size=30), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(docs_strategy, st.integers(8, 40))
def test_packing_loses_no_token_and_crosses_documents_only_at_sep(docs, max_length):
    starts = [[1] + [0] * (len(d) - 1) for d in docs]
    blocks = pack_batch({"input_ids": docs, "word_starts": starts}, max_length, CLS, SEP)
    assert all(len(b) <= max_length and b[0] == CLS for b in blocks["input_ids"])
    assert all(len(b) == max_length for b in blocks["input_ids"][:-1])  # only the last one is short
    stream = [t for b in blocks["input_ids"] for t in b[1:]]
    assert stream == [t for d in docs for t in [*d, SEP]]  # every token, in order; one [SEP] after each document
    for ids, flags in zip(blocks["input_ids"], blocks["word_starts"], strict=True):
        assert len(ids) == len(flags) and flags[0] == -1
        assert all((f == -1) == (t in (CLS, SEP)) for t, f in zip(ids, flags, strict=True))
        assert flags[1] != 0  # a block never starts inside a word: its remainder is a word of its own


def test_word_starts_from_word_ids():
    assert word_starts([0, 0, 1, 2, 2, None]) == [1, 0, 1, 1, 0, -1]


def test_text_documents_one_a_line_or_blank_line_separated(tmp_path):
    lines = _write(tmp_path, "a.txt", "一つ目。\n\n")
    assert [d["text"] for d in iter_documents(lines, None)] == ["一つ目。"]
    lines = _write(tmp_path, "b.txt", "一つ目。\n二つ目。\n")
    assert [(d["text"], d["line"]) for d in iter_documents(lines, None)] == [("一つ目。", 1), ("二つ目。", 2)]
    paragraphs = _write(tmp_path, "c.txt", "一文目。\n二文目。\n\n\n次の文書。\n")
    assert [(d["text"], d["line"]) for d in iter_documents(paragraphs, None)] == [("一文目。\n二文目。", 1), ("次の文書。", 5)]
    assert len(list(iter_documents(paragraphs, None, mode="line"))) == 3


def test_jsonl_documents(tmp_path):
    path = _write(tmp_path, "c.jsonl", '{"body": "本文です。", "id": 1}\n\n{"body": "  "}\n{"body": "次。"}\n')
    assert [(d["text"], d["line"]) for d in iter_documents(path, "body")] == [("本文です。", 1), ("次。", 4)]


@pytest.mark.parametrize("name, data, field, message", [
    ("bad.jsonl", '{"text": "ok"}\n[1, 2]\n', "text", r"bad.jsonl:2: expected a JSON object, got list"),
    ("bad.jsonl", '{"text": "ok"}\n{"body": "x"}\n', "text", r"bad.jsonl:2: no key 'text' in this object \(keys: body\) \(check --field\)"),
    ("bad.jsonl", '{"text": 3}\n', "text", r"bad.jsonl:1: 'text' holds a int, not a string"),
    ("bad.jsonl", '{"text": "ok"}\n{"text": \n', "text", r"bad.jsonl:2: invalid JSON"),
    ("bad.txt", "良い行。\n".encode() + b"\xff\xfe bad\n", None, r"bad.txt:2: not valid UTF-8 \(byte 0xff at column 1\)"),
    ("c.jsonl", '{"text": "ok"}\n', None, r"c.jsonl: looks like JSON Lines \(pass --field NAME"),
])
def test_bad_corpus_lines_name_file_and_line(tmp_path, name, data, field, message):
    path = _write(tmp_path, name, data)
    with pytest.raises(DataFormatError, match=message):
        load_documents([str(path)], field, "auto", str(tmp_path / "cache"))


def test_missing_and_empty_corpus(tmp_path):
    with pytest.raises(DataFormatError, match="nope.txt: corpus file not found"):
        load_documents([str(tmp_path / "nope.txt")], None, "auto", None)
    with pytest.raises(DataFormatError, match="the corpus has no text"):
        load_documents([str(_write(tmp_path, "e.txt", "\n \n"))], None, "auto", str(tmp_path / "cache"))


def test_tokenized_once_then_read_from_the_cache(tiny_model_dir, tmp_path):
    corpus = _write(tmp_path, "c.txt", "東京駅の近くでコーヒーを飲みました。\n駅前の店です。\n")
    cache = str(tmp_path / "cache")
    first = pack(tokenize(load_documents([str(corpus)], None, "auto", cache), str(tiny_model_dir), None), 16, CLS, SEP, None)
    again = pack(tokenize(load_documents([str(corpus)], None, "auto", cache), str(tiny_model_dir), None), 16, CLS, SEP, None)
    assert first.cache_files and first.cache_files == again.cache_files  # memory-mapped Arrow, same files
    assert first["input_ids"] == again["input_ids"]
    corpus.write_text("別の文。\n", encoding="utf-8")  # a changed file is tokenized again
    changed = pack(tokenize(load_documents([str(corpus)], None, "auto", cache), str(tiny_model_dir), None), 16, CLS, SEP, None)
    assert changed["input_ids"] != first["input_ids"]


def test_a_document_is_tokenized_line_by_line(tiny_model_dir):
    """BERT's create_pretraining_data reads one sentence a line: a document's tokens are its lines' tokens,
    in order, and MeCab never sees a whole document as one sentence."""
    from jbert.pretraining.corpus import _tokenize_batch, tokenizer_for

    lines = ["東京に行く。", "京都で寺を見た。", "また来たい。"]
    out = _tokenize_batch({"text": ["\n".join(lines), "  \n", "単独の行"]}, str(tiny_model_dir), by_mecab=False)
    tok = tokenizer_for(str(tiny_model_dir))
    each = tok(lines, add_special_tokens=False)["input_ids"]
    assert out["input_ids"][0] == [i for ids in each for i in ids]
    assert out["input_ids"][1] == [] and out["word_starts"][1] == []  # whitespace only: no tokens
    assert out["input_ids"][2] == tok("単独の行", add_special_tokens=False)["input_ids"]
    # every line starts a word
    starts = out["word_starts"][0]
    firsts = [sum(map(len, each[:k])) for k in range(len(each))]
    assert all(starts[k] == 1 for k in firsts) and len(starts) == len(out["input_ids"][0])
