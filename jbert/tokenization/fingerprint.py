"""Tokenizer fingerprints: what a tokenizer directory segments with, recorded beside it.

A MeCab model tokenizes differently when the installed dictionary changes (unidic-lite vs unidic,
or another release of one), and nothing in ``transformers`` notices. ``write_fingerprint`` records
the analyser, dictionary name and installed version, normalisation, subword type, lower-casing and
a hash of the vocabulary in ``jbert_tokenizer.json``; ``check_fingerprint`` compares that record
with what is installed now and warns loudly about every difference.

The vocabulary hash is over the tokens in id order (one a line; for unigram models each line is
``piece<TAB>score`` with the score as float32), not over file bytes, so a tokenizer re-saved by ``save_pretrained`` keeps
its hash; for a canonical ``vocab.txt`` it equals the sha256 of the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import warnings
from pathlib import Path
from typing import Any

from jbert import __version__
from jbert.errors import TokenizerLoadError
from jbert.tokenization.segmenters.base import is_word_segmenter, make_segmenter, segmenter_kwargs
from jbert.tokenization.segmenters.mecab import DICTIONARIES

logger = logging.getLogger(__name__)

FINGERPRINT_FILE = "jbert_tokenizer.json"
# Keys whose difference changes the ids a text gets; the rest of the record is information.
COMPARED = (
    "word_tokenizer",
    "dictionary",
    "dictionary_version",
    "normalization",
    "subword_tokenizer",
    "do_lower_case",
    "vocab_sha256",
)


class TokenizerMismatchWarning(UserWarning):
    """The installed analyser or the vocabulary differs from the one recorded with the tokenizer."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TokenizerLoadError(f"{path}: cannot read ({err}); is this a tokenizer directory?") from err
    if not isinstance(data, dict):
        raise TokenizerLoadError(f"{path}: expected a JSON object")
    return data


def _sha256_lines(lines: list[str]) -> str:
    return hashlib.sha256("".join(line + "\n" for line in lines).encode("utf-8")).hexdigest()


def _float32(score: float) -> str:
    # Unigram scores are float32 from sentencepiece; a re-save perturbs the last float64 digits.
    return format(struct.unpack("f", struct.pack("f", score))[0], ".9g")


