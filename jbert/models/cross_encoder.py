"""A cross-encoder directory as sentence-transformers' ``CrossEncoder(DIR)`` reads it: which directories
are one, and the activation its ``predict`` puts on the logit.

    DIR/config.json                          a ``*ForSequenceClassification`` with one label; before
                                             sentence-transformers 4 it may name the activation as
                                             ``sbert_ce_default_activation_function``, from 4 as
                                             ``sentence_transformers.activation_fn``
    DIR/modules.json                         sentence-transformers 6: one Transformer module ...
    DIR/config_sentence_transformers.json    ... and ``model_type`` CrossEncoder, ``activation_fn``

No activation named: sigmoid (CrossEncoder's default for one label). Activations are dotted class
paths; sentence-transformers instantiates any ``torch.*`` one, jbert runs the two reranking models use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError

ACTIVATIONS = {"sigmoid": "torch.nn.modules.activation.Sigmoid", "identity": "torch.nn.modules.linear.Identity"}
_ST_CONFIG, _MODULES = "config_sentence_transformers.json", "modules.json"


def is_cross_encoder_dir(path: str | Path) -> bool:
    """A local directory ``CrossEncoder`` loads as a one-score reranker: written by sentence-transformers 6
    as one, or (no modules.json) a sequence classifier with one label."""
    path = Path(path)
    if (path / _MODULES).is_file():
        return _json(path / _ST_CONFIG).get("model_type") == "CrossEncoder"
    config = _json(path / "config.json")
    architectures = config.get("architectures") or [""]
    labels = config.get("num_labels", len(config.get("id2label") or {}) or 2)
    return str(architectures[0]).endswith("ForSequenceClassification") and labels == 1


def read_activation(path: str | Path) -> str:
    """``sigmoid`` or ``identity``: what ``CrossEncoder(path).predict`` applies to the logit, found where
    sentence-transformers looks for it, in its order."""
    path = Path(path)
    config = _json(path / "config.json")
    found = [(path / _ST_CONFIG, _json(path / _ST_CONFIG).get("activation_fn")),
             (path / "config.json", (config.get("sentence_transformers") or {}).get("activation_fn")),
             (path / "config.json", config.get("sbert_ce_default_activation_function"))]
    file, name = next(((f, n) for f, n in found if n), (None, None))
    if name is None or not str(name).startswith("torch."):  # CrossEncoder ignores an untrusted path too
        return "sigmoid"
    ours = {v: k for k, v in ACTIVATIONS.items()}.get(str(name))
    if ours is None:
        raise ConfigError(f"{file}: activation {name!r} is not supported; jbert scores reranker logits with "
                          f"{' or '.join(ACTIVATIONS.values())}")
    return ours


def _json(file: Path) -> dict[str, Any]:
    """The file's object; {} when it is missing or not an object (the loader reports a broken config)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
