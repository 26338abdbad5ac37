"""`jbert tokenizer doctor MODEL`: will this model's text get the ids it was pre-trained with?

`diagnose(name)` checks, and reports with figures:

- dictionary: for MeCab tokenizers, the dictionary each installed MeCab dictionary's segmentation implies
  (`jbert.tokenization.dictprobe`), against what the config names (or leaves to transformers' default);
- fingerprint: the analyser recorded in ``jbert_tokenizer.json`` against the installed one;
- options: whether jbert loads the tokenizer at all, and whether its ids equal ``BertJapaneseTokenizer``'s on
  the probe text (an option jbert does not honour shows up here as a difference or a refusal);
- presegmentation: for SentencePiece models, whether the model wants Juman++-segmented input.

Each finding is ``ok``, ``warn`` or ``fail``; ``fail`` means the model cannot be tokenized as pre-trained
here (the CLI then exits 2).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jbert.errors import TokenizerLoadError


@dataclass
class Finding:
    check: str
    status: str  # ok | warn | fail
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class DoctorReport:
    model: str
    tokenizer_class: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "tokenizer_class": self.tokenizer_class, "ok": self.ok,
                "findings": [vars(f) for f in self.findings]}


def diagnose(name: str) -> DoctorReport:
    """Every check that applies to the tokenizer of `name` (a directory or a cached hub id)."""
    from jbert.tokenization.loading import JAPANESE_CLASSES, _read_config

    _check_target(name)
    config = _read_config(name)
    if not config and not os.path.isdir(name):
        raise TokenizerLoadError(f"{name}: not a directory, and not in the local hub cache (download it first, "
                                 "e.g. with `huggingface-cli download`, or give the model directory)")
    report = DoctorReport(name, config.get("tokenizer_class"))
    tok, load_finding = _load(name)
    if config.get("tokenizer_class") in JAPANESE_CLASSES and config.get("word_tokenizer_type") == "mecab":
        report.findings.append(_dictionary(name, config))
    report.findings.append(_fingerprint(name))
    report.findings.append(load_finding)
    if tok is not None and config.get("tokenizer_class") in JAPANESE_CLASSES:
        report.findings.append(_parity(name, tok))
    elif tok is not None:
        report.findings.append(_presegmentation(name, tok))
    return report


def _check_target(name: str) -> None:
    from jbert.tokenization.loading import _looks_like_path

    if os.path.exists(name) and not os.path.isdir(name):
        raise TokenizerLoadError(f"{name}: expected a tokenizer or model directory, got a file")
    if not os.path.exists(name) and _looks_like_path(name):
        raise TokenizerLoadError(f"{name}: no such directory")


def _load(name: str) -> tuple[Any, Finding]:
    from jbert.tokenization.loading import load_tokenizer

    try:
        with _quiet():
            tok = load_tokenizer(name, mecab_threads=0)
    except TokenizerLoadError as err:
        return None, Finding("load", "fail", f"jbert cannot load this tokenizer: {err}")
    return tok, Finding("load", "ok", f"loads as {type(tok).__name__}")


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the loader's warnings: the doctor reports the same findings itself, with figures."""
    loggers = [logging.getLogger(f"jbert.tokenization.{m}") for m in ("dictchoice", "presegment", "fingerprint")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            for lg in loggers:
                lg.setLevel(logging.ERROR)
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _changed_by_default(name: str, chosen: str) -> dict[str, Any]:
    """How many probe texts get other ids with transformers' default dictionary than with `chosen`."""
    from jbert.tokenization.dictchoice import TRANSFORMERS_DEFAULT
    from jbert.tokenization.dictprobe import installed, mecab_kwargs_for, probe_texts
    from jbert.tokenization.loading import load_tokenizer

    if chosen == TRANSFORMERS_DEFAULT or not installed(chosen) or not installed(TRANSFORMERS_DEFAULT):
        return {}
    texts = list(probe_texts())
    with _quiet():
        ids = [load_tokenizer(name, mecab_threads=0, mecab_kwargs=mecab_kwargs_for(d))(texts)["input_ids"]
               for d in (chosen, TRANSFORMERS_DEFAULT)]
    differ = sum(a != b for a, b in zip(*ids, strict=True))
    return {"texts": len(texts), "differ_with_default": differ}


def _dictionary(name: str, config: dict[str, Any]) -> Finding:
    from jbert.tokenization.dictchoice import (
        TRANSFORMERS_DEFAULT,
        choose_dictionary,
        is_silent,
        poor_fit_hint,
    )
    from jbert.tokenization.dictprobe import PROBED, installed

    try:
        chosen, why, verdict = choose_dictionary(name, config)
    except TokenizerLoadError as err:
        return Finding("dictionary", "fail", str(err))
    details = {"configured": (config.get("mecab_kwargs") or {}).get("mecab_dic", None if is_silent(config)
                                                                     else "custom"),
               "silent": is_silent(config), "chosen": chosen, "why": why, "probe": verdict.to_dict()}
    hint = poor_fit_hint(verdict)
    if is_silent(config):
        if not installed(chosen):
            return Finding("dictionary", "fail", f"pre-trained with {chosen}, which is not installed "
                           f"(pip install {PROBED[chosen][1]})", details)
        status = "warn" if chosen != TRANSFORMERS_DEFAULT or hint else "ok"
        message = (f"config names no dictionary (transformers: {TRANSFORMERS_DEFAULT}); jbert uses {chosen}: "
                   f"{why}")
        details["ids"] = _changed_by_default(name, chosen)
        if details["ids"]:
            message += (f"; {TRANSFORMERS_DEFAULT} would give other ids on {details['ids']['differ_with_default']}"
                        f" of {details['ids']['texts']} probe texts")
        return Finding("dictionary", status, message + (f"; {hint}" if hint else ""), details)
    configured = details["configured"]
    if verdict.decisive and configured in PROBED and verdict.chosen != configured:
        return Finding("dictionary", "warn", f"config names {configured}, but the vocabulary fits "
                       f"{verdict.chosen} better ({verdict.reason})", details)
    return Finding("dictionary", "warn" if hint else "ok",
                   f"config names {configured}" + (f"; {hint}" if hint else f"; probe: {verdict.reason}"), details)


def _fingerprint(name: str) -> Finding:
    from pathlib import Path

    from jbert.tokenization.fingerprint import compute_fingerprint, fingerprint_differences, read_fingerprint

    if not Path(name).is_dir():
        return Finding("fingerprint", "ok", "not a local directory: no jbert_tokenizer.json to compare")
    recorded = read_fingerprint(name)
    if recorded is None:
        return Finding("fingerprint", "ok", "no jbert_tokenizer.json (not made by jbert): nothing to compare")
    try:
        current = compute_fingerprint(name)
    except TokenizerLoadError as err:
        return Finding("fingerprint", "fail", f"recorded analyser cannot be rebuilt here: {err}", {"recorded": recorded})
    diffs = fingerprint_differences(recorded, current)
    details = {"recorded": recorded, "current": current, "differences": diffs}
    if diffs:
        return Finding("fingerprint", "fail", "installed analyser differs from the recorded one: " + "; ".join(diffs),
                       details)
    return Finding("fingerprint", "ok", f"matches the record ({recorded.get('dictionary')} "
                   f"{recorded.get('dictionary_version')})", details)


def _parity(name: str, tok: Any) -> Finding:
    """jbert's ids against BertJapaneseTokenizer's (with the same dictionary) on the probe text."""
    from transformers import BertJapaneseTokenizer

    from jbert.tokenization.dictprobe import probe_texts

    texts = list(probe_texts())
    try:
        slow = BertJapaneseTokenizer.from_pretrained(name, mecab_kwargs=tok.mecab_kwargs)
    except (OSError, ValueError, ImportError) as err:
        return Finding("options", "warn", f"BertJapaneseTokenizer cannot load it to compare ids: {err}")
    ours, theirs = tok(texts)["input_ids"], slow(texts)["input_ids"]
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    details = {"texts": len(texts), "identical": same}
    if same != len(texts):
        return Finding("options", "fail", f"jbert's ids differ from BertJapaneseTokenizer's on {len(texts) - same} "
                       f"of {len(texts)} probe texts: an option of this config is not honoured", details)
    return Finding("options", "ok", f"ids identical to BertJapaneseTokenizer on {same}/{len(texts)} probe texts",
                   details)


def _presegmentation(name: str, tok: Any) -> Finding:
    from jbert.tokenization.jumanpp_models import needs_presegmentation

    inner = getattr(tok, "tokenizer", tok) if getattr(tok, "is_presegmented", False) else tok
    verdict = needs_presegmentation(name, inner)
    details = verdict.to_dict()
    if not verdict.needed:
        return Finding("presegmentation", "ok", f"raw text is what it was trained on ({verdict.figures()})", details)
    why = "model card" if verdict.by_name else verdict.figures()
    if verdict.jumanpp:
        return Finding("presegmentation", "ok", f"pre-trained on Juman++ words ({why}); jbert segments with "
                       f"{verdict.jumanpp}", details)
    return Finding("presegmentation", "fail", f"pre-trained on Juman++ words ({why}) and jumanpp is not on PATH: "
                   "install Juman++ (https://github.com/ku-nlp/jumanpp) or segment the data first", details)
