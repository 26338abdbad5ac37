"""The one task-free training core, for fine-tuning and pre-training alike.

``core`` (model + data + collator -> a fitted model directory: what every run shares), ``trainer`` (``fit``:
``transformers.Trainer`` on accelerate with jbert's defaults), ``hf_trainer`` (the ``Trainer`` subclass),
``arguments`` (jbert's ``TrainingConfig`` -> ``TrainingArguments``), ``sampling`` (the order of examples,
replayed on resume), ``runtime`` and ``cpu_ops`` (process settings and a cheaper CPU dropout),
``tracking`` (``--report-to``), ``feature_cache`` (features encoded once per machine).

May import: ``jbert.heads``, ``jbert.models``, ``jbert.tokenization``, ``jbert.config`` and the shared
leaves; never a run (``finetuning``, ``pretraining``) or a later stage.
"""
