"""The corpus as memory-mapped Arrow tables (``datasets``), built once and cached:

    files -> documents {text, line}                        (Dataset.from_generator)
          -> tokens    {input_ids, word_starts}            (map, num_proc processes)
          -> blocks    [CLS] doc [SEP] doc [SEP] ...       (map: packed to max_length, no padding)

``word_starts`` marks each token: 1 starts a word, 0 continues one, -1 is a special token (never
masked). Words are the tokenizer's own (``word_ids()``: MeCab, Sudachi or Juman++ words, the Tohoku
whole-word masking) where it segments Japanese into words, else MeCab words over the tokens' offsets
(SentencePiece and BPE models, which split at spaces only: ``jbert.pretraining.words``).
Every step has an explicit fingerprint (file sizes and mtimes, tokenizer files, max_length), so
a second run on the same corpus reads the cache and a changed file is tokenized again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError, DataFormatError, JbertError
from jbert.pretraining.documents import iter_documents
from jbert.pretraining.words import mecab_word_starts, word_source
from jbert.readers.files import require_file

_TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "spiece.model", "sentencepiece.bpe.model")
_TOKENIZERS: dict[str, Any] = {}  # per process: tokenizer directory -> loaded tokenizer


def load_documents(files: Sequence[str], field: str | None, mode: str, cache_dir: str | None,
                   encoding: str = "utf-8") -> Any:
    """All documents of ``files`` as one Arrow-backed ``datasets.Dataset`` (columns text, line, file)."""
    from datasets import Dataset, Features, Value
    from datasets.exceptions import DatasetGenerationError

    if not files:
        raise ConfigError("no corpus: give one or more text or JSONL files")
    stats = []
    for name in files:
        path = Path(name)
        require_file(path, "corpus")
        stats.append((str(path.resolve()), path.stat().st_size, path.stat().st_mtime_ns))
    # datasets cannot build an empty table; reading up to the first document is cheap
    if next(_generate([s[0] for s in stats], field, mode, encoding), None) is None:
        raise DataFormatError(", ".join(files), None, "the corpus has no text", "pass files with text in them")
    key = _digest("documents", stats, field, mode, *([encoding] if encoding != "utf-8" else []))
    try:
        docs = Dataset.from_generator(_generate, gen_kwargs={"files": [s[0] for s in stats], "field": field,
                                                             "mode": mode, "encoding": encoding}, cache_dir=cache_dir, fingerprint=key,
                                      features=Features({"text": Value("string"), "line": Value("int64"),
                                                         "file": Value("string")}))
    except DatasetGenerationError as exc:  # datasets wraps what the generator raised
        cause = exc.__cause__
        raise (cause if isinstance(cause, JbertError) else exc) from None
    return docs


def _generate(files: list[str], field: str | None, mode: str, encoding: str = "utf-8") -> Iterator[dict]:
    for name in files:
        for doc in iter_documents(Path(name), field, mode, encoding):
            yield {**doc, "file": name}


def tokenize(docs: Any, tokenizer_dir: str, num_proc: int | None) -> Any:
    """documents -> ``input_ids`` and ``word_starts`` per document (no special tokens yet)."""
    # "lines": documents are tokenized line by line (see _tokenize_batch); caches of whole documents are not reused
    source = word_source(tokenizer_for(tokenizer_dir))  # decided once: the cache key and every worker agree
    key = _digest("tokens", "lines", source, docs._fingerprint, tokenizer_files_digest(tokenizer_dir))
    return docs.map(_tokenize_batch, batched=True, batch_size=256, num_proc=num_proc, remove_columns=["text"],
                    fn_kwargs={"tokenizer_dir": tokenizer_dir, "by_mecab": source == "mecab"}, new_fingerprint=key,
                    desc="tokenizing")


def _tokenize_batch(batch: dict[str, list], tokenizer_dir: str, by_mecab: bool) -> dict[str, list]:
    """Each line of a document is tokenized on its own and the document is their concatenation, as BERT's
    ``create_pretraining_data.py`` reads one sentence a line. Tokenizing a whole document at once would
    hand MeCab one sentence as long as the document: a 661k-character document took 1 GB of lattice.
    ``by_mecab``: words from MeCab over the offsets, not ``word_ids()`` (``jbert.pretraining.words``)."""
    tokenizer = tokenizer_for(tokenizer_dir)
    lines, owner = [], []
    for i, text in enumerate(batch["text"]):
        parts = [line for line in text.splitlines() if line.strip()]
        lines += parts
        owner += [i] * len(parts)
    ids: list[list[int]] = [[] for _ in batch["text"]]
    starts: list[list[int]] = [[] for _ in batch["text"]]
    if lines:
        enc = tokenizer(lines, add_special_tokens=False, return_attention_mask=False, return_token_type_ids=False,
                        return_offsets_mapping=by_mecab, verbose=False)
        for j, i in enumerate(owner):
            ids[i] += enc["input_ids"][j]
            starts[i] += mecab_word_starts(lines[j], enc["offset_mapping"][j]) if by_mecab \
                else word_starts(enc.word_ids(j))
    return {"input_ids": ids, "word_starts": starts}


def word_starts(word_ids: Sequence[int | None]) -> list[int]:
    """1 where a new word begins, 0 inside a word, -1 for tokens without a word (specials)."""
    out, previous = [], None
    for w in word_ids:
        out.append(-1 if w is None else int(w != previous))
        previous = w
    return out


def tokenizer_for(tokenizer_dir: str, loaded: Any = None) -> Any:
    """The fast tokenizer, loaded once per process (map workers cannot share the parent's: jbert's
    MeCab pre-tokenizer is Python and does not pickle). ``loaded``: the caller's, to reuse here."""
    if loaded is not None:
        _TOKENIZERS.setdefault(tokenizer_dir, loaded)
    if tokenizer_dir not in _TOKENIZERS:
        from jbert.tokenization import load_tokenizer

        _TOKENIZERS[tokenizer_dir] = load_tokenizer(tokenizer_dir)
    return _TOKENIZERS[tokenizer_dir]


