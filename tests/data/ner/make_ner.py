"""Writes train/valid in CoNLL (IOB2) and JSONL character-span form from the same sentences.

Run from this folder: python make_ner.py. The JSONL rows are derived here by hand-rolled
joining (no spaces, except between two ASCII words), independent of jbert's reader.
"""

import json

TRAIN = [
    "山田/B-PER 太郎/I-PER は/O 東京/B-LOC に/O 住ん/O で/O いる/O 。/O",
    "トヨタ/B-ORG 自動車/I-ORG は/O 愛知/B-LOC 県/I-LOC に/O 本社/O を/O 置く/O 。/O",
    "鈴木/B-PER さん/O が/O 大阪/B-ORG 大学/I-ORG を/O 卒業/O し/O た/O 。/O",
    "ソニー/B-ORG の/O 新/O 製品/O が/O 発表/O さ/O れ/O た/O 。/O",
    "佐藤/B-PER 花子/I-PER は/O 京都/B-LOC を/O 訪れ/O た/O 。/O",
    "New/B-LOC York/I-LOC で/O 国連/B-ORG の/O 会議/O が/O 開か/O れ/O た/O 。/O",
    "田中/B-PER 氏/O は/O 日本/B-ORG 銀行/I-ORG の/O 総裁/O だ/O 。/O",
    "北海道/B-LOC の/O 冬/O は/O 寒い/O 。/O",
    "高橋/B-PER と/O 伊藤/B-PER が/O 名古屋/B-LOC で/O 会っ/O た/O 。/O",
    "パナソニック/B-ORG は/O 大阪/B-LOC に/O ある/O 。/O",
    "今日/O は/O 晴れ/O て/O いる/O 。/O",
    "iPhone/O 15/O を/O Apple/B-ORG が/O 発売/O し/O た/O 。/O",
]
VALID = [
    "中村/B-PER さん/O は/O 福岡/B-LOC に/O 引っ越し/O た/O 。/O",
    "任天堂/B-ORG は/O 京都/B-LOC の/O 会社/O だ/O 。/O",
    "渡辺/B-PER 健/I-PER が/O 東京/B-ORG 大学/I-ORG に/O 入学/O し/O た/O 。/O",
    "横浜/B-LOC の/O 港/O は/O 美しい/O 。/O",
    "Google/B-ORG の/O 社員/O が/O 札幌/B-LOC を/O 訪れ/O た/O 。/O",
    "明日/O は/O 雨/O が/O 降る/O 。/O",
]


def parse(line):
    return [tuple(item.rsplit("/", 1)) for item in line.split()]


def ascii_word(ch):
    return ch.isascii() and ch.isalnum()


def to_jsonl(pairs):
    text, entities, current = "", [], None
    for k, (token, tag) in enumerate(pairs):
        if k and ascii_word(pairs[k - 1][0][-1]) and ascii_word(token[0]):
            text += " "
        start = len(text)
        text += token
        if tag.startswith("B-") or tag == "O":
            if current:
                entities.append(current)
            current = {"start": start, "end": len(text), "label": tag[2:]} if tag != "O" else None
        else:
            current["end"] = len(text)
    if current:
        entities.append(current)
    return {"text": text, "entities": entities}


for name, sentences in (("train", TRAIN), ("valid", VALID)):
    parsed = [parse(s) for s in sentences]
    with open(f"{name}.conll", "w", encoding="utf-8") as f:
        f.write("\n\n".join("\n".join(f"{t}\t{g}" for t, g in p) for p in parsed) + "\n")
    with open(f"{name}.jsonl", "w", encoding="utf-8") as f:
        for i, p in enumerate(parsed, start=1):
            f.write(json.dumps({"id": str(i), **to_jsonl(p)}, ensure_ascii=False) + "\n")
