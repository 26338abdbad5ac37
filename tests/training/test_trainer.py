"""The trainer on synthetic features and a tiny BERT: no task, no tokenizer files needed."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, TrainerCallback

from jbert.config.run import TrainingConfig
from jbert.errors import ConfigError
from jbert.heads.collate import PaddingCollator
from jbert.training.trainer import CHECKPOINTS, TRAIN_LOG, fit

VOCAB = 40


class _Tok:
    pad_token_id = 0


def _collator():
    """The trainer takes any collator: no head, no task."""
    return PaddingCollator(_Tok())


def features(n=32, seed=0, labels=True):
    """Label = whether token 5 or token 6 follows [CLS]; lengths vary so batches need padding."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        body = [int(x) for x in rng.integers(10, VOCAB, int(rng.integers(3, 12)))]
        ids = [2, 5 if i % 2 else 6, *body, 3]
        f = {"input_ids": ids, "attention_mask": [1] * len(ids), "example_index": i}
        if labels:
            f["labels"] = i % 2
        out.append(f)
    return out


def tiny_model(seed=0, dropout=0.1):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=2, hidden_dropout_prob=dropout,
                        attention_probs_dropout_prob=dropout)
    return BertForSequenceClassification(config)


def accuracy(feats):
    gold = np.array([f["example_index"] % 2 for f in feats])
    return lambda outputs: {"accuracy": float((outputs.argmax(-1) == gold).mean())}


TRAINING = TrainingConfig(epochs=3, batch_size=8, learning_rate=1e-3, logging_steps=2, progress_bar=False)


def test_fit_evaluates_every_epoch_and_logs(tmp_path):
    feats = features()
    result = fit(tiny_model(), _collator(), feats, feats, training=TRAINING, output_dir=tmp_path,
                 metrics_fn=accuracy(feats), primary_metric="accuracy")
    assert [h["epoch"] for h in result.history] == [1.0, 2.0, 3.0]
    assert {"loss", "accuracy"} <= set(result.metrics)
    assert result.global_step == 12 and result.outputs.shape == (32, 2)
    rows = [json.loads(line) for line in (tmp_path / TRAIN_LOG).read_text().splitlines()]
    assert sum("eval_accuracy" in r for r in rows) == 4  # 3 epochs + the final evaluation
    assert any("loss" in r and "learning_rate" in r for r in rows)
    # the best checkpoint is kept, the rest pruned to save_total_limit
    assert result.best_checkpoint is not None
    assert len(list((tmp_path / CHECKPOINTS).glob("checkpoint-*"))) <= TRAINING.save_total_limit


def test_final_outputs_are_in_dataset_order_even_with_length_grouping(tmp_path):
    feats = features()
    model = tiny_model()
    training = replace(TRAINING, epochs=1, group_by_length=True, eval_batch_size=5)
    result = fit(model, _collator(), feats, feats, training=training, output_dir=tmp_path,
                 metrics_fn=accuracy(feats), primary_metric="accuracy")
    model.eval()
    with torch.inference_mode():
        expected = [model(input_ids=torch.tensor([f["input_ids"]])).logits[0].numpy() for f in feats]
    assert np.abs(np.diff(result.outputs, axis=0)).max() > 1e-4  # rows differ: a shuffle would show
    np.testing.assert_allclose(result.outputs, np.stack(expected), atol=1e-6)


def test_metrics_without_labels_in_the_eval_features(tmp_path):
    # QA-style eval windows carry no targets; the task metrics must still be computed.
    feats = features()
    result = fit(tiny_model(), _collator(), feats, features(labels=False), training=replace(TRAINING, epochs=1),
                 output_dir=tmp_path, metrics_fn=accuracy(feats), primary_metric="accuracy")
    assert "accuracy" in result.metrics and "loss" not in result.metrics
    assert [h["accuracy"] for h in result.history] == [result.metrics["accuracy"]]


def test_max_steps_and_no_validation(tmp_path):
    result = fit(tiny_model(), _collator(), features(), None, training=replace(TRAINING, max_steps=3),
                 output_dir=tmp_path)
    assert result.global_step == 3
    assert result.history == [] and "train_loss" in result.metrics


def test_early_stopping(tmp_path):
    feats = features()
    training = replace(TRAINING, epochs=10, early_stopping_patience=2)
    result = fit(tiny_model(), _collator(), feats, feats, training=training, output_dir=tmp_path,
                 metrics_fn=lambda outputs: {"flat": 0.5}, primary_metric="flat")
    assert len(result.history) == 3  # one best, then two without improvement


