"""The MeCab dictionary for a tokenizer config that does not name one: chosen by probe, loudly, and recorded.

`dictionary_override(name, config, overrides)` is what `load_tokenizer` calls: for a MeCab config without a
`mecab_dic` it returns ``{"mecab_kwargs": {...}}`` naming the dictionary the vocabulary was built with (see
`jbert.tokenization.dictprobe`), warns with the figures when that is not transformers' default, and raises
TokenizerLoadError naming the pip package when the model's dictionary is known and not installed. The
explicit `mecab_kwargs` then travel with the tokenizer, so every directory jbert saves names its dictionary
and plain transformers segments the fine-tuned model as jbert did.
"""

from __future__ import annotations

import logging
import re
import warnings
from functools import lru_cache
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.dictprobe import (
    PROBED,
    DictionaryVerdict,
    installed,
    mecab_kwargs_for,
    probe_dictionaries,
)

logger = logging.getLogger(__name__)

# What MecabTokenizer uses when mecab_kwargs say nothing (transformers >= 4.45; ipadic before).
TRANSFORMERS_DEFAULT = "unidic_lite"
# Hub models whose dictionary is documented (model cards) but absent from their tokenizer_config.json.
KNOWN_DICTIONARIES = {
    f"{org}/bert-base-japanese{suffix}": "ipadic"
    for org in ("cl-tohoku", "tohoku-nlp")
    for suffix in ("", "-whole-word-masking", "-char", "-char-whole-word-masking")
}
# A dictionary that fits keeps ~99% of the vocabulary's words whole; below this, the right one may be missing.
GOOD_FIT = 0.97


class DictionaryChoiceWarning(UserWarning):
    """jbert chose a MeCab dictionary other than transformers' default for a config that names none."""


def is_silent(config: dict[str, Any]) -> bool:
    """A MeCab config that leaves the dictionary to transformers' default (no mecab_dic, no ``-d`` option)."""
    kwargs = config.get("mecab_kwargs") or {}
    option = str(kwargs.get("mecab_option") or "")
    return (config.get("word_tokenizer_type") == "mecab" and "mecab_dic" not in kwargs
            and not re.search(r"(^|\s)(-d|--dicdir)", option))


def hub_name(name_or_path: str) -> str:
    """``owner/name`` for a hub id or a hub-cache path (``.../models--owner--name/snapshots/...``)."""
    match = re.search(r"models--([^/\\]+?)--([^/\\]+)", name_or_path)
    return f"{match.group(1)}/{match.group(2)}" if match else name_or_path.rstrip("/")


def _vocab(name: str) -> dict[str, int]:
    from transformers.models.bert_japanese.tokenization_bert_japanese import load_vocab
    from transformers.utils import cached_file

    try:
        return dict(load_vocab(cached_file(name, "vocab.txt")))
    except (OSError, ValueError) as err:
        raise TokenizerLoadError(f"{name}: cannot read vocab.txt to check the MeCab dictionary ({err})") from err


@lru_cache(maxsize=16)
def _verdict(name: str, subword: str, normalize: bool, lower: bool, unk: str) -> DictionaryVerdict:
    return probe_dictionaries(_vocab(name), subword=subword, normalize=normalize, lower=lower, unk=unk)


def dictionary_verdict(name: str, config: dict[str, Any]) -> DictionaryVerdict:
    """The probe's verdict for a BertJapaneseTokenizer directory or hub id (cached per process)."""
    kwargs = config.get("mecab_kwargs") or {}
    return _verdict(name, str(config.get("subword_tokenizer_type", "wordpiece")),
                    bool(kwargs.get("normalize_text", True)), bool(config.get("do_lower_case", False)),
                    str(config.get("unk_token") or "[UNK]"))


def choose_dictionary(name: str, config: dict[str, Any]) -> tuple[str, str, DictionaryVerdict]:
    """(dictionary, why, verdict) for a silent config: a known model's documented one, else the probe's
    when it is decisive, else transformers' default."""
    verdict = dictionary_verdict(name, config)
    known = KNOWN_DICTIONARIES.get(hub_name(name))
    if known:
        return known, f"{hub_name(name)} was pre-trained with {known} (model card)", verdict
    if verdict.chosen and verdict.decisive:
        return verdict.chosen, verdict.reason, verdict
    # An inconclusive probe does not overrule what the config means today.
    return TRANSFORMERS_DEFAULT, f"{verdict.reason}; keeping transformers' default", verdict


def poor_fit_hint(verdict: DictionaryVerdict) -> str | None:
    """An install hint when no installed dictionary fits the vocabulary well and some are not installed."""
    best = next((s for s in verdict.scores if s.installed), None)
    missing = [s.package for s in verdict.scores if not s.installed]
    if best is None or best.kept is None or best.kept >= GOOD_FIT or not missing:
        return None
    return (f"no installed dictionary fits well ({best.dictionary} keeps {best.kept:.1%} of the vocabulary's "
            f"words whole): the model may use one that is not installed (pip install {' '.join(missing)})")


def dictionary_override(name: str, config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"mecab_kwargs": ...}`` naming the dictionary for a silent MeCab config; ``{}`` when it names one."""
    if "mecab_kwargs" in overrides or not is_silent(config):
        return {}
    chosen, why, verdict = choose_dictionary(name, config)
    if not installed(chosen):
        raise TokenizerLoadError(
            f"{name} was pre-trained with the MeCab dictionary {chosen!r}, which is not installed "
            f"(pip install {PROBED[chosen][1]}); transformers would silently segment it with {TRANSFORMERS_DEFAULT}"
        )
    hint = poor_fit_hint(verdict)
    if chosen != TRANSFORMERS_DEFAULT or hint:
        message = (f"DICTIONARY: {name}'s tokenizer_config.json names no MeCab dictionary; transformers would use "
                   f"{TRANSFORMERS_DEFAULT}, jbert uses {chosen} ({why}). Figures: {verdict.figures()}. "
                   f"The choice is saved as mecab_kwargs with every model jbert writes.")
        message += f" {hint}." if hint else ""
        logger.warning(message)
        warnings.warn(message, DictionaryChoiceWarning, stacklevel=3)
    else:
        logger.info("%s names no MeCab dictionary; probe agrees with %s (%s)", name, chosen, verdict.figures())
    return {"mecab_kwargs": mecab_kwargs_for(chosen, config.get("mecab_kwargs"))}
