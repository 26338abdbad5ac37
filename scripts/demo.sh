#!/usr/bin/env bash
# jbert demo: transfer learning from zero, offline, in a few minutes on 2 CPU cores.
#   bash scripts/demo.sh OUTDIR        (run by `make demo`)
# 1. train a tokenizer on the bundled Japanese corpus  2. show how it splits a sentence
# 3. build a random mini BERT  4. pre-train it (masked LM, whole-word masking)  5. fill in a [MASK]
# 6. fine-tune JSTS twice, from the random and from the pre-trained weights  7. compare / evaluate
# 8. predict on a new file.
# PRETRAIN_STEPS (default 160) sets the pre-training length; more steps, better transfer.
set -euo pipefail

OUT="${1:-demo-output}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAMPLE="$ROOT/data/sample"
CORPUS=("$ROOT"/data/pretrain/wiki.txt "$ROOT"/data/pretrain/captions.txt "$ROOT"/data/pretrain/questions.txt)
JBERT="${JBERT:-jbert}"
STEPS="${PRETRAIN_STEPS:-160}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

step() { printf '\n==> %s\n' "$*"; }
pearson() { python -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['final']['pearson']:.3f}\")" "$1/metrics.json"; }

rm -rf "$OUT"
mkdir -p "$OUT"

step "1. Train a MeCab + WordPiece tokenizer on the bundled corpus (data/pretrain, 2.5 MB)"
"$JBERT" tokenizer train "${CORPUS[@]}" --type mecab-wordpiece --vocab-size 6000 --output "$OUT/tokenizer"

step "2. Show how it splits a sentence (tokens, ids and spans in the original text)"
"$JBERT" tokenizer show --tokenizer "$OUT/tokenizer" "東京駅の近くでｺｰﾋｰを飲みました。"

step "3. Build a randomly initialised mini BERT (L4/H256) with a masked-LM head"
"$JBERT" model init --tokenizer "$OUT/tokenizer" --size mini --output "$OUT/model-init"

step "4. Pre-train it: masked LM with whole-word masking, $STEPS steps of 32 blocks x 128 tokens"
"$JBERT" pretrain "${CORPUS[@]}" --model "$OUT/model-init" --output "$OUT/model-pretrained" \
    --max-steps "$STEPS" --batch-size 32 --max-length 128 --learning-rate 1e-3 --eval-steps "$STEPS" \
    --set corpus.cache_dir="$OUT/corpus-cache" --set training.progress_bar=false --set training.logging_steps=40

step "5. Fill in a [MASK] with the pre-trained model"
"$JBERT" model fill-mask --model "$OUT/model-pretrained" "東京駅の近くで[MASK]を飲みました。" --top-k 5

FT=(--train "$SAMPLE/jsts-train.jsonl" --valid "$SAMPLE/jsts-valid.jsonl" --epochs 3 --batch-size 16
    --learning-rate 3e-4 --set training.progress_bar=false)
step "6a. Fine-tune JSTS (400 train pairs) from the RANDOM weights"
"$JBERT" finetune jsts --model "$OUT/model-init" --output "$OUT/jsts-from-random" "${FT[@]}"
step "6b. Fine-tune JSTS (400 train pairs) from the PRE-TRAINED weights: the same command"
"$JBERT" finetune jsts --model "$OUT/model-pretrained" --output "$OUT/jsts-from-pretrained" "${FT[@]}"

step "7. Validation Pearson (100 JSTS valid pairs, never seen in pre-training)"
printf '  %-28s %s\n' "from random weights" "$(pearson "$OUT/jsts-from-random")"
printf '  %-28s %s\n' "from pre-trained weights" "$(pearson "$OUT/jsts-from-pretrained")"
"$JBERT" eval --model "$OUT/jsts-from-pretrained" --data "$SAMPLE/jsts-valid.jsonl" \
    --output "$OUT/metrics.json" --predictions "$OUT/valid-predictions.jsonl"

step "8. Predict on a TSV file of new pairs (no labels): one output row per input row"
printf 'sentence_pair_id\tsentence1\tsentence2\n' > "$OUT/new-pairs.tsv"
printf 'a1\t猫がソファの上で寝ています。\t猫がソファで眠っています。\n' >> "$OUT/new-pairs.tsv"
printf 'a2\t男性が海で泳いでいます。\t駅のホームに電車が止まっています。\n' >> "$OUT/new-pairs.tsv"
"$JBERT" predict --model "$OUT/jsts-from-pretrained" "$OUT/new-pairs.tsv" --output "$OUT/new-pairs.predictions.jsonl"
cat "$OUT/new-pairs.predictions.jsonl"

step "Done: outputs are in $OUT"
