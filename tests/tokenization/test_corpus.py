"""Corpus reading: plain text and JSONL, and a one-line error naming file and line for each bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jbert.errors import DataFormatError
from jbert.tokenization.corpus import corpus_bytes, iter_texts


def _write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_plain_text_skips_blank_lines_and_strips_line_ends(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.txt", "\ufeff一行目\r\n\n  \n二行目 です\n三行目")
    assert list(iter_texts([f])) == ["一行目", "二行目 です", "三行目"]


def test_several_files_in_order(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", "あ\n")
    b = _write(tmp_path / "b.txt", "い\nう\n")
    assert list(iter_texts([a, b])) == ["あ", "い", "う"]


def test_jsonl_field(tmp_path: Path) -> None:
    rows = [{"text": "猫です", "id": 1}, {"text": None}, {"text": "犬です"}]
    f = _write(tmp_path / "c.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    assert list(iter_texts([f], field="text")) == ["猫です", "犬です"]


def test_progress_counts_every_byte(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.txt", "一行目\n\n二行目\n")
    seen: list[int] = []
    list(iter_texts([f], on_bytes=seen.append))
    assert sum(seen) == corpus_bytes([f]) == f.stat().st_size


def _error(paths: list[Path], field: str | None = None) -> str:
    with pytest.raises(DataFormatError) as info:
        list(iter_texts(paths, field=field))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothere.txt"
    assert _error([missing]) == f"{missing}: cannot read the corpus file: No such file or directory"


def test_directory_is_not_a_corpus(tmp_path: Path) -> None:
    assert _error([tmp_path]).startswith(f"{tmp_path}: cannot read the corpus file")


def test_empty_corpus(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", "")
    b = _write(tmp_path / "b.txt", "\n \n")
    assert _error([a, b]) == f"{a}, {b}: the corpus is empty (no non-blank line) (pass a file with text in it)"


def test_no_files() -> None:
    assert "no corpus file given" in _error([])


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "sjis.txt", "一行目\n".encode() + "二行目\n".encode("shift_jis"))
    message = _error([f])
    assert message.startswith(f"{f}:2: not UTF-8 (byte 0x93 at byte 1 of the line)")
    assert "iconv" in message


def test_jsonl_without_field_is_refused(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.jsonl", '{"text": "a"}\n')
    assert _error([f]) == f"{f}: looks like JSON lines (pass --field NAME to say which field holds the text)"


def test_jsonl_bad_json_names_the_line(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.jsonl", '{"text": "a"}\n{"text": "b"\n')
    assert _error([f], "text").startswith(f"{f}:2: not valid JSON (Expecting ',' delimiter at column 13)")


def test_jsonl_missing_field_lists_the_fields(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.jsonl", '{"text": "a"}\n{"body": "b", "id": 2}\n')
    assert _error([f], "text") == (
        f"{f}:2: no field 'text' (found: body, id) (pass --field with a field every line has)"
    )


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.jsonl", '["a", "b"]\n')
    assert _error([f], "text").startswith(f"{f}:1: no field 'text' (found: a JSON list)")


def test_jsonl_field_that_is_not_text(tmp_path: Path) -> None:
    f = _write(tmp_path / "c.jsonl", '{"text": 3}\n')
    assert _error([f], "text") == f"{f}:1: field 'text' is a int, not text (pick a field that holds text)"
