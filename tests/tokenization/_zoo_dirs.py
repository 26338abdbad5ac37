"""Hub-like BertJapaneseTokenizer directories built from one MeCab dictionary's words (for the doctor tests).

`tohoku_dir(out, "ipadic", silent=True)` mimics cl-tohoku/bert-base-japanese: a vocabulary built from ipadic
words and a tokenizer_config.json that names no dictionary, as the real repository's does
(``{"do_lower_case": false, "word_tokenizer_type": "mecab", "subword_tokenizer_type": "wordpiece"}``).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

from jbert.tokenization.dictprobe import mecab_kwargs_for
from jbert.tokenization.segmenters.mecab import make_tagger, segment

REPO = Path(__file__).parents[2]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def vocab_texts() -> list[str]:
    """JSTS train sentences and corpus.txt lines after the first 1,000 (those are the probe text)."""
    texts = (REPO / "data" / "sample" / "corpus.txt").read_text(encoding="utf-8").splitlines()[1000:]
    for line in (REPO / "data" / "sample" / "jsts-train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["sentence1"], row["sentence2"]]
    return texts


def build_vocab(dictionary: str, size: int = 4000) -> list[str]:
    """Specials, every character (plain and ##), then the dictionary's most frequent words."""
    tagger = make_tagger(mecab_kwargs_for(dictionary))
    words: Counter[str] = Counter()
    for text in vocab_texts():
        words.update(segment(tagger, unicodedata.normalize("NFKC", text)))
    chars = sorted({c for w in words for c in w})
    vocab = SPECIALS + chars + ["##" + c for c in chars]
    seen = set(vocab)
    for word, _ in words.most_common():
        if len(vocab) >= size:
            break
        if len(word) > 1 and word not in seen:
            vocab.append(word)
            seen.add(word)
    return vocab


def tohoku_dir(out: Path, dictionary: str, *, silent: bool, subword: str = "wordpiece") -> Path:
    """A tokenizer directory whose vocabulary comes from `dictionary`; `silent`: no mecab_kwargs (Tohoku v1)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.txt").write_text("\n".join(build_vocab(dictionary)) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "BertJapaneseTokenizer", "do_lower_case": False,
              "word_tokenizer_type": "mecab", "subword_tokenizer_type": subword, "model_max_length": 512}
    if not silent:
        config["mecab_kwargs"] = mecab_kwargs_for(dictionary)
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return out
