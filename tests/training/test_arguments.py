"""jbert.training.arguments: TrainingConfig -> TrainingArguments."""

from pathlib import Path

from jbert.config.run import TrainingConfig
from jbert.training.arguments import CHECKPOINTS, training_arguments


def test_evaluation_and_checkpoints_every_epoch_by_default(tmp_path: Path):
    args = training_arguments(TrainingConfig(batch_size=4, seed=3), tmp_path, has_eval=True, primary_metric="f1")
    assert args.output_dir == str(tmp_path / CHECKPOINTS)
    assert (args.eval_strategy, args.save_strategy) == ("epoch", "epoch")
    assert args.metric_for_best_model == "f1" and args.load_best_model_at_end
    assert args.per_device_eval_batch_size == 4 and args.seed == 3  # eval batch falls back to batch_size
    assert args.report_to == []


def test_every_n_steps_and_no_validation(tmp_path: Path):
    args = training_arguments(TrainingConfig(eval_steps=7, eval_batch_size=16), tmp_path, has_eval=False,
                              primary_metric=None)
    assert args.eval_strategy == "no" and not args.load_best_model_at_end
    assert (args.save_strategy, args.save_steps) == ("steps", 7)
    assert args.metric_for_best_model is None and args.per_device_eval_batch_size == 16
