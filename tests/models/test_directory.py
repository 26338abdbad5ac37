import json
import logging

import pytest
import torch
import yaml
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from jbert.config.run import build_config
from jbert.config.tasks import load_spec
from jbert.errors import ConfigError
from jbert.heads import get_head
from jbert.inference.loading import load_finetuned
from jbert.models.directory import CONFIG_FILE, METRICS_FILE, save_finetuned
from jbert.tokenization import load_tokenizer

LABELS = ["entailment", "contradiction", "neutral"]


@pytest.fixture
def saved(tiny_model_dir, tmp_path):
    spec = load_spec("jnli")
    model = get_head(spec.head)(spec, LABELS).model(str(tiny_model_dir))
    config = build_config(overrides=["task.name=jnli", f"model.name_or_path={tiny_model_dir}", "encoding.max_length=64"])
    out = tmp_path / "out"
    save_finetuned(out, model=model, tokenizer=load_tokenizer(tiny_model_dir), config=config, spec=spec,
                   labels=LABELS, metrics={"final": {"accuracy": 0.5}}, fingerprint=None)
    return out, model


def test_round_trip(saved):
    out, model = saved
    ft = load_finetuned(out, device="cpu")
    assert ft.spec == load_spec("jnli") and ft.labels == LABELS
    assert ft.config.encoding.max_length == 64 and ft.options.max_length == 64 and ft.options.train is False
    assert not ft.model.training and ft.head.labels == LABELS
    ids = torch.tensor([ft.tokenizer("犬が走る。", "動物が動く。")["input_ids"]])
    model.eval()
    with torch.no_grad():
        assert torch.allclose(ft.model(input_ids=ids).logits, model(input_ids=ids).logits)
    assert json.loads((out / METRICS_FILE).read_text())["final"] == {"accuracy": 0.5}
    document = yaml.safe_load((out / CONFIG_FILE).read_text())
    assert document["tokenizer"]["dictionary"] == "unidic_lite" and document["labels"] == LABELS


def test_directory_loads_in_plain_transformers(saved):
    out, _ = saved
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.id2label == dict(enumerate(LABELS))
    assert type(AutoTokenizer.from_pretrained(out)).__name__ == "BertJapaneseTokenizer"


def test_unfinished_run_is_refused(tmp_path):
    (tmp_path / "checkpoints" / "checkpoint-10").mkdir(parents=True)
    with pytest.raises(ConfigError) as err:
        load_finetuned(tmp_path)
    assert "is an unfinished run" in str(err.value) and "--resume" in str(err.value)


def test_not_a_model_directory(tmp_path):
    with pytest.raises(ConfigError, match="model directory not found"):
        load_finetuned(tmp_path / "missing")
    with pytest.raises(ConfigError, match=f"has no {CONFIG_FILE}: not a jbert fine-tuned model directory"):
        load_finetuned(tmp_path)


def test_config_is_written_last(saved):
    """A save that fails half-way leaves no jbert_config.yaml, even over an earlier complete save."""
    out, model = saved
    spec = load_spec("jnli")

    class Broken:
        def save_pretrained(self, path):
            raise OSError("disk full")

    with pytest.raises(OSError):
        save_finetuned(out, model=model, tokenizer=Broken(), config=build_config(), spec=spec, labels=LABELS)
    assert not (out / CONFIG_FILE).exists()
    with pytest.raises(ConfigError, match="not a jbert fine-tuned model directory"):
        load_finetuned(out)


def test_tokenizer_fingerprint_mismatch_warns(saved, caplog):
    out, _ = saved
    # a directory whose tokenizer files carry no record of their own (saved by a slow tokenizer)
    (out / "jbert_tokenizer.json").unlink(missing_ok=True)
    document = yaml.safe_load((out / CONFIG_FILE).read_text())
    document["tokenizer"]["dictionary_version"] = "0.0.1"
    (out / CONFIG_FILE).write_text(yaml.safe_dump(document, allow_unicode=True))
    with caplog.at_level(logging.WARNING, logger="jbert.models.directory"):
        load_finetuned(out, device="cpu")
    assert "different tokenizer set-up (dictionary_version: '0.0.1' -> " in caplog.text


def test_gathered_weights_are_what_is_saved(tiny_model_dir, tmp_path):
    """FSDP / ZeRO-3: the model in memory is this rank's shard; the gathered state dict is saved."""
    spec = load_spec("jnli")
    model = get_head(spec.head)(spec, LABELS).model(str(tiny_model_dir))
    full = {k: torch.full_like(v, 0.25) for k, v in model.state_dict().items()}
    config = build_config(overrides=["task.name=jnli", f"model.name_or_path={tiny_model_dir}"])
    save_finetuned(tmp_path, model=model, tokenizer=load_tokenizer(tiny_model_dir), config=config, spec=spec,
                   labels=LABELS, fingerprint=None, state_dict=full)
    loaded = load_finetuned(tmp_path, device="cpu").model.state_dict()
    assert all(torch.all(loaded[k] == 0.25) for k in full if k in loaded)
