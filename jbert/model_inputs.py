"""What a model can take, read from its config: the one place jbert adapts to an architecture.

- **Inputs.** ``token_type_ids`` only for a model with more than one token type (BERT, ELECTRA:
  ``type_vocab_size`` 2). RoBERTa and XLM-R have one (segment id 1 would index past the table),
  DeBERTa-v2/v3 none; DistilBERT and ModernBERT take no such input at all.
- **Length.** The longest sequence the position embeddings allow: ``max_position_embeddings``,
  less RoBERTa's offset (its positions start after the pad id, fairseq's convention), none for
  DeBERTa's relative-only attention. A longer ``max_length`` is clamped with a warning, as HF's
  ``run_glue.py`` clamps ``max_seq_length``, instead of failing mid-run with an index error.
- **Attention.** No explicit ``attn_implementation`` unless the user asks for one: transformers
  then uses SDPA where the architecture has it and eager attention elsewhere (DeBERTa-v2).

The tokenizer is aligned once (``align_tokenizer``): it then returns exactly the model's inputs in
every stage (fine-tune, eval, predict), and the saved ``tokenizer_config.json`` records
``model_input_names``, so a plain ``transformers`` client passes the same inputs.

    >>> inputs = read_model_inputs("runs/jsts")          # doctest: +SKIP
    >>> inputs.names, inputs.max_length                  # doctest: +SKIP
    (('input_ids', 'token_type_ids', 'attention_mask'), 512)
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

from jbert.errors import ConfigError

logger = logging.getLogger(__name__)
# transformers' order (what PreTrainedTokenizerBase.model_input_names lists)
_ORDER = ("input_ids", "token_type_ids", "attention_mask")


@dataclass(frozen=True)
class ModelInputs:
    """The inputs a model takes and the longest sequence it can read (None: no fixed limit)."""

    names: tuple[str, ...]
    max_length: int | None
    model_type: str = ""
    why_limit: str = ""  # how max_length follows from the config, for messages

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "max_length": self.max_length, "model_type": self.model_type,
                "why_limit": self.why_limit}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelInputs:
        return cls(tuple(data["names"]), data.get("max_length"), data.get("model_type", ""), data.get("why_limit", ""))


def model_inputs(config: Any) -> ModelInputs:
    """``ModelInputs`` of a ``PretrainedConfig``."""
    types = getattr(config, "type_vocab_size", 0) or 0
    names = tuple(n for n in _ORDER if n != "token_type_ids" or types > 1)
    limit, why = _position_limit(config)
    return ModelInputs(names, limit, getattr(config, "model_type", ""), why)


def read_model_inputs(name_or_path: str) -> ModelInputs:
    """``ModelInputs`` of a model directory or hub name (reads config.json only, not the weights)."""
    from transformers import AutoConfig

    try:
        return model_inputs(AutoConfig.from_pretrained(name_or_path))
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot load model {name_or_path!r}: {reason}") from exc


def align_tokenizer(tokenizer: Any, inputs: ModelInputs) -> Any:
    """Make ``tokenizer`` return exactly the model's inputs, now and once saved; returns it."""
    names = list(inputs.names)
    tokenizer.model_input_names = names
    tokenizer.init_kwargs["model_input_names"] = names  # save_pretrained writes init_kwargs
    return tokenizer


def clamp_max_length(max_length: int, inputs: ModelInputs, setting: str = "max_length") -> int:
    """``max_length``, or the model's limit with a warning when it asks for more."""
    if inputs.max_length is None or max_length <= inputs.max_length:
        return max_length
    logger.warning("%s %d is longer than this %s model can read (%s); using %d", setting, max_length,
                   inputs.model_type or "", inputs.why_limit, inputs.max_length)
    return inputs.max_length


def attention_kwargs(requested: str | None) -> dict[str, str]:
    """``from_pretrained`` keyword arguments for the configured attention implementation.

    ``None`` / ``"auto"`` pass nothing: transformers picks SDPA when the architecture supports it
    and falls back to eager otherwise. A named one is passed as is (transformers refuses it, with
    its reason, for an architecture that lacks it)."""
    return {} if requested in (None, "", "auto") else {"attn_implementation": requested}


def _position_limit(config: Any) -> tuple[int | None, str]:
    if getattr(config, "relative_attention", False) and not getattr(config, "position_biased_input", True):
        return None, "relative positions only"  # DeBERTa-v2/v3: any length runs
    positions = getattr(config, "max_position_embeddings", None)
    if not positions:
        return None, ""
    if _offset_positions(config):
        offset = (getattr(config, "pad_token_id", None) or 0) + 1
        return positions - offset, f"max_position_embeddings {positions} less the padding offset {offset}"
    return positions, f"max_position_embeddings {positions}"


def _offset_positions(config: Any) -> bool:
    """True for RoBERTa-style embeddings (RoBERTa, XLM-R, CamemBERT ...): they number positions from
    pad_token_id + 1, which transformers implements as ``*Embeddings.create_position_ids_from_input_ids``.
    Looked up on the architecture's own module, so every RoBERTa variant is covered without a list."""
    from transformers import MODEL_MAPPING

    try:
        model_class = MODEL_MAPPING[type(config)]
    except (KeyError, ValueError):
        return False
    module = sys.modules.get(getattr(model_class, "__module__", ""))
    if module is None:
        return False
    return any(name.endswith("Embeddings") and hasattr(obj, "create_position_ids_from_input_ids")
               for name, obj in vars(module).items())
