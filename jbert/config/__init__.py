"""Configuration: what a run is asked to do, typed, before anything runs.

``run`` (the sections of a fine-tuning run and how YAML recipes, flags and ``--set a.b=c`` overrides
fill them), ``sections`` (the dataclass machinery every config shares), ``tasks`` (task specs: a task is
data, ``tasks/*.yaml``), ``encoding`` (the one encoding/decoding configuration of the heads),
``precision`` (one precision rule for training and inference), ``resources`` (where the bundled specs and
recipes live).

May import: ``jbert.errors``, ``jbert.registry`` and ``jbert.data`` only: every other package reads its
settings from here, so nothing here may depend on them.

>>> from jbert.config import build_config
>>> cfg = build_config("jsts", {"model.name_or_path": "cl-tohoku/bert-base-japanese-v3"})  # doctest: +SKIP
"""

from jbert.config.run import (
    DataConfig,
    JbertConfig,
    ModelConfig,
    TaskConfig,
    TrainingConfig,
    build_config,
    recipe_path,
    validate_training,
    with_recipe,
)

__all__ = [
    "DataConfig",
    "JbertConfig",
    "ModelConfig",
    "TaskConfig",
    "TrainingConfig",
    "build_config",
    "recipe_path",
    "validate_training",
    "with_recipe",
]
