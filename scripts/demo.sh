#!/usr/bin/env bash
# jbert demo: every step a user would take, on the bundled sample data, offline.
#   bash scripts/demo.sh OUTDIR        (run by `make demo`)
# 1. train a tokenizer  2. show how it splits a sentence  3. build a small random BERT for it
# 4. fine-tune it on JSTS (bundled 400-pair slice)  5. evaluate  6. predict on a file
# The model starts from random weights (no hub here), so its scores are low: the point is the
# pipeline. With a real model: `jbert finetune jsts --model cl-tohoku/bert-base-japanese-v3 ...`.
set -euo pipefail

OUT="${1:-demo-output}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAMPLE="$ROOT/data/sample"
JBERT="${JBERT:-jbert}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

step() { printf '\n==> %s\n' "$*"; }

rm -rf "$OUT"
mkdir -p "$OUT"

step "1. Train a MeCab + WordPiece tokenizer on $SAMPLE/corpus.txt"
"$JBERT" tokenizer train "$SAMPLE/corpus.txt" \
    --type mecab-wordpiece --vocab-size 4000 --output "$OUT/tokenizer"

step "2. Show how it splits a sentence (tokens, ids and spans in the original text)"
"$JBERT" tokenizer show --tokenizer "$OUT/tokenizer" \
    "東京駅の近くでｺｰﾋｰを飲みました。" --pair "駅前の店です。"

step "3. Build a randomly initialised mini BERT (L4/H256) for that tokenizer"
"$JBERT" model init --tokenizer "$OUT/tokenizer" --size mini --output "$OUT/model-init"

step "4. Fine-tune on JSTS (400 train pairs, 100 valid pairs)"
"$JBERT" finetune jsts --model "$OUT/model-init" --output "$OUT/jsts-model" \
    --train "$SAMPLE/jsts-train.jsonl" --valid "$SAMPLE/jsts-valid.jsonl" \
    --epochs 3 --batch-size 16 --learning-rate 3e-4

step "5. Evaluate with the official JSTS metrics (Pearson, Spearman)"
"$JBERT" eval --model "$OUT/jsts-model" --data "$SAMPLE/jsts-valid.jsonl" \
    --output "$OUT/metrics.json" --predictions "$OUT/valid-predictions.jsonl"

step "6. Predict on a TSV file of new pairs (no labels): one output row per input row"
printf 'sentence_pair_id\tsentence1\tsentence2\n' > "$OUT/new-pairs.tsv"
printf 'a1\t猫がソファの上で寝ています。\t猫がソファで眠っています。\n' >> "$OUT/new-pairs.tsv"
printf 'a2\t男性が海で泳いでいます。\t駅のホームに電車が止まっています。\n' >> "$OUT/new-pairs.tsv"
"$JBERT" predict --model "$OUT/jsts-model" "$OUT/new-pairs.tsv" --output "$OUT/new-pairs.predictions.jsonl"
cat "$OUT/new-pairs.predictions.jsonl"

step "Done: outputs are in $OUT"
