"""Training corpora for tokenizers: plain text (one text a line) or JSONL (one object a line, ``field``).

Files are read as bytes and decoded line by line, so a file that is not UTF-8 fails with the line
that is not, and a progress bar can count bytes. Blank lines are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from jbert.errors import DataFormatError

JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


def corpus_bytes(paths: Sequence[str | os.PathLike[str]]) -> int:
    """Total size of the corpus files (for a progress bar); unreadable files count 0 here and fail later."""
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total


def iter_texts(
    paths: Sequence[str | os.PathLike[str]],
    field: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield every non-blank text of the corpus files, in file then line order.

    With ``field`` each line is a JSON object and the text is ``obj[field]``. ``on_bytes`` is called
    with the size of each raw line read (for progress). Raises DataFormatError (file and line) for a
    missing or unreadable file, bytes that are not UTF-8, a line that is not JSON or lacks the field,
    and for a corpus without any text.
    """
    if not paths:
        raise DataFormatError("(no corpus)", None, "no corpus file given", "pass one or more text files")
    found = False
    for path in paths:
        for text in _iter_file(Path(path), field, on_bytes):
            found = True
            yield text
    if not found:
        where = ", ".join(str(p) for p in paths)
        raise DataFormatError(where, None, "the corpus is empty (no non-blank line)", "pass a file with text in it")


def _iter_file(path: Path, field: str | None, on_bytes: Callable[[int], None] | None) -> Iterator[str]:
    if field is None and path.suffix.lower() in JSON_SUFFIXES:
        raise DataFormatError(
            path, None, "looks like JSON lines", "pass --field NAME to say which field holds the text"
        )
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataFormatError(path, None, f"cannot read the corpus file: {err.strerror or err}") from err
    with handle:
        for lineno, raw in enumerate(_read_lines(handle, path), start=1):
            if on_bytes is not None:
                on_bytes(len(raw))
            line = _decode(raw, path, lineno).rstrip("\r\n")
            text = line if field is None else _field(line, field, path, lineno)
            if text is not None and text.strip():
                yield text


def _read_lines(handle, path: Path) -> Iterator[bytes]:
    try:
        yield from handle
    except OSError as err:  # e.g. a directory passed as a file
        raise DataFormatError(path, None, f"cannot read the corpus file: {err.strerror or err}") from err


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # UTF-8 byte order mark
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataFormatError(
            path,
            lineno,
            f"not UTF-8 (byte 0x{raw[err.start]:02x} at byte {err.start + 1} of the line)",
            "convert the file to UTF-8, e.g. iconv -f SHIFT_JIS -t UTF-8",
        ) from None


def _field(line: str, field: str, path: Path, lineno: int) -> str | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataFormatError(
            path, lineno, f"not valid JSON ({err.msg} at column {err.colno})", "write one JSON object a line"
        ) from None
    if not isinstance(obj, dict) or field not in obj:
        keys = ", ".join(sorted(obj)) if isinstance(obj, dict) else f"a JSON {type(obj).__name__}"
        raise DataFormatError(
            path, lineno, f"no field {field!r} (found: {keys or 'none'})", "pass --field with a field every line has"
        )
    value = obj[field]
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataFormatError(
            path, lineno, f"field {field!r} is a {type(value).__name__}, not text", "pick a field that holds text"
        )
    return value