def test_primary_metric_missing_from_the_metrics(tmp_path):
    feats = features()
    with pytest.raises(ConfigError, match=r"primary metric 'f1' is not among the metrics computed \(accuracy, loss"):
        fit(tiny_model(), _collator(), feats, feats, training=replace(TRAINING, max_steps=1),
            output_dir=tmp_path, metrics_fn=accuracy(feats), primary_metric="f1")


def test_gradient_accumulation_matches_the_large_batch(tmp_path):
    """2 x 4 accumulated = one batch of 8: the per-batch mean loss must be divided by the steps."""
    feats = features()
    big, accumulated = tiny_model(dropout=0.0), tiny_model(dropout=0.0)
    fit(big, _collator(), feats, None, training=replace(TRAINING, epochs=1), output_dir=tmp_path / "a")
    fit(accumulated, _collator(), feats, None, output_dir=tmp_path / "b",
        training=replace(TRAINING, epochs=1, batch_size=4, gradient_accumulation_steps=2))
    expected, got = big.state_dict(), accumulated.state_dict()
    assert all(torch.allclose(expected[k], got[k], atol=1e-5) for k in expected)


class _Interrupt(TrainerCallback):
    """Save and stop mid-epoch, as if the job had been killed right after a checkpoint."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            control.should_save = True
            control.should_training_stop = True


def test_resume_ends_with_the_same_weights(tmp_path):
    feats = features()
    training = replace(TRAINING, epochs=3, group_by_length=True)  # 4 steps per epoch
    straight = tiny_model()
    fit(straight, _collator(), feats, None, training=training, output_dir=tmp_path / "a")

    interrupted = tiny_model()
    first = fit(interrupted, _collator(), feats, None, training=training, output_dir=tmp_path / "b",
                callbacks=[_Interrupt(6)])
    assert first.global_step == 6
    resumed = tiny_model(seed=123)  # different init: everything must come from the checkpoint
    second = fit(resumed, _collator(), feats, None, training=replace(training, resume=True),
                 output_dir=tmp_path / "b")
    assert second.global_step == 12
    expected, got = straight.state_dict(), resumed.state_dict()
    assert all(torch.allclose(expected[k], got[k]) for k in expected)
    assert not all(torch.allclose(expected[k], v) for k, v in interrupted.state_dict().items())


def test_resume_without_checkpoint_starts_from_scratch(tmp_path):
    result = fit(tiny_model(), _collator(), features(), None,
                 training=replace(TRAINING, max_steps=2, resume=True), output_dir=tmp_path)
    assert result.global_step == 2


def test_cpu_training_uses_the_fast_dropout_unless_switched_off(tmp_path):
    from torch import nn

    from jbert.training.cpu_ops import FastDropout

    fast, plain = tiny_model(), tiny_model()
    fit(fast, _collator(), features(), None, training=replace(TRAINING, max_steps=1), output_dir=tmp_path / "a")
    fit(plain, _collator(), features(), None, output_dir=tmp_path / "b",
        training=replace(TRAINING, max_steps=1, cpu_fast_dropout=False))
    assert any(isinstance(m, FastDropout) for m in fast.modules())
    assert not any(isinstance(m, FastDropout) for m in plain.modules())
    assert any(type(m) is nn.Dropout for m in plain.modules())


class _Accelerator:
    def __init__(self, error=None):
        self.calls, self.error = [], error

    def get_state_dict(self, model):
        self.calls.append(model)
        if self.error:
            raise self.error
        return {"w": "full"}


class _Sharded:
    """What gathered_state_dict reads from a Trainer."""

    def __init__(self, fsdp=False, deepspeed=False, error=None):
        self.is_fsdp_enabled, self.is_deepspeed_enabled = fsdp, deepspeed
        self.model, self.deepspeed, self.accelerator = "model", "engine", _Accelerator(error)


def test_sharded_models_are_gathered_for_saving():
    from jbert.training.trainer import gathered_state_dict

    plain, fsdp, zero3 = _Sharded(), _Sharded(fsdp=True), _Sharded(deepspeed=True)
    assert gathered_state_dict(plain) is None and plain.accelerator.calls == []
    assert gathered_state_dict(fsdp) == {"w": "full"} and fsdp.accelerator.calls == ["model"]
    assert gathered_state_dict(zero3) == {"w": "full"} and zero3.accelerator.calls == ["engine"]
    with pytest.raises(ConfigError, match="zero3_save_16bit_model: true"):
        gathered_state_dict(_Sharded(deepspeed=True, error=ValueError("no 16-bit gather")))
