"""Build data/pretrain/ from a JGLUE v1.3 checkout (how the bundled corpus was made; rerun to check).

    python scripts/make_pretrain_corpus.py JGLUE/datasets data/pretrain

- wiki.txt: the JSQuAD valid contexts (Wikipedia paragraphs), deduplicated, one article a document
  (title line, then its paragraphs; blank line between articles). JSQuAD test is left out: it is a
  held-out evaluation set and stays unseen by anything trained here.
- captions.txt: JSTS train sentences (YJ Captions), deduplicated, one a line, minus every sentence of
  JSTS valid and test, so the JSTS scores of a model pre-trained on it stay clean.
- questions.txt: JCommonsenseQA train questions, deduplicated, one a line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(jglue: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    held_out = {r[k] for split in ("valid", "test") for r in jsonl(jglue / "jsts-v1.3" / f"{split}-v1.3.json")
                for k in ("sentence1", "sentence2")}
    squad = json.loads((jglue / "jsquad-v1.3" / "valid-v1.3.json").read_text(encoding="utf-8"))
    seen: set[str] = set()
    articles = []
    for article in squad["data"]:
        paragraphs = []
        for p in article["paragraphs"]:
            text = p["context"].split(" [SEP] ", 1)[-1].strip()  # contexts are "title [SEP] paragraph"
            if text and text not in seen and text not in held_out:
                seen.add(text)
                paragraphs.append(text)
        if paragraphs:
            articles.append("\n".join([article["title"], *paragraphs]))
    (out / "wiki.txt").write_text("\n\n".join(articles) + "\n", encoding="utf-8")
    captions = dict.fromkeys(r[k] for r in jsonl(jglue / "jsts-v1.3" / "train-v1.3.json") for k in ("sentence1", "sentence2"))
    (out / "captions.txt").write_text("\n".join(c for c in captions if c not in held_out) + "\n", encoding="utf-8")
    questions = dict.fromkeys(r["question"] for r in jsonl(jglue / "jcommonsenseqa-v1.3" / "train-v1.3.json"))
    (out / "questions.txt").write_text("\n".join(q for q in questions if q not in held_out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
