# jbert: set-up, demo, tests, benchmarks. CPU torch is installed first so nothing pulls CUDA wheels.
PYTHON ?= python
PIP ?= $(PYTHON) -m pip
STAMP := .setup.stamp
DEMO_DIR ?= demo-output

.PHONY: setup demo test test-all test-fast test-floor bench bench-tokenize bench-finetune bench-predict bench-ceiling bench-pretrain bench-transfer bench-embed bench-retrieval bench-distill lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==2.13.0"
	$(PIP) install -e ".[dev]"
	@touch $(STAMP)

demo: setup
	bash scripts/demo.sh $(DEMO_DIR)

# one pytest-xdist worker per core (at most TEST_WORKERS); a test file's tests stay on one worker, so the
# models a file's fixtures train are trained once
TEST_WORKERS ?= 4
XDIST := -n auto --maxprocesses $(TEST_WORKERS) --dist loadfile

test: setup  # everything but the exhaustive export matrix (CI runs this)
	$(PYTHON) -m pytest $(XDIST) -m "not exhaustive"

test-all: setup  # every test, the full export matrix included
	$(PYTHON) -m pytest $(XDIST)

test-fast: setup
	$(PYTHON) -m pytest $(XDIST) -m "not slow and not exhaustive"

test-floor: setup  # the lowest transformers/tokenizers pyproject.toml allows, in a venv outside the repo
	bash scripts/test_floor.sh

bench: bench-ceiling bench-tokenize bench-finetune bench-predict

bench-tokenize: setup
	$(PYTHON) benchmarks/bench_tokenize.py

bench-finetune: setup
	$(PYTHON) benchmarks/bench_finetune.py

bench-predict: setup
	$(PYTHON) benchmarks/bench_predict.py

bench-pretrain: setup
	$(PYTHON) benchmarks/bench_pretrain.py

bench-transfer: setup
	$(PYTHON) benchmarks/bench_transfer.py

bench-embed: setup  # jbert embed / finetune embedding vs sentence-transformers
	$(PYTHON) benchmarks/bench_embed.py
bench-retrieval: setup  # JSQuAD retrieval: BM25, bi-encoders from pre-trained / random weights, + reranker
	$(PYTHON) benchmarks/bench_retrieval.py
bench-distill: setup  # pre-trained teacher vs distilled student vs the same student on labels alone (JSTS, JNLI)
	$(PYTHON) benchmarks/bench_distill.py

bench-ceiling: setup
	$(PYTHON) benchmarks/bench_ceiling.py

lint: setup  # ruff, then the layer contract (pyproject.toml [tool.importlinter]): no upward import, no cycle
	$(PYTHON) -m ruff check jbert tests benchmarks scripts
	lint-imports

clean:
	rm -rf $(STAMP) $(DEMO_DIR) build dist *.egg-info .pytest_cache
