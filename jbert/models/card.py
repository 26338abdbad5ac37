"""Model cards: the ``README.md`` of every model directory jbert writes (fine-tuned, pre-trained, exported).

The YAML front matter is the Hugging Face Hub's model card metadata (``language: ja``, ``base_model``,
``datasets``, ``metrics``, ``model-index`` with the validation scores, ``library_name``, ``license``,
``pipeline_tag``), written by huggingface_hub's own ``ModelCardData`` so the Hub reads it as it writes
it. The body says what the model was trained for, on which files, with which settings, how it scored
on how many validation rows, and how to load the directory in plain ``transformers`` (or ONNX Runtime).

    >>> write_card(Path("runs/jsts"), finetune_card(cfg, spec, metrics, files, valid_rows=1457))
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CARD_FILE = "README.md"
JGLUE_DATASET = "shunk031/JGLUE"  # the Hub's JGLUE dataset; its configs are named as below
JGLUE_CONFIGS = {"marc_ja": "MARC-ja", "jsts": "JSTS", "jnli": "JNLI", "jsquad": "JSQuAD",
                 "jcommonsenseqa": "JCommonsenseQA", "jcola": "JCoLA"}
# head -> (Hub task type, transformers Auto class); "mlm" is a pre-trained masked-LM directory
HEAD_TASKS = {
    "classification": ("text-classification", "AutoModelForSequenceClassification"),
    "pair-classification": ("text-classification", "AutoModelForSequenceClassification"),
    "pair-regression": ("text-classification", "AutoModelForSequenceClassification"),
    "token": ("token-classification", "AutoModelForTokenClassification"),
    "span": ("question-answering", "AutoModelForQuestionAnswering"),
    "choice": ("multiple-choice", "AutoModelForMultipleChoice"),
    "reranker": ("text-ranking", "AutoModelForSequenceClassification"),  # a cross-encoder: one relevance logit
    "embedding": ("sentence-similarity", "AutoModel"),  # a sentence-transformers directory (pooling, prompts)
    "mlm": ("fill-mask", "AutoModelForMaskedLM"),
}
NO_PIPELINE = ("multiple-choice",)
DESCRIPTIONS = {"classification": "text classification", "pair-classification": "sentence-pair classification",
                "pair-regression": "sentence-pair regression (a similarity score)",
                "token": "named-entity recognition", "span": "extractive question answering",
                "choice": "multiple-choice question answering",
                "reranker": "reranking (a cross-encoder's query-document relevance)",
                "embedding": "sentence embedding (a bi-encoder for similarity and retrieval)"}  # a task type the Hub has no pipeline tag for
# jbert's metric names -> the Hub's metric ids (the `evaluate` names); others keep their own name
METRIC_TYPES = {"pearson": "pearsonr", "spearman": "spearmanr", "mcc": "matthews_correlation",
                "macro_f1": "f1", "mlm_loss": "loss"}
NOT_SCORES = ("epoch", "step", "loss")  # bookkeeping, and the training objective, kept out of model-index
TRAINING_KEYS = ("epochs", "max_steps", "batch_size", "learning_rate", "warmup_ratio", "weight_decay", "seed",
                 "precision")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass
class Card:
    """What a card says. ``head`` is a jbert head name, or ``mlm`` for a pre-trained directory."""

    name: str
    path: str  # the directory as the user named it (what the loading snippet passes)
    head: str
    task: str  # the task spec's name (jsts, ner, ...) or "masked-lm"
    base_model: str | None  # the model name or directory training started from
    files: dict[str, str]  # role (train, valid, corpus) -> file(s)
    metrics: dict[str, float]
    valid_rows: int | None
    training: dict[str, Any] = field(default_factory=dict)
    jglue: bool = False  # the official JGLUE files (--jglue-dir): the Hub dataset is named
    library_name: str = "transformers"
    weights: str | None = None  # an export's weight file; None: transformers' own files
    notes: list[str] = field(default_factory=list)  # extra body lines (an export's agreement)


# --- building a card ---------------------------------------------------------------------------------


def finetune_card(cfg: Any, spec: Any, metrics: dict[str, float], files: dict[str, Any],
                  valid_rows: int | None) -> Card:
    """The card of a fine-tuned directory (``cfg``: its JbertConfig; ``files``: role -> path)."""
    training = {k: getattr(cfg.training, k) for k in TRAINING_KEYS}
    training["max_length"] = cfg.encoding.max_length
    out = str(cfg.training.output_dir)
    return Card(name=Path(out).name, path=out, head=spec.head, task=spec.name,
                base_model=cfg.model.name_or_path, files={k: str(v) for k, v in files.items() if v},
                metrics=metrics, valid_rows=valid_rows, training=training,
                jglue=bool(cfg.data.jglue_dir) and spec.name in JGLUE_CONFIGS)


def pretrain_card(cfg: Any, metrics: dict[str, float], stats: dict[str, Any]) -> Card:
    """The card of a pre-trained (masked-LM) directory."""
    training = {k: getattr(cfg.training, k) for k in TRAINING_KEYS}
    training.update(max_length=cfg.encoding.max_length, masking=cfg.mlm.masking, mlm_probability=cfg.mlm.probability)
    files = {"corpus": ", ".join(cfg.corpus.files)}
    if cfg.corpus.valid:
        files["valid"] = cfg.corpus.valid
    out = str(cfg.training.output_dir)
    return Card(name=Path(out).name, path=out, head="mlm", task="masked-lm",
                base_model=cfg.model.name_or_path, files=files, metrics=metrics,
                valid_rows=stats.get("valid_blocks") or None, training=training)


def saved_finetune_card(path: str | Path, cfg: Any, spec: Any) -> Card:
    """The card of a fine-tuned directory already on disk: its final metrics (metrics.json) and the
    validation rows it was scored on (one line each in valid_predictions.jsonl)."""
    path = Path(path)
    try:
        metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8")).get("final", {})
    except (OSError, ValueError):
        metrics = {}
    predictions = path / "valid_predictions.jsonl"
    rows = sum(1 for line in predictions.open(encoding="utf-8") if line.strip()) if predictions.is_file() else None
    files = {"train": cfg.data.train or cfg.data.jglue_dir, "valid": cfg.data.valid or cfg.data.jglue_dir}
    return finetune_card(cfg, spec, metrics, files, rows)


def export_card(source: Card, record: dict[str, Any], agreement: str, output: str | Path) -> Card:
    """An export's card: the original's, with the export's weights, runtime and measured agreement
    (``agreement``: the one-line description ``jbert export`` prints)."""
    kind = f"{record['format']} {record.get('quantize') or 'fp32'}"
    source.notes = [f"Exported ({kind}) from `{record.get('source')}` by `jbert export`; against the original "
                    f"fp32 model on `{record.get('agreement', {}).get('data')}`: {agreement} "
                    "(`jbert_export.json` has every figure). The scores below are the original's."]
    source.name, source.path = Path(str(output)).name, str(output)
    if record["format"] == "onnx":
        source.library_name, source.weights = "onnx", record["file"]
    return source


# --- writing -----------------------------------------------------------------------------------------


def write_card(out: str | Path, card: Card) -> Path:
    """Write ``OUT/README.md``; the base model's licence is looked up here (its card or config)."""
    path = Path(out) / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(card), encoding="utf-8")
    return path


