"""Top-k fillers for each ``[MASK]`` of a text: the first check of any masked-LM model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError
from jbert.writers.rundir import check_not_unfinished


@dataclass(frozen=True)
class Filler:
    token: str
    score: float  # probability
    sequence: str  # the text with this filler in place


def fill_mask(model_dir: str | Path, text: str, top_k: int = 5) -> list[list[Filler]]:
    """One list of ``top_k`` fillers per mask token in ``text``, best first: the softmax over the
    vocabulary at each mask, as transformers' fill-mask pipeline scores it, but with every input the
    model takes. The pipeline cannot pass ``position_ids``, so for a model pre-trained with positions
    counted from 0 (rinna's RoBERTa, ``jbert.models.inputs``) it would score with the wrong positions."""
    import torch

    from jbert.models.inputs import align_tokenizer, position_ids, read_model_inputs
    from jbert.tokenization import load_tokenizer

    if not Path(model_dir).is_dir():
        raise ConfigError(f"model directory not found: {model_dir}")
    check_not_unfinished(model_dir)
    inputs = read_model_inputs(str(model_dir), "auto")  # auto: what config.json records, or rinna's shape
    tokenizer = align_tokenizer(load_tokenizer(model_dir), inputs)
    mask = tokenizer.mask_token
    if mask is None or mask not in text:
        raise ConfigError(f"the text has no {mask or '[MASK]'} to fill, e.g. \"東北大学で{mask or '[MASK]'}の研究をしています。\"")
    model = _masked_lm(model_dir)
    batch = tokenizer(text, return_tensors="pt", truncation=True, max_length=inputs.max_length or 512)
    if inputs.position_ids:
        batch["position_ids"] = torch.from_numpy(position_ids(batch["input_ids"]))
    at = torch.nonzero(batch["input_ids"][0] == tokenizer.mask_token_id).squeeze(-1)  # [masks]
    if len(at) == 0:
        raise ConfigError(f"every {mask} of the text lies past the {inputs.max_length} tokens the model reads")
    with torch.inference_mode():
        probs = model(**batch).logits[0, at].float().softmax(-1)  # [masks, vocab]
    scores, ids = probs.topk(min(top_k, probs.shape[-1]))
    # the pipeline's "sequence" is a decode of the ids: spaces between Japanese words, NFKC text;
    # the user's own text with the filler in place reads better
    fillers = [[(tokenizer.decode([i]), s) for s, i in zip(row_scores, row_ids, strict=True)]
               for row_scores, row_ids in zip(scores.tolist(), ids.tolist(), strict=True)]
    return [[Filler(token, s, _put(text, mask, n, token)) for token, s in row] for n, row in enumerate(fillers)]


def _masked_lm(model_dir: str | Path) -> Any:
    from transformers import AutoModelForMaskedLM

    from jbert.models.initialise import quiet_weight_saving

    try:
        with quiet_weight_saving():
            return AutoModelForMaskedLM.from_pretrained(str(model_dir)).eval()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load a masked-LM model from {model_dir}: {str(exc).splitlines()[0]}") from exc


def _put(text: str, mask: str, n: int, filler: str) -> str:
    """``text`` with its ``n``-th mask replaced by ``filler``."""
    parts = text.split(mask)
    return "".join(p + (filler.removeprefix("##") if i == n else mask) for i, p in enumerate(parts[:-1])) + parts[-1]
