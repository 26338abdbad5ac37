"""Figures for docs/doctor.md: the dictionary doctor on Tohoku-v1-like tokenizers and real JGLUE text.

    python scripts/doctor_figures.py /path/to/jglue [--vocab-size 8000] [--limit 3000]

Trains two MeCab+WordPiece vocabularies with jbert's trainer (ipadic and unidic_lite words) on JGLUE text
that is not evaluated (JSQuAD test contexts, JSTS train, JCommonsenseQA train), blanks their mecab_kwargs
(as cl-tohoku/bert-base-japanese's config is), then reports on JGLUE valid text: the probe figures per
dictionary, how many texts ipadic and unidic_lite segment alike, how many get other ids with transformers'
default dictionary, and whether jbert's ids equal BertJapaneseTokenizer's with the chosen dictionary.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import unicodedata
from pathlib import Path


def _jsonl(path: Path, *keys: str) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row[k] for row in rows for k in keys]


def _squad(path: Path, questions: bool) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs = [p for article in data for p in article["paragraphs"]]
    texts = [p["context"] for p in paragraphs]
    return texts + ([qa["question"] for p in paragraphs for qa in p["qas"]] if questions else [])


def corpora(jglue: Path) -> tuple[list[str], list[str]]:
    """(training text, JGLUE valid text)."""
    train = (_squad(jglue / "jsquad-v1.3" / "test-v1.3.json", questions=False)
             + _jsonl(jglue / "jsts-v1.3" / "train-v1.3.json", "sentence1", "sentence2")
             + _jsonl(jglue / "jcommonsenseqa-v1.3" / "train-v1.3.json", "question"))
    valid = (_jsonl(jglue / "jsts-v1.3" / "valid-v1.3.json", "sentence1", "sentence2")
             + _jsonl(jglue / "jnli-v1.3" / "valid-v1.3.json", "sentence1", "sentence2")
             + _jsonl(jglue / "jcommonsenseqa-v1.3" / "valid-v1.3.json", "question")
             + _squad(jglue / "jsquad-v1.3" / "valid-v1.3.json", questions=True))
    return train, valid


def silent_tokenizer(corpus: Path, dictionary: str, vocab_size: int, out: Path) -> Path:
    from jbert.tokenization.train import train_tokenizer

    train_tokenizer(corpus, "mecab-wordpiece", vocab_size, out, progress=False, dictionary=dictionary)
    config = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.pop("mecab_kwargs", None)
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "jbert_tokenizer.json").unlink()
    return out


def report(path: Path, texts: list[str]) -> dict:
    import warnings

    from transformers import BertJapaneseTokenizer

    from jbert.tokenization.dictchoice import dictionary_verdict
    from jbert.tokenization.dictprobe import probe_dictionaries
    from jbert.tokenization.loading import load_tokenizer

    config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    vocab = {t: i for i, t in enumerate((path / "vocab.txt").read_text(encoding="utf-8").splitlines())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tok = load_tokenizer(path, mecab_threads=0)
    ours = tok(texts)["input_ids"]
    chosen = BertJapaneseTokenizer.from_pretrained(path, mecab_kwargs=tok.mecab_kwargs)(texts)["input_ids"]
    default = BertJapaneseTokenizer.from_pretrained(path)(texts)["input_ids"]
    return {
        "chosen": tok.mecab_kwargs,
        "probe_bundled": dictionary_verdict(str(path), config).to_dict(),
        "probe_jglue_valid": probe_dictionaries(vocab, texts=texts).to_dict(),
        "texts": len(texts),
        "ids_equal_BertJapaneseTokenizer_with_choice": sum(a == b for a, b in zip(ours, chosen, strict=True)),
        "ids_equal_transformers_default": sum(a == b for a, b in zip(ours, default, strict=True)),
    }


def same_segmentation(texts: list[str]) -> int:
    from jbert.tokenization.dictprobe import mecab_kwargs_for
    from jbert.tokenization.segmenters.mecab import make_tagger, segment

    ipa, uni = make_tagger(mecab_kwargs_for("ipadic")), make_tagger(mecab_kwargs_for("unidic_lite"))
    norm = [unicodedata.normalize("NFKC", t) for t in texts]
    return sum(segment(ipa, t) == segment(uni, t) for t in norm)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("jglue", type=Path)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--limit", type=int, default=3000)
    args = parser.parse_args()
    train, valid = corpora(args.jglue)
    valid = valid[: args.limit]
    out = {"valid_texts": len(valid), "same_segmentation_ipadic_unidic_lite": same_segmentation(valid)}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(t.replace("\n", " ") for t in train) + "\n", encoding="utf-8")
        for dictionary in ("ipadic", "unidic_lite"):
            path = silent_tokenizer(corpus, dictionary, args.vocab_size, Path(tmp) / dictionary)
            out[f"silent_{dictionary}"] = report(path, valid)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
