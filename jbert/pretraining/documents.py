"""Corpus files -> documents. Plain text: one document a line, or documents separated by blank lines
(``documents: auto`` picks the latter when the file has a blank line); JSONL: one object a line,
the text under ``field``. Every bad line is a DataFormatError naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jbert.errors import DataFormatError
from jbert.readers._common import iter_lines, json_rows

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def iter_documents(path: Path, field: str | None, mode: str = "auto", encoding: str = "utf-8") -> Iterator[dict]:
    """``{"text", "line"}`` per non-empty document of ``path`` (``line``: where it starts, 1-based)."""
    if field is not None:
        yield from _json_documents(path, field, encoding)
        return
    if path.suffix.lower() in JSON_SUFFIXES:
        raise DataFormatError(path, None, "looks like JSON Lines", "pass --field NAME to say which key holds the text")
    if mode == "auto":
        mode = "paragraph" if _has_blank_line(path, encoding) else "line"
    if mode == "line":
        yield from ({"text": text, "line": n} for n, text in iter_lines(path, encoding=encoding) if text.strip())
        return
    start, lines = 0, []
    for n, text in iter_lines(path, encoding=encoding):
        if text.strip():
            start = start or n
            lines.append(text)
        elif lines:
            yield {"text": "\n".join(lines), "line": start}
            start, lines = 0, []
    if lines:
        yield {"text": "\n".join(lines), "line": start}


def _json_documents(path: Path, field: str, encoding: str) -> Iterator[dict]:
    # --field says the corpus is JSON Lines: a line that is not JSON is most likely plain text
    hint = "--field reads JSON Lines; for a plain-text corpus (one document a line) leave --field out"
    for n, row in json_rows(path, encoding, hint):
        if field not in row:
            keys = ", ".join(sorted(row)) or "none"
            raise DataFormatError(path, n, f"no key {field!r} in this object (keys: {keys})", "check --field")
        text = row[field]
        if not isinstance(text, str):
            raise DataFormatError(path, n, f"{field!r} holds a {type(text).__name__}, not a string",
                                  "each document's text must be a JSON string")
        if text.strip():
            yield {"text": text, "line": n}


def _has_blank_line(path: Path, encoding: str) -> bool:
    """A blank line between two non-blank ones (trailing blank lines do not count)."""
    seen_text = blank = False
    for _, text in iter_lines(path, encoding=encoding):
        if not text.strip():
            blank = seen_text
        elif blank:
            return True
        else:
            seen_text = True
    return False