def pack(tokens: Any, max_length: int, cls_id: int, sep_id: int, num_proc: int | None) -> Any:
    """Documents -> blocks of ``max_length`` tokens: ``[CLS]`` then the token stream in which every
    document ends with ``[SEP]``. Only the last block of each map batch is shorter: no token is lost."""
    key = _digest("blocks", tokens._fingerprint, max_length, cls_id, sep_id)
    return tokens.map(pack_batch, batched=True, batch_size=10_000, num_proc=num_proc,
                      remove_columns=tokens.column_names, new_fingerprint=key, desc="packing",
                      fn_kwargs={"max_length": max_length, "cls_id": cls_id, "sep_id": sep_id})


def pack_batch(batch: dict[str, list], max_length: int, cls_id: int, sep_id: int) -> dict[str, list]:
    ids: list[int] = []
    starts: list[int] = []
    for doc_ids, doc_starts in zip(batch["input_ids"], batch["word_starts"], strict=True):
        ids += [*doc_ids, sep_id]
        starts += [*doc_starts, -1]
    width = max_length - 1  # the [CLS] in front of every block
    blocks = {"input_ids": [], "word_starts": []}
    for i in range(0, len(ids), width):
        blocks["input_ids"].append([cls_id, *ids[i: i + width]])
        blocks["word_starts"].append([-1, *_restart(starts[i: i + width])])
    return blocks


def _restart(starts: list[int]) -> list[int]:
    """A block that begins inside a word: its first token starts what is left of that word."""
    if starts and starts[0] == 0:
        return [1, *starts[1:]]
    return starts


def tokenizer_files_digest(tokenizer_dir: str) -> str:
    h = hashlib.sha1(tokenizer_dir.encode())
    for name in _TOKENIZER_FILES:
        path = Path(tokenizer_dir) / name
        if path.is_file():
            h.update(name.encode() + path.read_bytes())
    return h.hexdigest()


def _digest(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:16]