def _vocab_lines(tokenizer_dir: Path) -> tuple[str, list[str]]:
    vocab_txt = tokenizer_dir / "vocab.txt"
    if vocab_txt.is_file():
        with vocab_txt.open(encoding="utf-8") as f:  # read as transformers' load_vocab reads it
            return "vocab.txt", [line.rstrip("\n") for line in f]
    tokenizer_json = tokenizer_dir / "tokenizer.json"
    if tokenizer_json.is_file():
        vocab = _read_json(tokenizer_json).get("model", {}).get("vocab", [])
        if isinstance(vocab, dict):  # WordPiece/BPE: token -> id
            return "tokenizer.json", [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
        return "tokenizer.json", [f"{piece}\t{_float32(score)}" for piece, score in vocab]
    spiece = tokenizer_dir / "spiece.model"
    if spiece.is_file():  # BertJapaneseTokenizer with SentencePiece subwords (LINE DistilBERT style)
        import sentencepiece

        sp = sentencepiece.SentencePieceProcessor(model_file=str(spiece))
        return "spiece.model", [f"{sp.IdToPiece(i)}\t{_float32(sp.GetScore(i))}" for i in range(len(sp))]
    raise TokenizerLoadError(f"{tokenizer_dir}: no vocab.txt, tokenizer.json or spiece.model (is this a tokenizer "
                             "directory?)")


def _normalizer_name(spec: dict[str, Any] | None) -> str:
    if not spec:
        return "none"
    if spec.get("type") == "Sequence":
        return "+".join(_normalizer_name(s) for s in spec.get("normalizers", []))
    return str(spec.get("type"))


def _analyser(tokenizer_dir: Path, config: dict[str, Any]) -> dict[str, Any]:
    word = config.get("word_tokenizer_type")
    if word and config.get("do_word_tokenize", True) and is_word_segmenter(word):
        kwargs = segmenter_kwargs(config) or {}
        return {**make_segmenter(word, kwargs, threads=0).info(),
                "normalization": "NFKC" if kwargs.get("normalize_text", True) else "none"}
    tokenizer_json = tokenizer_dir / "tokenizer.json"
    spec = _read_json(tokenizer_json).get("normalizer") if tokenizer_json.is_file() else None
    return {"word_tokenizer": word, "dictionary": None, "dictionary_version": None,
            "normalization": _normalizer_name(spec)}


def _subword_type(tokenizer_dir: Path, config: dict[str, Any]) -> str | None:
    if "subword_tokenizer_type" in config:
        return config["subword_tokenizer_type"]
    tokenizer_json = tokenizer_dir / "tokenizer.json"
    if tokenizer_json.is_file():
        return str(_read_json(tokenizer_json).get("model", {}).get("type", "")).lower() or None
    return None


def compute_fingerprint(tokenizer_dir: str | Path) -> dict[str, Any]:
    """The fingerprint of a tokenizer directory as the installed packages would tokenize with it now."""
    tokenizer_dir = Path(tokenizer_dir)
    config = _read_json(tokenizer_dir / "tokenizer_config.json")
    vocab_file, lines = _vocab_lines(tokenizer_dir)
    return {
        "tokenizer_class": config.get("tokenizer_class"),
        **_analyser(tokenizer_dir, config),
        "subword_tokenizer": _subword_type(tokenizer_dir, config),
        "do_lower_case": bool(config.get("do_lower_case", False)),
        "vocab_file": vocab_file,
        "vocab_size": len(lines),
        "vocab_sha256": _sha256_lines(lines),
        "jbert_version": __version__,
    }


def write_fingerprint(tokenizer_dir: str | Path, record: dict[str, Any] | None = None) -> Path:
    """Save ``record`` (default: the fingerprint computed now) as ``jbert_tokenizer.json``; returns its path."""
    path = Path(tokenizer_dir) / FINGERPRINT_FILE
    record = record if record is not None else compute_fingerprint(tokenizer_dir)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_fingerprint(tokenizer_dir: str | Path) -> dict[str, Any] | None:
    """The recorded fingerprint of a tokenizer directory, or None when there is none."""
    path = Path(tokenizer_dir) / FINGERPRINT_FILE
    return _read_json(path) if path.is_file() else None


def fingerprint_differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable ``key: recorded -> now`` lines for the compared keys that differ."""
    return [
        f"{key}: {recorded.get(key)!r} -> {current.get(key)!r}"
        for key in COMPARED
        if key in recorded and recorded.get(key) != current.get(key)
    ]


def _install_hint(recorded: dict[str, Any]) -> str:
    name, version = recorded.get("dictionary"), recorded.get("dictionary_version")
    if name in DICTIONARIES and version:
        return f"pip install {DICTIONARIES[name][1]}=={version}"
    if name in DICTIONARIES:
        return f"pip install {DICTIONARIES[name][1]}"
    return "restore the recorded vocabulary and analyser"


def check_fingerprint(tokenizer_dir: str | Path) -> None:
    """Warn loudly when the recorded fingerprint differs from what is installed; silent without a record.

    The warning (``TokenizerMismatchWarning`` plus a logging warning) names every difference and
    the package to install. A missing dictionary package is not a warning: it raises
    TokenizerLoadError naming the package, since the tokenizer cannot load at all.
    """
    tokenizer_dir = Path(tokenizer_dir)
    path = tokenizer_dir / FINGERPRINT_FILE
    if not path.is_file():
        return
    recorded = _read_json(path)
    diffs = fingerprint_differences(recorded, compute_fingerprint(tokenizer_dir))
    if not diffs:
        return
    fix = _install_hint(recorded)
    if any(d.startswith("vocab_sha256") for d in diffs) and len(diffs) == 1:
        fix = "the vocabulary file changed since training: use the tokenizer files the model was trained with"
    message = (
        f"TOKENIZER MISMATCH in {tokenizer_dir}: texts will not get the ids the model was trained with "
        f"({'; '.join(diffs)}). Fix: {fix}"
    )
    logger.warning(message)
    warnings.warn(message, TokenizerMismatchWarning, stacklevel=2)
