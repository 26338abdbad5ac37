#!/usr/bin/env bash
# Test jbert against the lowest transformers/tokenizers that pyproject.toml allows, in a throwaway venv
# outside the repository (the shared environment's versions stay as they are).
#   bash scripts/test_floor.sh [VENV_DIR]      (default /tmp/jbert-floor; TORCH_SPEC overrides "torch==2.13.0")
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-/tmp/jbert-floor}
FLOOR_TRANSFORMERS=5.0.0   # keep in step with pyproject.toml
FLOOR_TOKENIZERS=0.22.1
[ -x "$VENV/bin/python" ] || python -m venv "$VENV"
"$VENV/bin/pip" install -q "${TORCH_SPEC:-torch==2.13.0}"
"$VENV/bin/pip" install -q "transformers==$FLOOR_TRANSFORMERS" "tokenizers==$FLOOR_TOKENIZERS"
"$VENV/bin/pip" install -q -e ".[dev]" "transformers==$FLOOR_TRANSFORMERS" "tokenizers==$FLOOR_TOKENIZERS"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
"$VENV/bin/python" -c "import transformers, tokenizers; print('floor:', transformers.__version__, tokenizers.__version__)"
"$VENV/bin/python" -m pytest -q tests/tokenization tests/cli/test_tokenizer_cli.py \
  tests/cli/test_tokenizer_doctor_cli.py tests/test_modeling.py
