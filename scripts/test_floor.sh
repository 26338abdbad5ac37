#!/usr/bin/env bash
# Test jbert against the lowest transformers/tokenizers that pyproject.toml allows (CI runs this after
# `make test`). A throwaway venv outside the repository sees the main environment's packages
# (--system-site-packages: torch and the rest as `make setup` installed them) and holds only the floor
# versions of transformers/tokenizers (and whatever those need in other versions), so the main
# environment stays as it is and the check costs seconds of installing, not minutes.
#   bash scripts/test_floor.sh [VENV_DIR]      (default /tmp/jbert-floor)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-/tmp/jbert-floor}
# keep in step with pyproject.toml's "transformers>=..." and "tokenizers>=..."
FLOOR_TRANSFORMERS=$(sed -n 's/^ *"transformers>=\([0-9.]*\)".*/\1/p' pyproject.toml)
FLOOR_TOKENIZERS=$(sed -n 's/^ *"tokenizers>=\([0-9.]*\)".*/\1/p' pyproject.toml)
[ -n "$FLOOR_TRANSFORMERS" ] && [ -n "$FLOOR_TOKENIZERS" ] || { echo "floors not found in pyproject.toml" >&2; exit 2; }
[ -x "$VENV/bin/python" ] || python -m venv --system-site-packages "$VENV"
# kernels (a transformers dependency): the floor's transformers builds kernel layer records at import that
# kernels >= 0.12 refuses without a revision ("Either a revision or a version must be specified"), so the
# floor venv holds the kernels of that time.
"$VENV/bin/pip" install -q --disable-pip-version-check "transformers==$FLOOR_TRANSFORMERS" \
  "tokenizers==$FLOOR_TOKENIZERS" "kernels<0.12" 2>&1 | grep -v "^WARNING: Location" || true
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH=$PWD  # this checkout's jbert, whatever the main environment has installed
"$VENV/bin/python" - "$FLOOR_TRANSFORMERS" "$FLOOR_TOKENIZERS" <<'PY'
import sys, transformers, tokenizers
from packaging.version import Version
got = (transformers.__version__, tokenizers.__version__)
print("floor:", "transformers", got[0], "tokenizers", got[1])
same = [Version(a) == Version(b) for a, b in zip(got, sys.argv[1:])]
sys.exit(0 if all(same) else f"expected {sys.argv[1:]}, got {got}")
PY
# tokenization (parity with BertJapaneseTokenizer of that transformers), loading and saving models,
# the training core and prediction: what depends on transformers' internals
"$VENV/bin/python" -m pytest -q -x -n auto --maxprocesses 4 --dist loadfile -m "not slow and not exhaustive" tests/tokenization tests/cli/test_tokenizer_cli.py \
  tests/cli/test_tokenizer_doctor_cli.py tests/models/test_initialise.py tests/models/test_model_inputs.py tests/training/test_trainer.py \
  tests/inference tests/zoo
