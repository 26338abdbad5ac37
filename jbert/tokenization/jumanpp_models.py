"""Models pre-trained on Juman++-segmented text: recognise them, and pre-segment their input.

nlp-waseda/roberta-base-japanese and ku-nlp/deberta-v2-base-japanese were pre-trained on text that Juman++
had split into words separated by spaces; their model cards tell users to do the same before tokenizing.
Their tokenizers (SentencePiece) load and run on raw text without a word of complaint, and the model sees
pieces it was never trained on. `needs_presegmentation(name, tokenizer)` recognises them by name and by a
vocabulary probe:

- ``marked``: share of the vocabulary's Japanese pieces that carry the ``▁`` word-start marker. Pre-training
  on spaced text puts a ``▁`` before every word, so most word-initial pieces carry it (over a third), while
  a model trained on raw Japanese sees ``▁`` only at the start of a line or after a rare space (a few per cent).
- ``marked_starts``: share of the words of pre-segmented probe text (MeCab + jumandic, the dictionary behind
  Juman++, stands in for Juman++ here) whose first piece is ``▁`` joined to the word's first characters
  rather than a lone ``▁``: high when the model learnt words after spaces (reported, not decisive).

`load_tokenizer` warns loudly for such a model and, when ``jumanpp`` is on PATH, wraps the tokenizer in
`PresegmentedTokenizer` (`jbert.tokenization.segmenters.presegment`), which segments every input first with the
registered Juman++ word segmenter (``word_tokenizer_type: jumanpp``, `jbert.tokenization.segmenters.jumanpp`, through
rhoknp). That segmenter starts at load: without rhoknp, or with a ``jumanpp`` that does not run, loading stops
with a one-line `TokenizerLoadError` that says how to install them.
"""

from __future__ import annotations

import logging
import re
import shutil
import warnings
from dataclasses import asdict, dataclass
from typing import Any

logger = logging.getLogger(__name__)

MARKER = "\u2581"  # SentencePiece's word-start mark
# Hub models whose model cards ask for Juman++ pre-segmentation (the "-with-auto-jumanpp" variants and
# ku-nlp's DeBERTa-v3 / character models do it themselves or do not need it).
KNOWN_PATTERNS = (
    r"^nlp-waseda/roberta-(base|large)-japanese(-seq512)?$",
    r"^ku-nlp/deberta-v2-(tiny|base|large)-japanese$",
    r"^ku-nlp/roberta-(base|large)-japanese-char-wwm$",  # character models, still trained on Juman++ words
)
MARKED_SHARE = 0.3  # above: pre-trained on space-segmented text
_JAPANESE = re.compile(r"[\u3041-\u30ff\u3400-\u9fff]")


class PresegmentationWarning(UserWarning):
    """A model pre-trained on Juman++-segmented text gets raw text."""


@dataclass(frozen=True)
class PresegmentVerdict:
    """Whether a tokenizer expects Juman++-segmented input, and the evidence."""

    needed: bool
    by_name: bool
    marked: float | None  # share of Japanese vocabulary pieces with the word-start mark
    marked_starts: float | None = None
    jumanpp: str | None = None  # path of the jumanpp binary, when on PATH

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def figures(self) -> str:
        if self.marked is None:
            return "no SentencePiece vocabulary to probe"
        text = f"{self.marked:.1%} of Japanese vocabulary pieces carry the word-start mark {MARKER}"
        if self.marked_starts is not None:
            text += f"; {self.marked_starts:.1%} of pre-segmented words start with a {MARKER}-marked piece"
        return text


def known_name(name_or_path: str) -> bool:
    from jbert.tokenization.dictchoice import hub_name

    return any(re.match(p, hub_name(name_or_path)) for p in KNOWN_PATTERNS)


def marked_share(tokenizer: Any) -> float | None:
    """Share of Japanese pieces (marker stripped, two characters or more) that carry the word-start mark."""
    try:
        vocab = tokenizer.get_vocab()
    except (AttributeError, NotImplementedError):
        return None
    pieces = [p for p in vocab if _JAPANESE.search(p) and len(p.lstrip(MARKER)) > 1]
    if not pieces or not any(MARKER in p for p in vocab):
        return None
    return sum(p.startswith(MARKER) for p in pieces) / len(pieces)


def _marked_starts(tokenizer: Any) -> float | None:
    """Share of pre-segmented probe words whose first piece is the mark joined to text (None without jumandic)."""
    from jbert.tokenization.dictprobe import installed, mecab_kwargs_for, probe_texts
    from jbert.tokenization.segmenters.mecab import make_tagger, segment_joined

    if not installed("jumandic"):
        return None
    tagger = make_tagger(mecab_kwargs_for("jumandic"))
    texts = [segment_joined(tagger, t) for t in probe_texts()[:200]]
    pieces = tokenizer(texts, add_special_tokens=False)["input_ids"]
    words = sum(len(t.split()) for t in texts)
    lone = tokenizer.convert_tokens_to_ids(MARKER)
    return 1 - sum(i == lone for ids in pieces for i in ids) / (words or 1)


def needs_presegmentation(name_or_path: str, tokenizer: Any) -> PresegmentVerdict:
    """Whether `tokenizer` (of model `name_or_path`) was pre-trained on Juman++-segmented text."""
    by_name = known_name(str(name_or_path))
    marked = marked_share(tokenizer)
    needed = by_name or (marked is not None and marked >= MARKED_SHARE)
    starts = _marked_starts(tokenizer) if needed and marked is not None else None
    return PresegmentVerdict(needed, by_name, None if marked is None else round(marked, 4),
                             None if starts is None else round(starts, 4), jumanpp=shutil.which("jumanpp"))


def apply_presegmentation(name_or_path: str, tokenizer: Any) -> Any:
    """`tokenizer`, wrapped to pre-segment with Juman++ when the model needs it and jumanpp is on PATH;
    otherwise `tokenizer` itself, with a loud warning when the model needs it."""
    if getattr(tokenizer, "is_presegmented", False) or not getattr(tokenizer, "is_fast", False):
        return tokenizer
    verdict = needs_presegmentation(name_or_path, tokenizer)
    if not verdict.needed:
        return tokenizer
    if verdict.jumanpp:
        from jbert.tokenization.segmenters.presegment import PresegmentedTokenizer

        wrapped = PresegmentedTokenizer(tokenizer)  # starts Juman++ (a one-line error if it cannot)
        logger.warning("%s was pre-trained on Juman++-segmented text: segmenting every input with %s (%s)",
                       name_or_path, verdict.jumanpp, verdict.figures())
        return wrapped
    message = (f"PRE-SEGMENTATION: {name_or_path} was pre-trained on text segmented into words by Juman++ "
               f"({'model card' if verdict.by_name else verdict.figures()}), and will get raw text: install "
               "Juman++ (https://github.com/ku-nlp/jumanpp) so that `jumanpp` is on PATH and jbert segments "
               "automatically, or segment your data with Juman++ (words separated by spaces) first")
    logger.warning(message)
    warnings.warn(message, PresegmentationWarning, stacklevel=3)
    return tokenizer

