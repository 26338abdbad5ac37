"""Sentence embeddings (``embedding``): a bi-encoder whose saved directory is a sentence-transformers model.

Each text of a row is encoded on its own (never as a BERT sentence pair); a feature's ``input_ids``
is ``[texts, seq]`` and the model (``jbert.heads.embedding_model``) gives ``[texts, dim]`` per row.
The training loss follows the training rows' layout (``jbert.heads.embedding_rows``), or
``training.loss``: pairs -> mnrl, scored pairs -> cosent, labelled pairs -> softmax, one text -> simcse
(``jbert.heads.embedding_losses``). Evaluation scores pairs by the cosine of their two vectors.

Settings (``task.options``, else a sentence-transformers ``--model``'s own, else the defaults):
pooling ``mean`` | ``cls`` | ``last``, ``normalize``, ``query_prefix`` / ``document_prefix`` (saved as
the model's prompts), ``scale`` (MNRL / CoSENT, 20), ``negatives`` (the negative columns). Prefixes:
the first text of a row is a query; a pair's second text and the negatives are documents when the
rows are anchor/positive pairs, queries otherwise (similarity of two sentences is symmetric); a lone
text takes the prefix of ``embed_as`` (``jbert embed --as``).

>>> head = get_head("embedding")(load_spec("embedding"))
>>> head.choose_loss(None, train_examples)       # "cosent" for JSTS rows
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from jbert.config.encoding import EncodeOptions
from jbert.config.tasks import TaskSpec
from jbert.data import Example, Prediction
from jbert.errors import ConfigError
from jbert.heads import HEADS
from jbert.heads import embedding_rows as rows
from jbert.heads._util import check_rows, data_error, first_output, tokenize, truncated_rows
from jbert.heads.base import Feature, Head
from jbert.heads.embedding_rows import LOSSES, SCALE
from jbert.models.st_format import POOLINGS, StSettings, is_st_dir, read_st

INPUT_KEYS = ("input_ids", "attention_mask", "token_type_ids")
DEFAULT_LOSS = {"pairs": "mnrl", "scored": "cosent", "classes": "softmax", "single": "simcse"}
OPTIONS = ("pooling", "normalize", "query_prefix", "document_prefix", "scale", "negatives")
ROLES = ("query", "document")


@HEADS.register("embedding")
class EmbeddingHead(Head):
    name = "embedding"

    def __init__(self, spec: TaskSpec, labels: Sequence[str] | None = None):
        super().__init__(spec, labels)
        unknown = sorted(set(spec.options) - set(OPTIONS))
        if unknown:
            raise ConfigError(f"unknown embedding option(s) {unknown} in task.options; valid: {', '.join(OPTIONS)}")
        self.scale = float(spec.options.get("scale", SCALE))
        if not self.scale > 0:
            raise ConfigError(f"task.options.scale must be above 0, got {self.scale}")
        negatives = spec.options.get("negatives")
        if negatives is not None and not isinstance(negatives, (str, list)):
            raise ConfigError(f"task.options.negatives must be a column name or a list of them, got {negatives!r}")
        self.negative_columns = [negatives] if isinstance(negatives, str) else negatives
        self.settings = _with_options(StSettings(), spec.options)
        self.loss_name: str | None = None  # set by choose_loss when fine-tuning
        self.train_layout: str | None = None
        self.embed_as: str | None = None  # the prefix a lone text gets: "query", "document" or None

    # --- settings and loss ----------------------------------------------------------------------
    def attach(self, model_path: str | None) -> None:
        base = read_st(model_path) if model_path and is_st_dir(model_path) else StSettings()
        self.settings = _with_options(base, self.spec.options)
        if not self.settings.include_prompt and self.settings.prompts:
            raise ConfigError(f"{model_path}: pooling excludes the prompt tokens (include_prompt false), "
                              "which jbert does not do; the vectors would differ from sentence-transformers'")

    def infer_labels(self, examples: Sequence[Example]) -> list[str] | None:
        if rows.layout(examples, self.negative_columns) != "classes":
            return None
        return sorted({str(e.label) for e in examples})

    def choose_loss(self, loss: str | None, examples: Sequence[Example]) -> None:
        layout = rows.layout(examples, self.negative_columns)
        name = loss or DEFAULT_LOSS[layout]
        kind = LOSSES.get(name)
        if kind.texts == "rows" and layout == "single":
            raise data_error(examples[0], f"one text a row, but loss {name!r} needs pairs", "use loss simcse")
        if kind.targets is not None and layout not in ("scored", "classes"):
            raise data_error(examples[0], f"no labels, but loss {name!r} needs a score or class label per pair",
                             "give sentence1, sentence2 and score (or label) columns, or leave training.loss unset")
        if kind.targets == "score":
            values = rows.scores(examples, f"loss {name}")
            if name == "cosine" and max(map(abs, values)) > 1:
                raise data_error(examples[0], "scores outside -1..1, which cosine regression fits cos(u, v) to",
                                 "rescale the scores (JSTS: divide by 5), or use loss cosent")
        if kind.targets == "class" and not self.labels:
            self.labels = sorted({str(e.label) for e in examples})
        self.loss_name, self.train_layout = name, layout

    def validate(self, examples: Sequence[Example], train: bool = True) -> None:
        layout = rows.layout(examples, self.negative_columns)
        if train and layout == "scored":
            rows.scores(examples, "a scored pair")
        if train and layout == "classes" and self.labels:
            known = set(self.labels)
            for example in examples:
                if str(example.label) not in known:
                    raise data_error(example, f"unknown label {example.label!r}; known labels: {', '.join(self.labels)}",
                                     "fix the row or train on a file that has the label", "unknown_label")

    # --- pipeline ---------------------------------------------------------------------------------
    def encode(self, examples: Sequence[Example], tokenizer: Any, options: EncodeOptions) -> list[Feature]:
        self.validate(examples, options.train)
        self.settings.max_seq_length = options.max_length  # saved with the model (sentence_bert_config.json)
        columns, targets = self._texts(examples, options.train)
        batches: dict[int, Any] = {}
        for texts in columns:  # a column repeated (SimCSE) is tokenized once
            if id(texts) not in batches:
                batches[id(texts)] = tokenize(tokenizer, texts, None, options.max_length)
        encoded = [batches[id(texts)] for texts in columns]
        cut = np.zeros(len(examples), dtype=bool)
        for batch in batches.values():
            cut |= np.asarray(truncated_rows(batch, options.max_length), dtype=bool)
        features = []
        for i in range(len(examples)):
            feature: Feature = {key: [b[key][i] for b in encoded] for key in INPUT_KEYS if key in encoded[0]}
            feature["example_index"] = i
            if targets is not None:
                feature["labels"] = targets[i]
            features.append(feature)
        self.stats.examples += len(examples)
        self.stats.features += len(features)
        self.stats.truncated += int(cut.sum())
        return features

    def texts(self, examples: Sequence[Example]) -> list[list[str]]:
        """The texts ``encode`` tokenizes for prediction, prefixed: one list per column (``jbert data check``
        measures their lengths)."""
        return self._texts(examples, train=False)[0]

    def _texts(self, examples: Sequence[Example], train: bool) -> tuple[list[list[str]], list[Any] | None]:
        """The texts of each column (prefixed) and the training targets (None: no labels)."""
        layout = rows.layout(examples, self.negative_columns)
        query, document = (self.settings.prompts.get(role, "") for role in ROLES)
        first = [query + e.text for e in examples]
        if layout == "single":
            own = self.settings.prompts.get(self.embed_as or "", "")
            kind = LOSSES.get(self.loss_name) if train and self.loss_name and layout == self.train_layout else None
            return ([first, first] if kind else [[own + e.text for e in examples]]), None
        second_prefix = document if layout == "pairs" else query
        columns = [first, [second_prefix + (e.text_pair or "") for e in examples]]
        negatives = [rows.negatives(e, self.negative_columns) for e in examples]
        columns += [[document + n[j] for n in negatives] for j in range(len(negatives[0]))]
        if not (train and self.loss_name and layout == self.train_layout):
            return columns, None
        kind = LOSSES.get(self.loss_name)
        if kind.texts == "twice":
            return [first, first], None
        if kind.targets == "score":
            return columns[:2], rows.scores(examples, f"loss {self.loss_name}")
        if kind.targets == "class":
            label2id = {label: i for i, label in enumerate(self.labels or [])}
            return columns[:2], [label2id[str(e.label)] for e in examples]
        return columns, None

    def model(self, name_or_path: str, **kwargs: Any) -> Any:
        from transformers import AutoModel

        from jbert.heads.embedding_model import EmbeddingModel

        encoder = AutoModel.from_pretrained(name_or_path, **kwargs)
        loss = None
        if self.loss_name is not None:
            from jbert.heads.embedding_losses import build_loss

            loss = build_loss(self.loss_name, self.scale, int(encoder.config.hidden_size), len(self.labels or []))
        return EmbeddingModel(encoder, self.settings, loss)  # shares settings: max_seq_length is set by encode

    def decode(self, outputs: Any, features: Sequence[Feature], examples: Sequence[Example],
               options: EncodeOptions) -> list[Prediction]:
        vectors = first_output(outputs)  # [n, texts, dim]
        check_rows(vectors, features)
        predictions: list[Prediction | None] = [None] * len(examples)
        for row, feature in enumerate(features):
            i, own = feature["example_index"], vectors[row]
            score = _cosine(own[0], own[1]) if len(own) > 1 else None
            predictions[i] = Prediction(id=examples[i].id, line=examples[i].line, score=score,
                                        vector=own if len(own) > 1 else own[0])
        if any(p is None for p in predictions):
            raise ValueError("decode got no features for some examples")
        return predictions  # type: ignore[return-value]

    # --- metrics, export, batches -----------------------------------------------------------------
    def prediction_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.score for p in predictions]

    def reference_values(self, examples: Sequence[Example]) -> list[Any]:
        what = "scoring an embedding model (Pearson/Spearman of cosine, as JSTS)"
        rows.require_pairs(examples, what)
        return rows.scores(examples, what)

    def agreement_values(self, predictions: Sequence[Prediction]) -> list[Any]:
        return [p.vector for p in predictions]

    def distinct_keys(self, examples: Sequence[Example], features: Sequence[Feature]) -> list[Any] | None:
        kind = LOSSES.get(self.loss_name) if self.loss_name else None
        if kind is None or kind.targets is not None:
            return None  # only in-batch-negative losses care what shares a batch
        texts = [(e.text,) if kind.texts == "twice" else (e.text, e.text_pair, *rows.negatives(e, self.negative_columns))
                 for e in examples]
        return [frozenset(t for t in texts[f["example_index"]] if t is not None) for f in features]


def _with_options(base: StSettings, options: dict[str, Any]) -> StSettings:
    """``base`` with the explicit ``task.options`` laid over it (checked)."""
    settings = replace(base, prompts=dict(base.prompts))
    pooling = options.get("pooling", settings.pooling)
    if pooling not in POOLINGS:
        raise ConfigError(f"task.options.pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    settings.pooling = pooling
    if "normalize" in options:
        if not isinstance(options["normalize"], bool):
            raise ConfigError(f"task.options.normalize must be true or false, got {options['normalize']!r}")
        settings.normalize = options["normalize"]
    for role in ROLES:
        prefix = options.get(f"{role}_prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise ConfigError(f"task.options.{role}_prefix must be text, got {prefix!r}; quote it: "
                              f"--set 'task.options.{role}_prefix=\"クエリ: \"'")
        if prefix is not None:
            settings.prompts.pop(role, None)
            settings.prompts.update({role: str(prefix)} if prefix else {})
    return settings


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / max(norm, 1e-12))
