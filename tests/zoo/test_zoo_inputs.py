"""Inputs a model cannot take never reach it at prediction time, even from a tokenizer that was not
aligned (a directory saved before jbert recorded model_input_names, or a caller's own tokenizer)."""

from __future__ import annotations

from jbert.data import Example


def _pairs() -> list[Example]:
    return [Example(id=str(i), text="東京駅の近くです。", text_pair="駅前の店でコーヒーを飲んだ。", label="entailment", line=i)
            for i in range(3)]


def test_predictor_drops_token_types_a_one_type_model_cannot_take(hub_dir):
    from jbert.config.encoding import EncodeOptions
    from jbert.config.inference import RunSettings
    from jbert.config.tasks import load_spec
    from jbert.heads import get_head
    from jbert.inference import Predictor
    from jbert.tokenization import load_tokenizer

    hub = hub_dir("roberta-mecab-wordpiece")  # type_vocab_size 1, BertJapaneseTokenizer pairs
    head = get_head("pair-classification")(load_spec("jnli"), ["entailment", "contradiction", "neutral"])
    tokenizer = load_tokenizer(hub)  # not aligned: returns segment ids 0/1
    features = head.encode(_pairs(), tokenizer, EncodeOptions(max_length=32, train=False))
    assert max(max(f["token_type_ids"]) for f in features) == 1
    outputs = Predictor(head, tokenizer, head.model(str(hub)), EncodeOptions(max_length=32), RunSettings(device="cpu")).forward(
        features)
    assert outputs.shape == (3, 3)


def test_loading_a_saved_directory_aligns_its_tokenizer(hub_dir, tmp_path):
    """A fine-tuned RoBERTa directory whose tokenizer_config.json has no model_input_names."""
    from jbert.config.run import build_config
    from jbert.config.tasks import load_spec
    from jbert.heads import get_head
    from jbert.inference.loading import load_finetuned
    from jbert.models.directory import save_finetuned
    from jbert.tokenization import load_tokenizer

    hub, spec, labels = hub_dir("roberta-mecab-wordpiece"), load_spec("jnli"), ["entailment", "contradiction", "neutral"]
    model = get_head(spec.head)(spec, labels).model(str(hub))
    config = build_config(overrides=["task.name=jnli", f"model.name_or_path={hub}"])
    save_finetuned(tmp_path, model=model, tokenizer=load_tokenizer(hub), config=config, spec=spec, labels=labels)
    ft = load_finetuned(tmp_path, device="cpu")
    assert "token_type_ids" not in ft.tokenizer("東京駅", "駅前")
