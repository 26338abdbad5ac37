"""Input files before any format: is it a file, which reader reads it, how its bytes become text.

* ``require_file``: a missing path or a directory is one line naming the flag and the fix.
* ``reader_for``: ``--reader``/``--input-format`` wins; else the extension (``.csv`` -> csv, ``.txt``
  -> text ...) unless the task spec fixes its reader; else (JGLUE's ``.json``, unknown extensions)
  the spec's reader. Predicting from stdin (no extension), a task that takes one text reads text lines.
* ``open_binary``: gzip-compressed files (and stdin) are read as they are, decompressed on the fly.
* ``decode_line`` / ``decode_all``: UTF-8 by default, or ``--encoding`` (any ASCII-compatible codec:
  cp932, shift_jis, euc_jp ...); bytes that are not UTF-8 name the Japanese legacy encoding they look
  like (Excel saves Japanese CSV as Shift_JIS/CP932) and the option that reads them.
"""

from __future__ import annotations

import codecs
import gzip
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from jbert.config.run import DEFAULT_ENCODING, check_encoding  # noqa: F401 (re-exported: the readers' settings)
from jbert.errors import DataFormatError

if TYPE_CHECKING:
    from jbert.config.tasks import TaskSpec

GZIP_MAGIC = b"\x1f\x8b"
# None: the task spec's own reader (JGLUE ships JSON Lines as *.json, JSQuAD SQuAD JSON as *.json).
EXTENSIONS: dict[str, str | None] = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": None, ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".txt": "text", ".text": "text", ".conll": "conll", ".iob": "conll", ".iob2": "conll", ".bio": "conll",
}
# extensions a reader reads itself (the SQuAD reader: flat QA rows in .jsonl; the CSV reader: tabs in .tsv)
OWN_EXTENSIONS = {"squad": (".json", ".jsonl"), "csv": (".csv", ".tsv", ".tab")}
# labelled data only: CoNLL corpora often ship as .txt (hironsancorpus does), while a .txt to predict on
# is one text a line
LABELLED_OWN_EXTENSIONS = {"conll": (".txt", ".text")}
# heads whose input is one text: predicting from stdin, one text a line is the default for them
ONE_TEXT_HEADS = ("classification", "token")
# Japanese legacy encodings, tried in this order on bytes that are not UTF-8: EUC-JP first, because
# EUC-JP text also decodes (into nonsense) as CP932 while CP932 text almost never decodes as EUC-JP.
LEGACY = (("euc_jp", "EUC-JP"), ("cp932", "Shift_JIS/CP932 (as Excel saves Japanese CSV)"))


def is_stdin(path: Path | str) -> bool:
    return str(path) == "-"


def require_file(path: str | Path, what: str | None = None) -> None:
    """``what``: the role the file plays (``--train``, ``corpus``...) for the message."""
    path = Path(path)
    if is_stdin(path) or path.is_file():
        return
    if path.is_dir():
        files = sorted(p.name for p in path.iterdir() if p.is_file() and _extension(p) in EXTENSIONS)[:3]
        fix = f"give a file in it, e.g. {path / files[0]}" if files else "give the path of a data file"
        if what == "--train":
            fix += "; a JGLUE datasets folder goes to --jglue-dir"
        raise DataFormatError(path, None, f"is a directory, not a {what or 'data'} file", fix)
    raise DataFormatError(path, None, f"{what} file not found" if what else "file not found", "check the path")


def _extension(path: Path) -> str:
    """The format's extension: ``train.jsonl.gz`` -> ``.jsonl``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def reader_for(path: str | Path, spec: TaskSpec, override: str | None = None, unlabeled: bool = False) -> str:
    """The reader name for ``path`` (see the module docstring). ``unlabeled``: the rows carry no labels
    (prediction, distillation's ``--unlabeled``), so stdin and a ``.txt`` are one text a line for a
    one-text task."""
    if override:
        return override
    if spec.reader_fixed:
        return spec.reader
    if is_stdin(path):
        one_text = spec.head in ONE_TEXT_HEADS and spec.column("text_pair") is None
        return "text" if unlabeled and one_text else spec.reader
    extension = _extension(Path(str(path)))
    by_extension = EXTENSIONS.get(extension)
    own = OWN_EXTENSIONS.get(spec.reader, ()) + (() if unlabeled else LABELLED_OWN_EXTENSIONS.get(spec.reader, ()))
    if by_extension is None or extension in own:
        return spec.reader
    return by_extension


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes (``-``: stdin), decompressed when it is gzip-compressed."""
    if is_stdin(path):
        stream: BinaryIO = sys.stdin.buffer
    else:
        require_file(path)
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
        except OSError as exc:
            raise DataFormatError(path, None, f"cannot open: {exc.strerror}") from None
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream)  # type: ignore[return-value]
    return stream


def decode_line(raw: bytes, path: Path, line: int, encoding: str = DEFAULT_ENCODING) -> str:
    """One line's text; bytes the encoding cannot decode raise a one-line DataFormatError."""
    codec = "utf-8-sig" if encoding == DEFAULT_ENCODING and line == 1 else encoding
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise decode_error(raw, exc, path, line, encoding) from None


def decode_error(raw: bytes, exc: UnicodeDecodeError, path: Path, line: int, encoding: str) -> DataFormatError:
    reason = f"not valid {_label(encoding)} (byte {raw[exc.start]:#04x} at column {exc.start + 1})"
    if encoding != DEFAULT_ENCODING:
        return DataFormatError(path, line, reason, f"check --encoding {encoding}, or leave it out for UTF-8")
    looks = _legacy(raw)
    if looks is not None:
        codec, name = looks
        return DataFormatError(path, line, f"{reason}; it looks like {name}",
                               f"read it with --encoding {codec}, or save it as UTF-8")
    return DataFormatError(path, line, reason, "save the file as UTF-8, or name its encoding with --encoding")


def _legacy(raw: bytes) -> tuple[str, str] | None:
    """The Japanese legacy encoding ``raw`` decodes in, with Japanese in it; None for neither."""
    for codec, name in LEGACY:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text):
            return codec, name
    return None


def _label(encoding: str) -> str:
    return "UTF-8" if encoding == DEFAULT_ENCODING else encoding


def decode_all(data: bytes, path: Path, encoding: str = DEFAULT_ENCODING) -> str:
    """A whole file's text (formats that are one JSON document); bad bytes name their line."""
    try:
        return data.decode("utf-8-sig" if encoding == DEFAULT_ENCODING else encoding)
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if data.startswith(codecs.BOM_UTF8) and encoding == DEFAULT_ENCODING else 0)
        start = data.rfind(b"\n", 0, offset) + 1
        end = data.find(b"\n", offset)
        raw = data[start : end if end >= 0 else len(data)]
        inner = UnicodeDecodeError(exc.encoding, raw, offset - start, offset - start + 1, exc.reason)
        raise decode_error(raw, inner, path, data.count(b"\n", 0, offset) + 1, encoding) from None


__all__ = ["DEFAULT_ENCODING", "EXTENSIONS", "check_encoding", "decode_all", "decode_line", "is_stdin", "open_binary",
           "reader_for", "require_file"]
