"""What a model can take, read from its config: the one place jbert adapts to an architecture.

- **Inputs.** ``token_type_ids`` only for a model with more than one token type (BERT, ELECTRA:
  ``type_vocab_size`` 2). RoBERTa and XLM-R have one (segment id 1 would index past the table),
  DeBERTa-v2/v3 none; DistilBERT and ModernBERT take no such input at all.
- **Length.** The longest sequence the position embeddings allow: ``max_position_embeddings``,
  less RoBERTa's offset (its positions start after the pad id, fairseq's convention), none for
  DeBERTa's relative-only attention. A longer ``max_length`` is clamped with a warning, as HF's
  ``run_glue.py`` clamps ``max_seq_length``, instead of failing mid-run with an index error.
- **Positions.** transformers' RoBERTa numbers positions from pad_token_id + 1; rinna's
  japanese-roberta models were pre-trained with positions counted from 0 (their model card asks for
  ``position_ids = arange(len)``). ``model.position_ids``: ``auto`` (default: ``from_zero`` for a
  RoBERTa with a T5Tokenizer, rinna's shape, or a ``rinna/japanese-roberta-*`` name, with a warning),
  ``from_zero`` or ``default`` (transformers' own). ``from_zero`` adds ``position_ids`` to the model's
  inputs: the collator writes ``0 .. len-1`` per row, in training, eval, predict and the ONNX graph.
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
import re
import sys
from dataclasses import dataclass
from typing import Any

from jbert.errors import ConfigError

logger = logging.getLogger(__name__)
# transformers' order (what PreTrainedTokenizerBase.model_input_names lists)
_ORDER = ("input_ids", "token_type_ids", "attention_mask")
POSITIONS = ("auto", "from_zero", "default")  # model.position_ids
FROM_ZERO = "from_zero"
CONFIG_KEY = "jbert_position_ids"  # on the model's config (config.json): what eval, predict, export read
_RINNA = re.compile(r"(^|/)rinna/japanese-roberta-")


@dataclass(frozen=True)
class ModelInputs:
    """The inputs a model takes and the longest sequence it can read (None: no fixed limit)."""

    names: tuple[str, ...]
    max_length: int | None
    model_type: str = ""
    why_limit: str = ""  # how max_length follows from the config, for messages
    positions: str = "default"  # "from_zero": position_ids 0 .. len-1 are fed (rinna's RoBERTa)

    @property
    def position_ids(self) -> bool:
        return "position_ids" in self.names

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "max_length": self.max_length, "model_type": self.model_type,
                "why_limit": self.why_limit, "positions": self.positions}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelInputs:
        return cls(tuple(data["names"]), data.get("max_length"), data.get("model_type", ""),
                   data.get("why_limit", ""), data.get("positions", "default"))


def model_inputs(config: Any) -> ModelInputs:
    """``ModelInputs`` of a ``PretrainedConfig`` (``jbert_position_ids`` on it: see ``set_positions``)."""
    types = getattr(config, "type_vocab_size", 0) or 0
    positions = FROM_ZERO if getattr(config, CONFIG_KEY, None) == FROM_ZERO else "default"
    names = tuple(n for n in _ORDER if n != "token_type_ids" or types > 1)
    names += ("position_ids",) if positions == FROM_ZERO else ()
    limit, why = _position_limit(config, positions)
    return ModelInputs(names, limit, getattr(config, "model_type", ""), why, positions)


def read_model_inputs(name_or_path: str, positions: str | None = None) -> ModelInputs:
    """``ModelInputs`` of a model directory or hub name (reads config.json only, not the weights);
    ``positions``: the ``model.position_ids`` setting (None: what the config records)."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(name_or_path)
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot load model {name_or_path!r}: {reason}") from exc
    if positions is not None:
        set_positions(config, resolve_positions(name_or_path, config, positions))
    return model_inputs(config)


def resolve_positions(name_or_path: str, config: Any, setting: str) -> str:
    """``from_zero`` or ``default`` for a ``model.position_ids`` setting (``auto`` looks at the model)."""
    if setting not in POSITIONS:
        raise ConfigError(f"model.position_ids {setting!r} is not one of {', '.join(POSITIONS)}")
    if setting != "auto":
        if setting == FROM_ZERO and not _offset_positions(config):
            raise ConfigError(f"model.position_ids from_zero: {name_or_path} is a {config.model_type} model, whose "
                              "positions already start at 0; leave model.position_ids at auto")
        return setting
    if getattr(config, CONFIG_KEY, None) == FROM_ZERO:
        return FROM_ZERO  # a directory jbert fine-tuned with positions from zero
    if getattr(config, "model_type", "") == "roberta" and _rinna_shaped(name_or_path):
        logger.warning("%s looks like rinna's japanese-roberta (a RoBERTa with a T5Tokenizer), pre-trained with "
                       "position ids counted from 0: feeding position_ids 0..len-1 as its model card asks "
                       "(model.position_ids=from_zero; set model.position_ids=default for transformers' own)",
                       name_or_path)
        return FROM_ZERO
    return "default"


def set_positions(config: Any, positions: str) -> None:
    """Record the resolved setting on the model's config: saved in config.json with the weights
    (``auto``: keep what the config records)."""
    if positions == FROM_ZERO:
        setattr(config, CONFIG_KEY, FROM_ZERO)
    elif positions == "default" and hasattr(config, CONFIG_KEY):
        delattr(config, CONFIG_KEY)


def position_ids(input_ids: Any) -> Any:
    """``0 .. seq-1`` in every row of a batch (``[batch, seq]`` or ``[batch, choices, seq]``; numpy or torch,
    only its shape is read), as a numpy array, the way rinna's model card builds them; padding (on the right)
    gets the positions after the text, masked anyway."""
    import numpy as np

    # a copy, not the broadcast view: torch.from_numpy wants a writable array (a view of one row is read-only)
    return np.broadcast_to(np.arange(input_ids.shape[-1], dtype=np.int64), tuple(input_ids.shape)).copy()


def _rinna_shaped(name_or_path: str) -> bool:
    if _RINNA.search(name_or_path):
        return True
    from jbert.tokenization.rinna import is_rinna_roberta

    return is_rinna_roberta(name_or_path)


def align_tokenizer(tokenizer: Any, inputs: ModelInputs) -> Any:
    """Make ``tokenizer`` return exactly the model's inputs, now and once saved; returns it
    (``position_ids`` are not the tokenizer's: the collator writes them)."""
    names = [n for n in inputs.names if n != "position_ids"]
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


def _position_limit(config: Any, numbering: str = "default") -> tuple[int | None, str]:
    if getattr(config, "relative_attention", False) and not getattr(config, "position_biased_input", True):
        return None, "relative positions only"  # DeBERTa-v2/v3: any length runs
    positions = getattr(config, "max_position_embeddings", None)
    if not positions:
        return None, ""
    if numbering != FROM_ZERO and _offset_positions(config):
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
