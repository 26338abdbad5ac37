"""JGLUE metrics as a Hugging Face ``evaluate`` module, computed by jbert's own metric functions.

    import evaluate
    from jbert.metrics.hf import module_path
    jsquad = evaluate.load(module_path(), "jsquad")     # or jbert.metrics.hf.load("jsquad")
    jsquad.compute(predictions=[{"id": "q1", "prediction_text": "東京"}],
                   references=[{"id": "q1", "answers": {"text": ["東京"], "answer_start": [0]}}])
    -> {"exact_match": 1.0, "f1": 1.0}

Config names are the JGLUE task specs: marc_ja, jsts, jnli, jsquad, jcommonsenseqa, jcola. Each
computes its spec's metrics (``jbert.metrics.compute``), so the numbers are ``jbert eval score``'s:
JSQuAD's exact match and F1 at character level with JGLUE's normalisation, as fractions in [0, 1]
(HF's ``squad`` module gives percentages). Inputs follow the HF conventions a plain ``Trainer``'s
``compute_metrics`` produces: JSQuAD takes ``run_qa.py``'s SQuAD-format dicts, JSTS the predicted and
gold scores, the classification and choice tasks label indices (``logits.argmax(-1)``).
"""

import datasets
import evaluate

from jbert.config.tasks import load_spec
from jbert.metrics import compute

TASKS = ("marc_ja", "jsts", "jnli", "jsquad", "jcommonsenseqa", "jcola")
_LABEL = datasets.Value("int64")
_SQUAD = {
    "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
    "references": {
        "id": datasets.Value("string"),
        "answers": datasets.features.Sequence(
            {"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}
        ),
    },
}
# The input shape follows the task's head (its output shape), not the task's name.
FEATURES = {
    "span": _SQUAD,
    "pair-regression": {"predictions": datasets.Value("float64"), "references": datasets.Value("float64")},
    "classification": {"predictions": _LABEL, "references": _LABEL},
    "pair-classification": {"predictions": _LABEL, "references": _LABEL},
    "choice": {"predictions": _LABEL, "references": _LABEL},
}


class Jglue(evaluate.Metric):
    def _info(self):
        if self.config_name not in TASKS:
            raise KeyError(f"unknown JGLUE task {self.config_name!r}; choose one of {', '.join(TASKS)}")
        spec = load_spec(self.config_name)
        return evaluate.MetricInfo(
            description=__doc__,
            citation="Kurihara et al., JGLUE: Japanese General Language Understanding Evaluation, LREC 2022",
            inputs_description=f"{self.config_name}: metrics {', '.join(spec.metrics)}; see the module doc",
            features=datasets.Features(FEATURES[spec.head]),
        )

    def _compute(self, predictions, references):
        spec = load_spec(self.config_name)
        if spec.head == "span":
            predictions, references = _squad_pairs(predictions, references)
        return compute(spec.metrics, predictions, references)


def _squad_pairs(predictions, references):
    """Answer strings and gold answer lists in the references' order, matched by question id."""
    answers = {p["id"]: p["prediction_text"] for p in predictions}
    missing = [r["id"] for r in references if r["id"] not in answers]
    if missing or len(answers) != len(references):
        raise ValueError(f"predictions and references must hold the same question ids (missing: {missing[:3]})")
    return [answers[r["id"]] for r in references], [list(r["answers"]["text"]) for r in references]
