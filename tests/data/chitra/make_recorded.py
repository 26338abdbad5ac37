"""Record chiTra's own tokenizer (sudachitra's BertSudachipyTokenizer) on the JGLUE validation texts.

Run in an environment with sudachitra (it needs transformers 4.x: transformers 5 has no
``tokenization_bert.WordpieceTokenizer``), from the repository root:

    python -m venv /tmp/chitra && /tmp/chitra/bin/pip install "transformers<4.50" sudachitra
    /tmp/chitra/bin/python tests/data/chitra/make_recorded.py

Writes ``vocab.txt`` (specials, every character plain and ##-continued, the 1,500 most frequent chiTra-1.1
word forms of the bundled JGLUE text) and ``recorded.json``: per chiTra configuration, the ids of every text
and of every JNLI / JSTS pair. tests/tokenization/test_chitra.py compares jbert's tokenizer with them.
"""

from __future__ import annotations

import importlib.metadata
import json
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
BASE = {"tokenizer_class": "BertSudachipyTokenizer", "do_word_tokenize": True, "do_subword_tokenize": True,
        "word_tokenizer_type": "sudachipy", "subword_tokenizer_type": "wordpiece", "model_max_length": 512}
# chiTra-1.0 / 1.1 as its pre-training README builds them (split mode C, core, NFKC), and one with every
# normaliser flag and another word form
CONFIGS = {
    "chiTra-1.0": {**BASE, "do_lower_case": False, "do_nfkc": True, "word_form_type": "normalized_and_surface",
                   "sudachipy_kwargs": {"split_mode": "C", "dict_type": "core"}},
    "chiTra-1.1": {**BASE, "do_lower_case": False, "do_nfkc": True, "word_form_type": "normalized_nouns",
                   "sudachipy_kwargs": {"split_mode": "C", "dict_type": "core"}},
    "strip-lower-A-dictionary": {**BASE, "do_strip": True, "do_lower_case": True, "do_nfkc": True,
                                 "word_form_type": "dictionary_and_surface_half_ascii",
                                 "sudachipy_kwargs": {"split_mode": "A", "dict_type": "core"}},
}


def texts() -> tuple[list[str], list[list[str]]]:
    """The JGLUE validation texts (JSTS, JNLI, JCommonsenseQA questions and choices), the hard strings, and the
    JSTS / JNLI pairs."""
    singles, pairs = [], []
    for task in ("jsts", "jnli"):
        for line in (DATA / "jglue" / f"{task}-valid.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            singles += [row["sentence1"], row["sentence2"]]
            pairs.append([row["sentence1"], row["sentence2"]])
    for line in (DATA / "jglue" / "jcommonsenseqa-valid.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        singles += [row["question"]] + [row[f"choice{i}"] for i in range(5)]
    singles += json.loads((DATA / "tokenization" / "hard_strings.json").read_text(encoding="utf-8"))
    singles += ["東京 [SEP] 大阪", "  前後に空白  ", "ＡＢＣの[MASK]です", "İstanbulとΣΑΣ"]
    return singles, pairs


def vocab(singles: list[str]) -> list[str]:
    from sudachipy import Dictionary, SplitMode
    from sudachitra.word_formatter import word_formatter
    from tokenizers.normalizers import NFKC

    dictionary = Dictionary(dict="core")
    tokenizer, form = dictionary.create(SplitMode.C), word_formatter("normalized_nouns", dictionary)
    words = Counter(form(m) for t in singles for m in tokenizer.tokenize(NFKC().normalize_str(t)))
    chars = sorted({c for w in words for c in w if not c.isspace()} | {c for t in singles for c in t.lower()
                                                                         if not c.isspace()})
    out = SPECIALS + chars + ["##" + c for c in chars]
    seen = set(out)
    return out + [w for w, _ in words.most_common() if len(w) > 1 and w not in seen and w.strip()][:1500]


def main() -> None:
    from sudachitra import BertSudachipyTokenizer

    singles, pairs = texts()
    (HERE / "vocab.txt").write_text("".join(t + "\n" for t in vocab(singles)), encoding="utf-8")
    outputs = {}
    for name, config in CONFIGS.items():
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "vocab.txt").write_bytes((HERE / "vocab.txt").read_bytes())
            (Path(tmp) / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
            tok = BertSudachipyTokenizer.from_pretrained(tmp)
            outputs[name] = {"texts": [tok(t)["input_ids"] for t in singles],
                             "pairs": [tok(a, b)["input_ids"] for a, b in pairs],
                             "tokens": [tok.tokenize(t) for t in singles[:5]]}
    versions = {p: importlib.metadata.version(p) for p in ("SudachiTra", "SudachiPy", "SudachiDict-core",
                                                            "transformers", "tokenizers")}
    record = {"source": "sudachitra's BertSudachipyTokenizer, written by tests/data/chitra/make_recorded.py",
              "versions": versions, "configs": CONFIGS, "texts": singles, "pairs": pairs, "outputs": outputs}
    (HERE / "recorded.json").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
