"""Train a tokenizer from corpus files: pick the setup from the registry, train, save, fingerprint.

>>> from jbert.tokenization.train import train_tokenizer
>>> result = train_tokenizer(["data/sample/corpus.txt"], "mecab-wordpiece", 4000, "out/tok")  # doctest: +SKIP
>>> result.vocab_size  # doctest: +SKIP
4000
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.tokenization.fingerprint import FINGERPRINT_FILE, write_fingerprint
from jbert.tokenization.setups import SETUPS, TrainResult
from jbert.writers.outputs import check_output_dir, output_lock, temp_dir

logger = logging.getLogger(__name__)

# Files a tokenizer directory may hold; stale ones from an earlier setup would confuse AutoTokenizer.
TOKENIZER_FILES = (
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "spiece.model",
    FINGERPRINT_FILE,
)
MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _check_options(setup: str, accepted: Sequence[str], options: dict[str, Any]) -> dict[str, Any]:
    """Drop unset (None) options; a set option the setup does not take is a ConfigError."""
    given = {k: v for k, v in options.items() if v is not None}
    for key in given:
        if key not in accepted:
            takes = ", ".join(_flag(o) for o in accepted) or "none"
            raise ConfigError(f"{_flag(key)} does not apply to --type {setup} (its options: {takes})")
    return given


def _check_values(vocab_size: int, options: dict[str, Any]) -> None:
    if vocab_size < 1:
        raise ConfigError(f"--vocab-size must be a positive number of tokens, got {vocab_size}")
    for key in ("min_frequency", "limit_alphabet", "num_threads"):
        if key in options and options[key] < 1:
            raise ConfigError(f"{_flag(key)} must be at least 1, got {options[key]}")
    coverage = options.get("character_coverage")
    if coverage is not None and not 0 < coverage <= 1:
        raise ConfigError(f"--character-coverage must be in (0, 1], got {coverage}")


def _prepare_output(output: Path) -> bool:
    """Check ``output`` and create it; True when this call created it (a failed run then removes it)."""
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} is a file; give a directory for the tokenizer files")
    held = [name for name in MODEL_FILES if (output / name).exists()]
    if held:
        raise ConfigError(
            f"--output {output} holds a model ({held[0]}); a new tokenizer would not match its embeddings "
            "(choose another --output)"
        )
    check_output_dir(output, keep=TOKENIZER_FILES)  # retraining replaces a tokenizer, nothing else
    created = not output.exists()
    output.mkdir(parents=True, exist_ok=True)
    return created


def _replace_files(staging: Path, output: Path) -> None:
    """Move the freshly trained files into ``output``, removing stale tokenizer files first."""
    for name in TOKENIZER_FILES:
        stale = output / name
        if stale.is_file():
            logger.info("replacing %s", stale)
            stale.unlink()
    for item in sorted(staging.iterdir()):
        shutil.move(str(item), str(output / item.name))


def train_tokenizer(
    corpus: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    type: str = "mecab-wordpiece",
    vocab_size: int = 32768,
    output: str | os.PathLike[str] = "tokenizer",
    field: str | None = None,
    progress: bool = True,
    **options: Any,
) -> TrainResult:
    """Train a ``type`` tokenizer (a name in SETUPS) on the corpus files and save it in ``output``.

    ``field`` selects the text of JSONL corpora. Other options depend on the setup (e.g.
    ``dictionary``, ``lowercase``, ``min_frequency``, ``limit_alphabet``, ``character_coverage``);
    None means the setup's default. The same corpus and options give byte-identical files.
    Writes ``jbert_tokenizer.json`` (the fingerprint) beside the tokenizer. Raises JbertError
    subclasses with one-line messages for bad corpora, options and vocabulary sizes.
    """
    paths = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    setup_cls = SETUPS.get(type)
    given = _check_options(type, setup_cls.options, options)
    _check_values(vocab_size, given)
    output = Path(output)
    created = _prepare_output(output)
    # Train beside the output, then move: a failed run leaves an earlier tokenizer there intact, and no
    # empty directory where there was none. The lock keeps a second run out and clears killed runs' staging.
    try:
        with output_lock(output):
            staging = temp_dir(output, "train")
            try:
                result = setup_cls().train(paths, vocab_size, staging, field=field, progress=progress, **given)
                write_fingerprint(staging)
                _replace_files(staging, output)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        if created:
            shutil.rmtree(output, ignore_errors=True)
        raise
    result.output_dir = output
    logger.info("trained %s tokenizer with %d tokens in %s", type, result.vocab_size, output)
    return result
