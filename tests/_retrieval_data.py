"""Small retrieval and reranker sets made from the JSQuAD test slices (tests/data/jglue), shared by the
reranker, evaluation and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

JSQUAD = Path(__file__).parent / "data" / "jglue"


def squad_pairs(split: str = "train") -> tuple[list[dict], list[str]]:
    """(questions as {"id", "question", "context"}, distinct contexts in file order)."""
    data = json.loads((JSQUAD / f"jsquad-{split}.json").read_text(encoding="utf-8"))
    questions, contexts = [], []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            if paragraph["context"] not in contexts:
                contexts.append(paragraph["context"])
            questions += [{"id": qa["id"], "question": qa["question"], "context": paragraph["context"]}
                          for qa in paragraph["qas"]]
    return questions, contexts


def reranker_rows(split: str = "train", negatives: int = 2, grouped: bool = True, limit: int | None = None) -> list[dict]:
    """Per question: its paragraph (label 1) and the next ``negatives`` paragraphs (label 0)."""
    questions, contexts = squad_pairs(split)
    rows = []
    for q in questions[:limit]:
        at = contexts.index(q["context"])
        docs = [(q["context"], 1)] + [(contexts[(at + j) % len(contexts)], 0) for j in range(1, negatives + 1)]
        for n, (doc, label) in enumerate(docs):
            row = {"id": f"{q['id']}-{n}", "query": q["question"], "document": doc, "label": label}
            rows.append({**row, "query_id": q["id"]} if grouped else row)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
