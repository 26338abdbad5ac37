#!/usr/bin/env bash
# jbert demo: every step a user would take, on the bundled sample data, offline.
#   bash scripts/demo.sh OUTDIR        (run by `make demo`)
# Steps so far: 1. train a tokenizer  2. show how it splits a sentence.
# (Later steps: finetune -> eval -> predict, each reading the previous step's output.)
set -euo pipefail

OUT="${1:-demo-output}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$ROOT/data/sample/corpus.txt"
JBERT="${JBERT:-jbert}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

step() { printf '\n==> %s\n' "$*"; }

mkdir -p "$OUT"

step "1. Train a MeCab + WordPiece tokenizer on $CORPUS"
"$JBERT" tokenizer train "$CORPUS" \
    --type mecab-wordpiece --vocab-size 4000 --output "$OUT/tokenizer"

step "2. Show how it splits a sentence (tokens, ids and spans in the original text)"
"$JBERT" tokenizer show --tokenizer "$OUT/tokenizer" \
    "東京駅の近くでｺｰﾋｰを飲みました。" --pair "駅前の店です。"

step "Done: outputs are in $OUT"