def render(card: Card) -> str:
    from huggingface_hub import ModelCard

    return str(ModelCard(f"---\n{card_data(card).to_yaml()}\n---\n\n{body(card)}"))


def card_data(card: Card) -> Any:
    """The front matter as huggingface_hub's ``ModelCardData``."""
    from huggingface_hub import ModelCardData

    task_type, _ = HEAD_TASKS[card.head]
    base = hub_id(card.base_model)
    return ModelCardData(
        language="ja", license=base_license(card.base_model), library_name=card.library_name,
        base_model=base, datasets=[JGLUE_DATASET] if card.jglue else None,
        metrics=sorted({_metric_type(k) for k in scores(card.metrics)}) or None,
        pipeline_tag=None if task_type in NO_PIPELINE else task_type,
        tags=["jbert", "japanese", card.task], model_name=card.name, eval_results=eval_results(card) or None,
    )


def scores(metrics: dict[str, float]) -> dict[str, float]:
    """The validation scores of a metrics dict (no bookkeeping, no training loss)."""
    return {k: float(v) for k, v in metrics.items() if k not in NOT_SCORES and isinstance(v, (int, float))
            and not k.endswith(("_runtime", "_per_second"))}


def eval_results(card: Card) -> list[Any]:
    from huggingface_hub import EvalResult

    task_type, _ = HEAD_TASKS[card.head]
    if card.jglue:
        dataset = {"dataset_type": JGLUE_DATASET, "dataset_name": f"JGLUE {JGLUE_CONFIGS[card.task]}",
                   "dataset_config": JGLUE_CONFIGS[card.task], "dataset_split": "validation"}
    else:
        # pre-training without --valid FILE holds out a share of the corpus itself
        valid = card.files.get("valid") or (card.files.get("corpus") if card.head == "mlm" else None)
        if valid is None or not scores(card.metrics):
            return []  # no held-out set: nothing was scored
        dataset = {"dataset_type": _builder(valid), "dataset_name": Path(valid).name, "dataset_split": "validation"}
    return [EvalResult(task_type=task_type, task_name=card.task, metric_type=_metric_type(key), metric_name=key,
                       metric_value=round(value, 6), **dataset) for key, value in scores(card.metrics).items()]


