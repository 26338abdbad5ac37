"""Hub-like model directories for the model zoo matrix, written by the test (no hub here).

Each family mimics one real repository: its ``config.json`` fields and ``architectures``, its
tokenizer class, files and ``tokenizer_config.json`` options, with tiny sizes (hidden 32, 2 layers)
and a vocabulary trained here on the bundled Japanese text, the way the real one was made (MeCab
with the family's dictionary + WordPiece, characters, Sudachi, or SentencePiece). The weights are
random. ``Family.reference`` is the tokenizer the model was pre-trained with: the ids every jbert
stage and every plain ``transformers`` client must reproduce.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


@dataclass(frozen=True)
class Family:
    name: str
    mimics: str  # the hub repository whose files this family copies
    build: Callable[[Path], None]
    reference: Callable[[Path], Any]  # the pre-training tokenizer for a built directory
    positions_from_zero: bool = False  # its model card passes position_ids = arange(len) (rinna)
    plain: Callable[[Path], Any] | None = None  # what a user loads a jbert output with (None: AutoTokenizer)


# --- text and vocabularies -----------------------------------------------------------------------


def corpus() -> list[str]:
    """Every Japanese string of the bundled data (sample corpus, JGLUE slices, NER, MARC-ja), NFKC."""
    lines = (TESTS.parent / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()
    for path in sorted(DATA.glob("jglue/*.jsonl")) + [DATA / "marc_ja" / "train.jsonl", DATA / "ner" / "train.jsonl"]:
        for raw in path.read_text(encoding="utf-8").splitlines():
            lines += [v for v in json.loads(raw).values() if isinstance(v, str)]
    for name in ("jsquad-train.json", "jsquad-valid.json"):
        squad = json.loads((DATA / "jglue" / name).read_text(encoding="utf-8"))
        for par in (p for art in squad["data"] for p in art["paragraphs"]):
            lines += [par["context"].replace(" [SEP] ", " ")] + [qa["question"] for qa in par["qas"]]
    return [unicodedata.normalize("NFKC", line) for line in lines if line.strip()]


def mecab_words(dic: str) -> Callable[[str], list[str]]:
    import fugashi

    if dic == "ipadic":
        ipadic = pytest.importorskip("ipadic")  # in the dev extra (pip install ipadic)

        tagger = fugashi.GenericTagger(ipadic.MECAB_ARGS)
    else:
        import unidic_lite

        tagger = fugashi.GenericTagger(f'-d "{unidic_lite.DICDIR}" -r /dev/null')
    return lambda text: [w.surface for w in tagger(text)]


def sudachi_words(mode: str = "C") -> Callable[[str], list[str]]:
    pytest.importorskip("sudachidict_core")  # in the dev extra, with sudachipy
    from sudachipy import Dictionary, SplitMode

    tokenizer = Dictionary(dict="core").create(getattr(SplitMode, mode))
    return lambda text: [m.surface() for m in tokenizer.tokenize(text) if m.surface().strip()]


def wordpiece_vocab(split: Callable[[str], list[str]], words_kept: int = 1500) -> list[str]:
    """Specials, every character (plain and ##-continued), then the ``words_kept`` most frequent words."""
    words: Counter[str] = Counter(w for line in corpus() for w in split(line) if w.strip())
    chars = sorted({c for w in words for c in w})
    vocab = SPECIALS + chars + ["##" + c for c in chars]
    seen = set(vocab)
    return vocab + [w for w, _ in words.most_common() if len(w) > 1 and w not in seen][:words_kept]


def char_vocab() -> list[str]:
    return SPECIALS + sorted({c for line in corpus() for c in line if not c.isspace()})


def train_spm(path: Path, lines: Iterable[str], vocab_size: int = 3000, **pieces: Any) -> int:
    """A SentencePiece unigram model at ``path``; returns its size."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(lines)), model_writer=buffer, vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, hard_vocab_limit=False, minloglevel=2, num_threads=1, **pieces,
    )
    path.write_bytes(buffer.getvalue())
    return spm.SentencePieceProcessor(model_proto=buffer.getvalue()).get_piece_size()


# --- writing a directory ---------------------------------------------------------------------------


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def save_model(out: Path, config: dict[str, Any]) -> None:
    """Random weights of ``config["architectures"][0]``; config.json stays the hub-like dict written here."""
    import torch
    import transformers

    write_json(out / "config.json", config)
    model_config = transformers.AutoConfig.from_pretrained(out)
    torch.manual_seed(0)
    model = getattr(transformers, config["architectures"][0])(model_config)
    model.save_pretrained(out)
    write_json(out / "config.json", config)  # save_pretrained rewrote it with transformers' defaults


def bert_config(architecture: str, vocab_size: int, **extra: Any) -> dict[str, Any]:
    return {
        "architectures": [architecture], "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, **TINY, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512, "model_type": "bert", "pad_token_id": 0, "type_vocab_size": 2,
        "vocab_size": vocab_size, **extra,
    }


def japanese_dir(out: Path, vocab: list[str], tokenizer_config: dict[str, Any], config: dict[str, Any]) -> None:
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    write_json(out / "tokenizer_config.json", tokenizer_config)
    save_model(out, {**config, "vocab_size": len(vocab)})


def fast_tokenizer_json(out: Path) -> None:
    """Add the tokenizer.json the hub repository ships beside its SentencePiece model."""
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(out).backend_tokenizer.save(str(out / "tokenizer.json"))


# --- references -------------------------------------------------------------------------------------


def japanese_reference(**overrides: Any) -> Callable[[Path], Any]:
    """BertJapaneseTokenizer as the model was pre-trained (``overrides``: what the files leave implicit)."""

    def load(path: Path) -> Any:
        from transformers import BertJapaneseTokenizer

        # transformers 5.0 (the floor CI tests) passes a relative spm_file on unresolved; give the full path
        # as users of 5.0 must (later releases resolve it themselves, as jbert does)
        spm = {"spm_file": str(path / "spiece.model")} if (path / "spiece.model").is_file() else {}
        return BertJapaneseTokenizer.from_pretrained(path, **{**spm, **overrides})

    return load


def auto_reference(path: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)
