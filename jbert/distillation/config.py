"""The distillation config: a fine-tuning config (task, model = the student's start, data, encoding,
decoding, training) plus the ``distill`` section. It is saved whole as the student's
``jbert_config.yaml``, so the directory records its teacher, its data and how it was distilled.

Layering as for fine-tuning: defaults <- the task's recipe <- the teacher's encoding and decoding <-
``--config`` <- flags <- ``--set distill.temperature=4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jbert.config.run import JbertConfig
from jbert.config.sections import Section
from jbert.errors import ConfigError


@dataclass
class DistillSection(Section):
    teacher: str | None = None  # --teacher: a fine-tuned model directory (jbert finetune's output)
    student_layers: int | None = None  # --student-layers: the student is every k-th layer of the teacher
    unlabeled: list[str] = field(default_factory=list)  # --unlabeled: rows learnt from the teacher alone
    alpha: float = 0.5  # weight of the teacher's soft loss on labelled rows (1 - alpha: the gold labels')
    temperature: float = 2.0  # softens both distributions; the soft loss is scaled by T^2 (Hinton et al.)
    hidden_weight: float = 0.0  # > 0: also match hidden states of mapped layers (MSE), with this weight
    # QA: keep only the teacher's k best start and end logits per window (null: all, in float16). On 4,590
    # JSQuAD windows at max_length 384: all 846 B a window, k=20 401 B, k=5 161 B; the features themselves
    # take 8.4 kB, so all are kept by default and the KL stays exact.
    top_k: int | None = None
    teacher_cache: str | None = None  # where teacher outputs are cached (null: OUTPUT/.encoded, removed at the end)
    # written by the run: the teacher's fingerprint, the student's start, the matched layers, rows per file
    record: dict = field(default_factory=dict)


@dataclass
class DistillConfig(JbertConfig):
    distill: DistillSection = field(default_factory=DistillSection)

    def validate(self) -> None:
        super().validate()
        d = self.distill
        if not 0.0 <= d.alpha <= 1.0:
            raise ConfigError(f"distill.alpha must be in [0, 1], got {d.alpha}")
        if d.temperature <= 0:
            raise ConfigError(f"distill.temperature must be > 0, got {d.temperature}")
        if d.hidden_weight < 0:
            raise ConfigError(f"distill.hidden_weight must be >= 0, got {d.hidden_weight}")
        for key in ("student_layers", "top_k"):
            value = getattr(d, key)
            if value is not None and value < 1:
                raise ConfigError(f"distill.{key} must be at least 1, got {value}")