def _metric_type(key: str) -> str:
    return METRIC_TYPES.get(key, key)


def _builder(path: str) -> str:
    """The Hub's dataset builder for a local file (json, csv, text), as the type of a local dataset."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".tsv": "csv", ".txt": "text", ".conll": "conll"}.get(suffix, "json")


def hub_id(name_or_path: str | None) -> str | None:
    """``name_or_path`` when it names a Hub repository (not a local directory), else None."""
    if not name_or_path or Path(name_or_path).exists() or not _HUB_ID.match(name_or_path):
        return None
    return name_or_path


def base_license(name_or_path: str | None) -> str | None:
    """The licence the base model declares in its own card (or ``config.json``): a local directory's
    files, or a Hub model's files in the local cache (never the network)."""
    if not name_or_path:
        return None
    return _card_license(_base_file(name_or_path, CARD_FILE)) or _config_license(_base_file(name_or_path, "config.json"))


def _base_file(name_or_path: str, filename: str) -> Path | None:
    local = Path(name_or_path) / filename
    if local.is_file():
        return local
    if hub_id(name_or_path) is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(name_or_path, filename)
    return Path(cached) if isinstance(cached, str) else None


def _card_license(path: Path | None) -> str | None:
    if path is None:
        return None
    from huggingface_hub import ModelCard

    try:
        return ModelCard.load(path).data.license
    except (OSError, ValueError):  # no front matter, or not YAML: the card names no licence
        return None


