"""The bundled task specs: each loads, names registered parts, and reads its data."""

from pathlib import Path

import pytest

from jbert.config.tasks import bundled_specs, load_spec
from jbert.heads import HEADS, get_head
from jbert.metrics import METRICS, compute
from jbert.readers import READERS, _load_builtin_readers, read

DATA = Path(__file__).parent.parent / "data"
SHARED_JGLUE = Path("/work/shared/jglue")
JGLUE = ["jcola", "jcommonsenseqa", "jnli", "jsquad", "jsts", "marc_ja"]
GENERIC = ["classification", "embedding", "multiple_choice", "ner", "pair_classification", "pair_regression", "qa",
           "reranker"]
SLICES = {  # spec -> a file in its format
    "jsts": DATA / "jglue" / "jsts-valid.jsonl",
    "embedding": DATA / "jglue" / "jsts-valid.jsonl",
    "jnli": DATA / "jglue" / "jnli-valid.jsonl",
    "jcommonsenseqa": DATA / "jglue" / "jcommonsenseqa-valid.jsonl",
    "jsquad": DATA / "jglue" / "jsquad-valid.json",
    "marc_ja": DATA / "marc_ja" / "valid.jsonl",
    "ner": DATA / "ner" / "valid.conll",
    "reranker": DATA / "reranker" / "valid.jsonl",
}


def test_all_bundled_specs_are_there():
    assert bundled_specs() == sorted(JGLUE + GENERIC)


@pytest.mark.parametrize("name", JGLUE + GENERIC)
def test_spec_names_registered_parts(name):
    spec = load_spec(name)
    get_head(spec.head)
    _load_builtin_readers()
    assert spec.head in HEADS and spec.reader in READERS
    assert all(m in METRICS for m in spec.metrics)
    assert spec.name == name and spec.description
    if name in JGLUE:
        assert spec.recipe == f"jglue/{name}" and {"train", "valid"} <= set(spec.jglue)


def test_hyphenated_names_load():
    assert load_spec("pair-classification").head == "pair-classification"
    assert load_spec("multiple-choice").head == "choice"


def test_tasks_that_differ_only_in_labels_share_a_head():
    marc, jcola = load_spec("marc_ja"), load_spec("jcola")
    assert marc.head == jcola.head == "classification" and marc.labels != jcola.labels


def _perfect(head_name, references):
    if head_name == "reranker":  # (query key, relevance) -> the relevance as the score
        return [float(r[1]) for r in references]
    return [r[0] for r in references] if head_name == "span" else list(references)


@pytest.mark.parametrize("name", sorted(SLICES))
def test_spec_reads_its_format_and_its_metrics_score_perfect_predictions(name):
    spec = load_spec(name)
    examples = list(read(SLICES[name], spec))
    assert examples
    head_cls = get_head(spec.head)
    head = head_cls(spec, spec.labels or head_cls(spec).infer_labels(examples))
    head.validate(examples, train=True)
    references = head.reference_values(examples)
    scores = compute(spec.metrics, _perfect(spec.head, references), references)
    assert scores[spec.primary_metric] == pytest.approx(1.0)


@pytest.mark.skipif(not SHARED_JGLUE.is_dir(), reason="no shared JGLUE copy on this machine")
@pytest.mark.parametrize("name", ["jsts", "jnli", "jsquad", "jcommonsenseqa"])
def test_jglue_paths_match_the_release_layout(name):
    valid = SHARED_JGLUE / load_spec(name).jglue["valid"]
    assert valid.is_file()
    assert next(iter(read(valid, load_spec(name)))).id
