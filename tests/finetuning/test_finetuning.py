"""The fine-tuning flow called from Python (``jbert.api.finetune``), not through the CLI."""

from pathlib import Path

import yaml

from jbert import api
from jbert.config.run import build_config
from jbert.models.directory import CONFIG_FILE

JGLUE = Path(__file__).parent.parent / "data" / "jglue"


def test_api_applies_the_task_recipe(tiny_model_dir, tmp_path):
    """JSQuAD's bundled recipe (max_length 384, weight decay 0) reaches a Python caller; a key the
    caller gave (the learning rate) still wins over the recipe."""
    cfg = build_config(flags={"task.name": "jsquad", "model.name_or_path": str(tiny_model_dir),
                              "training.output_dir": str(tmp_path / "out"), "data.train": str(JGLUE / "jsquad-train.json"),
                              "training.max_steps": 1, "training.learning_rate": 1e-4,
                              "training.progress_bar": False})
    assert cfg.encoding.max_length == 128  # nothing applied the recipe yet
    api.finetune(cfg)
    saved = yaml.safe_load((tmp_path / "out" / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["encoding"]["max_length"] == 384 and saved["training"]["weight_decay"] == 0.0
    assert saved["training"]["learning_rate"] == 1e-4
