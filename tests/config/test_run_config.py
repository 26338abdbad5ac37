from pathlib import Path

import pytest

from jbert.config.run import JbertConfig, build_config, parse_override, recipe_path
from jbert.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_recipe():
    cfg = build_config()
    assert cfg.training.epochs == 3.0 and cfg.training.precision == "auto"
    assert cfg.model.attn_implementation is None  # transformers picks per architecture


def test_recipe_then_flags_then_overrides(tmp_path):
    recipe = write(tmp_path, "training:\n  epochs: 4\n  learning_rate: 5e-5\n  seed: 1\nencoding:\n  max_length: 64\n")
    cfg = build_config(
        recipe,
        flags={"training.learning_rate": 3e-5, "training.seed": 2, "training.epochs": None},
        overrides=["training.seed=3", "encoding.max_length=256"],
    )
    assert cfg.training.epochs == 4.0  # recipe (the flag was not given)
    assert cfg.training.learning_rate == 3e-5  # flag beats recipe
    assert cfg.training.seed == 3  # --set beats flag
    assert cfg.encoding.max_length == 256


def test_yaml_exponent_without_dot_is_a_float(tmp_path):
    # PyYAML reads "5e-5" as a string; the typed config still gets a float.
    cfg = build_config(write(tmp_path, "training:\n  learning_rate: 5e-5\n"))
    assert cfg.training.learning_rate == pytest.approx(5e-5)


def test_set_values_are_yaml_scalars():
    cfg = build_config(overrides=["training.group_by_length=true", "training.eval_batch_size=null",
                                  "model.name_or_path=cl-tohoku/bert", "task.columns.text=review"])
    assert cfg.training.group_by_length is True
    assert cfg.training.eval_batch_size is None
    assert cfg.model.name_or_path == "cl-tohoku/bert"
    assert cfg.task.columns == {"text": "review"}


def test_unknown_key_lists_valid_keys_of_the_section():
    with pytest.raises(ConfigError) as err:
        build_config(overrides=["training.learning_rat=1e-4"])
    message = str(err.value)
    assert "unknown key 'training.learning_rat'" in message
    assert "learning_rate" in message and "warmup_ratio" in message
    assert "\n" not in message


def test_unknown_section_lists_sections(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section 'optimizer'; valid: data, decoding, encoding, model, task, training"):
        build_config(write(tmp_path, "optimizer:\n  lr: 1\n"))


def test_unknown_key_in_recipe_names_the_file(tmp_path):
    recipe = write(tmp_path, "training:\n  lr: 1e-4\n")
    with pytest.raises(ConfigError, match=r"recipe\.yaml: unknown key 'training\.lr'; valid keys of 'training'"):
        build_config(recipe)


def test_wrong_type_names_the_key():
    with pytest.raises(ConfigError, match=r"training.batch_size must be an integer, got 'big'"):
        build_config(overrides=["training.batch_size=big"])
    with pytest.raises(ConfigError, match=r"training.resume must be true or false"):
        build_config(overrides=["training.resume=maybe"])


def test_bad_values_are_refused():
    with pytest.raises(ConfigError, match="training.precision must be one of auto, fp32, bf16, fp16"):
        build_config(overrides=["training.precision=fp8"])
    with pytest.raises(ConfigError, match="training.batch_size must be at least 1"):
        build_config(overrides=["training.batch_size=0"])
    with pytest.raises(ConfigError, match=r"task.columns: unknown role\(s\) \['txt'\]"):
        build_config(overrides=["task.columns.txt=a"])


def test_override_syntax_error():
    with pytest.raises(ConfigError, match="--set expects key=value"):
        parse_override("training.seed")
    assert parse_override("data.train=a=b.jsonl") == ("data.train", "a=b.jsonl")


def test_missing_and_malformed_recipe(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        build_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        build_config(write(tmp_path, "training: [\n"))
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        build_config(write(tmp_path, "- a\n- b\n"))


def test_yaml_round_trip(tmp_path):
    cfg = build_config(overrides=["training.seed=5", "task.columns.label=y", "data.train=t.jsonl"])
    path = tmp_path / "saved.yaml"
    path.write_text(cfg.to_yaml(), encoding="utf-8")
    assert JbertConfig.from_yaml(path) == cfg


@pytest.mark.parametrize(
    ("task", "max_length", "epochs", "batch_size"),
    [("marc_ja", 512, 4, 32), ("jsts", 128, 4, 32), ("jnli", 128, 4, 32), ("jsquad", 384, 3, 32),
     ("jcommonsenseqa", 64, 4, 64), ("jcola", 128, 4, 32)],
)
def test_jglue_recipes(task, max_length, epochs, batch_size):
    cfg = JbertConfig.from_yaml(recipe_path(f"jglue/{task}"))
    assert (cfg.encoding.max_length, cfg.training.epochs, cfg.training.batch_size) == (max_length, epochs, batch_size)
    assert cfg.training.learning_rate == 5e-5 and cfg.training.warmup_ratio == 0.1


def test_every_bundled_spec_recipe_exists():
    from jbert.config.tasks import bundled_specs, load_spec

    for name in bundled_specs():
        spec = load_spec(name)
        if spec.recipe:
            assert recipe_path(spec.recipe).is_file()


def test_unknown_recipe_lists_bundled_ones():
    with pytest.raises(ConfigError, match=r"unknown recipe 'jglue/nope'; available: .*jglue/jsts"):
        recipe_path("jglue/nope")


# --- recipes laid under what the caller set (jbert.config.run.with_recipe) -------------------------


def test_recipe_goes_under_the_given_keys(tmp_path):
    from jbert.config.run import with_recipe

    recipe = write(tmp_path, "encoding:\n  max_length: 384\ntraining:\n  epochs: 4\n  seed: 1\n")
    cfg = build_config(flags={"training.seed": 42})  # 42 is the default, but it was given
    cfg.training.learning_rate = 1e-4  # plain Python assignment counts as given too
    layered = with_recipe(cfg, recipe)
    assert layered.encoding.max_length == 384 and layered.training.epochs == 4.0  # from the recipe
    assert layered.training.seed == 42 and layered.training.learning_rate == 1e-4  # the caller's
    assert with_recipe(layered, recipe).to_dict() == layered.to_dict()  # applying twice changes nothing
    assert with_recipe(cfg, None) is cfg


def test_bundled_recipe_by_name_and_unknown_name():
    from jbert.config.run import with_recipe

    assert with_recipe(JbertConfig(), "jglue/jsquad").encoding.max_length == 384
    with pytest.raises(ConfigError, match="unknown recipe 'jglue/nope'; available: .*jglue/jsts"):
        with_recipe(JbertConfig(), "jglue/nope")
