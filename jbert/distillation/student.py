"""The student's start: every k-th layer of the teacher (``--student-layers N``), or any model directory
that tokenizes exactly as the teacher does (``--student MODEL``); and which teacher layer each student
layer's hidden states are matched with.

Layer copy is DistilBERT's initialisation (Sanh et al. 2019: "taking one layer out of two"): the
student is the teacher's architecture with N layers, its embeddings, its task head and the teacher's
layers ``0, k, 2k, ...`` (``i * L // N`` for L teacher layers) copied weight for weight. An embedding
teacher (a transformer inside a bi-encoder) has its transformer cut so; its pooling and prompts stay.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from jbert.errors import ConfigError
from jbert.heads import Head
from jbert.heads.embedding_model import EmbeddingModel
from jbert.heads.reranker_model import RerankerModel
from jbert.models.directory import tokenizer_fingerprint
from jbert.tokenization.fingerprint import fingerprint_differences


def copied_layers(teacher_layers: int, student_layers: int) -> list[int]:
    """The teacher layers a student of ``student_layers`` starts from: ``i * L // N``."""
    if not 1 <= student_layers < teacher_layers:
        raise ConfigError(f"--student-layers {student_layers}: the teacher has {teacher_layers} layers; choose 1 to "
                          f"{teacher_layers - 1}")
    return [i * teacher_layers // student_layers for i in range(student_layers)]


def matched_layers(teacher_layers: int, student_layers: int) -> list[int]:
    """The teacher ``hidden_states`` index matched with each student layer's output (1 .. N): TinyBERT's
    uniform map ``j * L // N``, so the last layers meet, whatever layers the student started from."""
    return [j * teacher_layers // student_layers for j in range(1, student_layers + 1)]


def layer_stack(model: Any) -> tuple[str, Any]:
    """(name, module) of the model's list of transformer layers: the one ``ModuleList`` as long as
    ``config.num_hidden_layers`` (``bert.encoder.layer``, ``distilbert.transformer.layer`` ...)."""
    import torch

    count = model.config.num_hidden_layers
    found = [(name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.ModuleList) and len(m) == count]
    if len(found) != 1:
        raise ConfigError(f"cannot tell the layers of this {model.config.model_type} model apart to copy them; "
                          "start the student from a model directory instead (--student MODEL)")
    return found[0]


def student_from_teacher(teacher: Any, layers: list[int]) -> Any:
    """A model of the teacher's class and config with ``len(layers)`` layers: teacher layer ``layers[j]``
    becomes layer j; embeddings, pooler and task head are copied as they are. Loaded strictly, so every
    weight of the student comes from the teacher."""
    if isinstance(teacher, EmbeddingModel):  # the bi-encoder: its transformer cut, pooling and prompts kept
        return EmbeddingModel(student_from_teacher(teacher.encoder, layers), teacher.settings, teacher.loss)
    if isinstance(teacher, RerankerModel):  # the cross-encoder: its classifier cut, its activation kept
        return RerankerModel(student_from_teacher(teacher.model, layers), teacher.activation)
    stack, _ = layer_stack(teacher)
    config = copy.deepcopy(teacher.config)
    config.num_hidden_layers = len(layers)
    student = type(teacher)(config)
    prefix, state = f"{stack}.", {}
    for key, value in teacher.state_dict().items():
        if not key.startswith(prefix):
            state[key] = value
            continue
        index, rest = key[len(prefix):].split(".", 1)
        if int(index) in layers:
            state[f"{prefix}{layers.index(int(index))}.{rest}"] = value
    student.load_state_dict(state, strict=True)
    return student


def layer_copy_factory(head: Head, student_layers: int) -> Callable[..., Any]:
    """``factory(teacher_dir, **kwargs)`` for ``jbert.training.core.load_model``: the teacher loaded as its
    head's model, then cut down to ``student_layers`` layers."""

    def factory(name_or_path: str, **kwargs: Any) -> Any:
        teacher = head.model(name_or_path, **kwargs)
        return student_from_teacher(teacher, copied_layers(teacher.config.num_hidden_layers, student_layers))

    return factory


def check_same_width(student: str, teacher_width: int) -> None:
    """An embedding student's vectors replace the teacher's: the same width, or a one-line error. A
    learned projection would change the saved sentence-transformers model's output (a Dense module,
    which jbert's own encoding and export do not run), so differing widths are refused."""
    from transformers import AutoConfig

    width = int(AutoConfig.from_pretrained(student).hidden_size)
    if width != teacher_width:
        raise ConfigError(f"--student {student} gives {width}-dimensional vectors but the teacher's have {teacher_width}; "
                          f"an embedding student keeps the teacher's width: start from a model of hidden size "
                          f"{teacher_width}, or use --student-layers N")


def check_same_tokenizer(teacher_dir: str, student: str) -> None:
    """A student must read the teacher's ids: a different analyser, dictionary or vocabulary is an error
    that names both tokenizers' fingerprints."""
    theirs, ours = tokenizer_fingerprint(teacher_dir), tokenizer_fingerprint(student)
    if ours is None:
        raise ConfigError(f"--student {student}: not a model directory with tokenizer files (vocab.txt, "
                          "tokenizer.json or spiece.model); give a local directory")
    if theirs is None:
        raise ConfigError(f"--teacher {teacher_dir}: its tokenizer files cannot be read")
    differences = fingerprint_differences(theirs, ours)
    if differences:
        raise ConfigError(f"--student {student} does not tokenize as the teacher does ({'; '.join(differences)}): "
                          f"teacher {describe(theirs)}, student {describe(ours)}; start from a model with the "
                          "teacher's tokenizer, or use --student-layers N")


def describe(fingerprint: dict[str, Any]) -> str:
    """A tokenizer fingerprint on one line: analyser/dictionary, subwords, vocabulary size and hash."""
    word = "/".join(str(x) for x in (fingerprint.get("word_tokenizer"), fingerprint.get("dictionary")) if x)
    return (f"[{word or 'no word segmenter'} {fingerprint.get('subword_tokenizer')}, vocab "
            f"{fingerprint.get('vocab_size')} sha256 {str(fingerprint.get('vocab_sha256'))[:12]}]")