def _config_license(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("license")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


# --- the body ----------------------------------------------------------------------------------------


def body(card: Card) -> str:
    """Task, data, training configuration, validation metrics and how to load it, in Markdown."""
    parts = [f"# {card.name}", "", _summary(card), ""]
    if base_license(card.base_model) is None:
        parts += ["No licence is recorded: the base model's card names none here. Check the base model's and the "
                  "training data's licences before sharing this model.", ""]
    parts += [*card.notes, ""] if card.notes else []
    parts += ["## Data", "", *(f"- {role}: `{path}`" for role, path in card.files.items()), ""]
    if card.training:
        parts += ["## Training configuration", "", "| setting | value |", "| --- | --- |"]
        parts += [f"| {k} | {v} |" for k, v in card.training.items()] + [""]
    parts += _metrics_section(card)
    parts += ["## How to load it", "", "```python", _usage(card), "```", "",
              f"With jbert: `jbert predict --model {card.path} FILE` and `jbert eval --model {card.path} --data FILE`."
              if card.head != "mlm" else f"With jbert: `jbert finetune TASK --model {card.path} ...` starts from it.", ""]
    return "\n".join(parts)


def _summary(card: Card) -> str:
    base = f" from `{card.base_model}`" if card.base_model else ""
    if card.head == "mlm":
        return f"A Japanese masked-language model pre-trained{base} with `jbert pretrain`."
    return f"A Japanese {DESCRIPTIONS[card.head]} model ({card.task}) fine-tuned{base} with `jbert finetune`."


def _metrics_section(card: Card) -> list[str]:
    values = scores(card.metrics)
    if not values:
        return ["## Validation", "", "No held-out set was scored.", ""]
    unit = "held-out blocks" if card.head == "mlm" else "rows"
    rows = f"{card.valid_rows} {unit} of " if card.valid_rows else ""
    where = (f"the official JGLUE {JGLUE_CONFIGS[card.task]} validation split" if card.jglue
             else f"`{card.files.get('valid', 'a held-out share of the corpus')}`")
    lines = ["## Validation", "", f"Scored on {rows}{where}.", "", "| metric | value |", "| --- | --- |"]
    return lines + [f"| {k} | {v:.4f} |" for k, v in values.items()] + [""]


_INPUTS = {
    "classification": '"この映画は最高でした。"',
    "pair-classification": '"猫がソファで寝ている。", "猫が眠っている。"',
    "pair-regression": '"猫がソファで寝ている。", "猫が眠っている。"',
    "token": '"山田太郎は東京に住んでいる。"',
    "span": '"日本の首都は？", "日本の首都は東京である。"',
    # one question against each choice, then a batch axis of one question: [1, choices, tokens]
    "choice": '["日本の首都は？"] * 2, ["東京", "大阪"], padding=True',
    "reranker": '"日本の首都は？", "日本の首都は東京である。"',
    "embedding": '"猫がソファで寝ている。"',
}


def _usage(card: Card) -> str:
    path = card.path
    if card.head == "embedding" and not card.weights:  # its own format: sentence-transformers reads the pooling
        return (f'from sentence_transformers import SentenceTransformer\n\nmodel = SentenceTransformer("{path}")\n'
                'print(model.encode(["猫がソファで寝ている。", "猫が眠っている。"]).shape)')
    if card.head == "mlm":
        return (f'from transformers import pipeline\n\nfill = pipeline("fill-mask", model="{path}")\n'
                'print(fill("東北大学で[MASK]の研究をしています。"))')
    # the graph takes what the model took; the names filter below drops what it does not
    tensors = '"np", return_token_type_ids=True' if card.weights else '"pt"'
    inputs = f"inputs = tokenizer({_INPUTS[card.head]}, return_tensors={tensors})"
    if card.head == "choice":
        inputs += "\ninputs = {k: v[None] for k, v in inputs.items()}"
    if card.weights:  # ONNX: the same tokenizer files, the graph run by ONNX Runtime
        return (f'import onnxruntime as ort\nfrom transformers import AutoTokenizer\n\n'
                f'tokenizer = AutoTokenizer.from_pretrained("{path}")\n'
                f'session = ort.InferenceSession("{path}/{card.weights}")\n{inputs}\n'
                "names = {i.name for i in session.get_inputs()}\n"
                "print(session.run(None, {k: v for k, v in inputs.items() if k in names})[0])")
    _, auto = HEAD_TASKS[card.head]
    return (f"import torch\nfrom transformers import {auto}, AutoTokenizer\n\n"
            f'tokenizer = AutoTokenizer.from_pretrained("{path}")\n'
            f'model = {auto}.from_pretrained("{path}").eval()\n{inputs}\n'
            f"with torch.no_grad():\n    print(model(**inputs){'' if card.head == 'span' else '.logits'})"
            "  # labels: model.config.id2label")
