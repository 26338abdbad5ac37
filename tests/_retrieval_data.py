"""Small retrieval and reranker sets made from the JSQuAD test slices (tests/data/jglue), and a hand-made
set with known ranks, shared by the reranker, evaluation, report and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


# A hand-made retrieval set whose ranks are known exactly: five documents as vectors on four axes
# (d4 between d0 and d1), three queries near them with small, distinct off-axis parts (no tied scores).
HAND_DOCS = {"d0": "犬", "d1": "猫", "d2": "鳥", "d3": "魚", "d4": "犬猫"}
HAND_QUERIES = {"q1": "犬?", "q2": "鳥魚?", "q3": "猫?"}
HAND_QRELS = {"q1": "d0", "q2": "d3", "q3": "d2"}
HAND_VECTORS = {
    "犬": [1, 0, 0, 0], "猫": [0, 1, 0, 0], "鳥": [0, 0, 1, 0], "魚": [0, 0, 0, 1], "犬猫": [1, 1, 0, 0],
    # q1: d0 1, d4 .78, d1 .1, d2 .02, d3 .01 -> d0 first
    "犬?": [1, 0.1, 0.02, 0.01],
    # q2: d2 1, d3 .5, d0 .05, d4 .042, d1 .01 -> its fish (d3) second
    "鳥魚?": [0.05, 0.01, 1, 0.5],
    # q3: d1 1, d4 .78, d0 .1, d3 .02, d2 .01 -> its bird (d2) last
    "猫?": [0.1, 1, 0.01, 0.02],
}


def hand_encode(texts: list[str], as_: str) -> Any:
    import numpy as np

    return np.array([HAND_VECTORS[t] for t in texts], dtype=np.float32)


def hand_cosine(query: str, doc: str) -> float:
    import numpy as np

    q, d = np.array(HAND_VECTORS[query], dtype=np.float32), np.array(HAND_VECTORS[doc], dtype=np.float32)
    return float(q @ d / (np.linalg.norm(q) * np.linalg.norm(d)))


def prefers_fish(pairs: list[tuple[str, str]]) -> list[float]:
    """A reranker: the fish 0.9, a document the query contains 0.5, anything else 0.1."""
    return [0.9 if doc == "魚" else 0.5 if doc in query else 0.1 for query, doc in pairs]


def write_hand_set(folder: Path) -> dict[str, str]:
    """The hand-made set as files under ``folder``: RetrievalConfig's queries, corpus and qrels."""
    corpus = "".join(json.dumps({"id": d, "text": t}, ensure_ascii=False) + "\n" for d, t in HAND_DOCS.items())
    (folder / "corpus.jsonl").write_text(corpus, encoding="utf-8")
    (folder / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in HAND_QUERIES.items()), encoding="utf-8")
    (folder / "qrels.tsv").write_text("".join(f"{q}\t{d}\t1\n" for q, d in HAND_QRELS.items()), encoding="utf-8")
    return {"queries": str(folder / "queries.tsv"), "corpus": str(folder / "corpus.jsonl"),
            "qrels": str(folder / "qrels.tsv")}
