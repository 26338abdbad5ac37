"""The sentence-transformers model directory: what ``SentenceTransformer(DIR)`` reads, written and read here.

    DIR/
      config.json, model.safetensors, vocab.txt ...   the transformer (module 0, at the top level)
      modules.json                                     the module chain: Transformer -> Pooling [-> Normalize]
      sentence_bert_config.json                        max_seq_length
      1_Pooling/config.json                            the pooling mode
      2_Normalize/                                     present when vectors are L2-normalised
      config_sentence_transformers.json                prompts (query / document prefixes)

Written by hand (plain JSON) rather than by ``SentenceTransformer.save`` so that training and
encoding need no sentence-transformers install; the module type names are the long-standing
``sentence_transformers.models.*`` ones, which every sentence-transformers release since 2.x loads
(6.x maps them to its new locations), and the pooling config carries the legacy ``pooling_mode_*``
keys for the same reason. Only the chain jbert runs is accepted: a directory with other modules
(Dense, a Router, a transformer in a sub-folder ...) is refused with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jbert.errors import ConfigError

MODULES_FILE = "modules.json"
ST_CONFIG_FILE = "config_sentence_transformers.json"
SBERT_CONFIG_FILE = "sentence_bert_config.json"
POOLING_DIR, NORMALIZE_DIR = "1_Pooling", "2_Normalize"
POOLINGS = {"mean": "mean", "cls": "cls", "last": "lasttoken"}  # jbert's name -> sentence-transformers' mode
_LEGACY_MODES = {"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens", "mean": "pooling_mode_mean_tokens",
                 "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
                 "weightedmean": "pooling_mode_weightedmean_tokens", "lasttoken": "pooling_mode_lasttoken"}
_DOCUMENT_PROMPTS = ("document", "passage", "corpus")  # names models on the hub use for the document side
_MODULE_KINDS = {"Transformer": "transformer", "Pooling": "pooling", "Normalize": "normalize"}


@dataclass
class StSettings:
    """What a sentence-transformers directory says about turning token vectors into one vector."""

    pooling: str = "mean"  # jbert's name: mean | cls | last
    normalize: bool = False
    prompts: dict[str, str] = field(default_factory=dict)  # "query" / "document" -> prefix
    max_seq_length: int | None = None
    include_prompt: bool = True
    # what the directory's prompts are called where that is not the role's name ({"document": "passage"}),
    # the prompts jbert does not use, and the default prompt: written back as they were, so that code
    # calling encode(..., prompt_name="passage") on the source model works on the fine-tuned one too
    prompt_names: dict[str, str] = field(default_factory=dict)
    other_prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None


def is_st_dir(path: str | Path) -> bool:
    return (Path(path) / MODULES_FILE).is_file()


def read_st(path: str | Path) -> StSettings:
    """The settings of a sentence-transformers directory; ConfigError for a module chain jbert cannot run."""
    path = Path(path)
    modules = _read_json(path / MODULES_FILE)
    if not isinstance(modules, list):
        raise ConfigError(f"{path / MODULES_FILE}: expected a list of modules")
    kinds = [(_kind(m.get("type", ""), path), m.get("path", "")) for m in modules]
    names = [k for k, _ in kinds]
    if names not in (["transformer", "pooling"], ["transformer", "pooling", "normalize"]):
        raise ConfigError(f"{path}: sentence-transformers modules {names} are not supported; jbert runs "
                          "Transformer -> Pooling [-> Normalize]")
    if kinds[0][1] not in ("", "."):
        raise ConfigError(f"{path}: the transformer lives in the sub-folder {kinds[0][1]!r}; jbert reads "
                          "sentence-transformers directories whose transformer is at the top level")
    settings = _pooling(path / kinds[1][1])
    settings.normalize = names[-1] == "normalize"
    settings.prompts, settings.prompt_names, settings.other_prompts, settings.default_prompt_name = _prompts(path)
    settings.max_seq_length = _max_seq_length(path)
    return settings


def max_seq_length(path: str | Path) -> int | None:
    """The tokens a sentence-transformers model reads (a cross-encoder's too): see ``_max_seq_length``."""
    return _max_seq_length(Path(path))


def _max_seq_length(path: Path) -> int | None:
    """sentence_bert_config.json's ``max_seq_length``; sentence-transformers 6 keeps it as the tokenizer's
    ``model_max_length`` instead (transformers writes a huge number there for "no limit"); None: the
    model's own limit."""
    for file, key in ((SBERT_CONFIG_FILE, "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        config = _read_json(path / file) if (path / file).is_file() else {}
        value = config.get(key) if isinstance(config, dict) else None
        if isinstance(value, int) and 0 < value < 1_000_000:
            return value
    return None


def write_st(path: str | Path, settings: StSettings, dimension: int) -> None:
    """The sentence-transformers files beside a saved transformer (weights and tokenizer already there)."""
    path = Path(path)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": POOLING_DIR, "type": "sentence_transformers.models.Pooling"}]
    if settings.normalize:
        modules.append({"idx": 2, "name": "2", "path": NORMALIZE_DIR, "type": "sentence_transformers.models.Normalize"})
        (path / NORMALIZE_DIR).mkdir(exist_ok=True)
    mode = POOLINGS[settings.pooling]
    pooling = {"word_embedding_dimension": dimension, "pooling_mode": mode,
               **{key: name == mode for name, key in _LEGACY_MODES.items()}, "include_prompt": settings.include_prompt}
    (path / POOLING_DIR).mkdir(exist_ok=True)
    _write_json(path / POOLING_DIR / "config.json", pooling)
    _write_json(path / MODULES_FILE, modules)
    _write_json(path / SBERT_CONFIG_FILE, {"max_seq_length": settings.max_seq_length, "do_lower_case": False})
    prompts = {**settings.other_prompts,
               **{settings.prompt_names.get(role, role): prefix for role, prefix in settings.prompts.items()}}
    default = settings.default_prompt_name if settings.default_prompt_name in prompts else None
    _write_json(path / ST_CONFIG_FILE, {"prompts": prompts, "default_prompt_name": default,
                                        "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"})


def _kind(type_name: str, path: Path) -> str:
    short = type_name.rsplit(".", 1)[-1]
    if short not in _MODULE_KINDS:
        raise ConfigError(f"{path}: sentence-transformers module {type_name!r} is not supported; jbert runs "
                          "Transformer -> Pooling [-> Normalize]")
    return _MODULE_KINDS[short]


def _pooling(folder: Path) -> StSettings:
    config = _read_json(folder / "config.json")
    mode = config.get("pooling_mode")
    if mode is None:  # the legacy layout: one boolean per mode
        modes = [name for name, key in _LEGACY_MODES.items() if config.get(key)]
        mode = modes[0] if len(modes) == 1 else modes
    if isinstance(mode, list) and len(mode) == 1:
        mode = mode[0]
    ours = {v: k for k, v in POOLINGS.items()}
    if not isinstance(mode, str) or mode not in ours:
        raise ConfigError(f"{folder}: pooling {mode!r} is not supported; jbert pools with {', '.join(POOLINGS.values())}")
    return StSettings(pooling=ours[mode], include_prompt=bool(config.get("include_prompt", True)))


def _prompts(path: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str], str | None]:
    """(role -> prefix, role -> the file's name for it where the two differ, the other prompts, the
    default prompt's name) from config_sentence_transformers.json."""
    file = path / ST_CONFIG_FILE
    config = _read_json(file) if file.is_file() else {}
    prompts = config.get("prompts") or {}
    document = next((k for k in _DOCUMENT_PROMPTS if prompts.get(k)), None)
    names = {role: name for role, name in (("query", "query"), ("document", document)) if name and prompts.get(name)}
    others = {k: v for k, v in prompts.items() if k not in names.values()}
    renamed = {role: name for role, name in names.items() if name != role}
    return {role: prompts[name] for role, name in names.items()}, renamed, others, config.get("default_prompt_name")


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: not found; the sentence-transformers directory is incomplete") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file}: cannot read ({exc})".replace("\n", " ")) from exc


def _write_json(file: Path, value: Any) -> None:
    file.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
