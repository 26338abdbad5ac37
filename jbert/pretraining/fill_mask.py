"""Top-k fillers for each ``[MASK]`` of a text: the first check of any masked-LM model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jbert.errors import ConfigError


@dataclass(frozen=True)
class Filler:
    token: str
    score: float  # probability
    sequence: str  # the text with this filler in place


def fill_mask(model_dir: str | Path, text: str, top_k: int = 5) -> list[list[Filler]]:
    """One list of ``top_k`` fillers per mask token in ``text``, best first (transformers' fill-mask
    pipeline on jbert's fast tokenizer)."""
    from transformers import AutoModelForMaskedLM, pipeline

    from jbert.modeling import quiet_weight_saving
    from jbert.tokenization import load_tokenizer

    if not Path(model_dir).is_dir():
        raise ConfigError(f"model directory not found: {model_dir}")
    tokenizer = load_tokenizer(model_dir)
    if tokenizer.mask_token is None or tokenizer.mask_token not in text:
        raise ConfigError(f"the text has no {tokenizer.mask_token or '[MASK]'} to fill, e.g. "
                          f"\"東北大学で{tokenizer.mask_token or '[MASK]'}の研究をしています。\"")
    try:
        with quiet_weight_saving():
            model = AutoModelForMaskedLM.from_pretrained(str(model_dir))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load a masked-LM model from {model_dir}: {str(exc).splitlines()[0]}") from exc
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer, device="cpu", top_k=top_k)
    results = fill(text)
    per_mask = results if results and isinstance(results[0], list) else [results]
    # the pipeline's "sequence" is a decode of the ids: spaces between Japanese words, NFKC text;
    # the user's own text with the filler in place reads better
    return [[Filler(r["token_str"], float(r["score"]), _put(text, tokenizer.mask_token, n, r["token_str"]))
             for r in mask] for n, mask in enumerate(per_mask)]


def _put(text: str, mask: str, n: int, filler: str) -> str:
    """``text`` with its ``n``-th mask replaced by ``filler``."""
    parts = text.split(mask)
    return "".join(p + (filler.removeprefix("##") if i == n else mask) for i, p in enumerate(parts[:-1])) + parts[-1]
