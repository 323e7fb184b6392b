# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The CPU build of torch. An unpinned torch pulls a multi-GB CUDA build; see README.
TORCH  := torch==2.13.0

.PHONY: run test test-fast lint index eval bench clean chromium

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: $(STAMP)
	$(VENV)/bin/forumqa index

run: $(STAMP)
	$(VENV)/bin/forumqa serve

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
	$(VENV)/bin/mypy

# Debian's Chromium for the browser test; skipped where apt-get is not available to us.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium: the browser test will skip"; \
	  else echo "chromium not installed and no root apt-get: the browser test will skip"; fi; }

test: $(STAMP) chromium
	$(MAKE) lint
	$(VENV)/bin/pytest -q

# The fast tier (no model, no processes, no fuzzing): seconds, for the edit-test loop. Plugins are
# loaded explicitly: auto-loading every installed pytest plugin (schemathesis, playwright, ...) takes seconds.
test-fast: $(STAMP)
	PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(VENV)/bin/pytest -q -p anyio -p hypothesis -m "unit and not integration"

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT index/embeddings.sqlite* index/onnx

# Answer quality of BM25 only, dense only and the hybrid on every question set (the v2 sets need ../shared/forums).
eval: $(STAMP)
	$(VENV)/bin/forumqa eval eval/dev_questions.jsonl
	$(VENV)/bin/forumqa eval eval/dev_questions.jsonl eval/forums_questions.jsonl --documents-dir eval/corpus --index-dir index/eval-forums
	rm -rf index/eval-v2-docs && mkdir -p index/eval-v2-docs && cp -r eval/corpus/. index/eval-v2-docs/ && cp ../shared/forums/corpus/* index/eval-v2-docs/
	$(VENV)/bin/forumqa eval eval/questions_v2.jsonl --documents-dir index/eval-v2-docs --index-dir index/eval-v2
	$(VENV)/bin/forumqa eval eval/forums_real_questions.jsonl --documents-dir index/eval-v2-docs --index-dir index/eval-v2 --mode hybrid
	$(VENV)/bin/forumqa eval eval/questions_v2_keywords.jsonl --documents-dir index/eval-v2-docs --index-dir index/eval-v2 --mode hybrid
	$(VENV)/bin/forumqa eval eval/questions_tune_extra.jsonl --documents-dir index/eval-v2-docs --index-dir index/eval-v2 --mode hybrid

# Every benchmark in one run (about an hour on 2 cores; `--quick` for minutes). Never beside the tests.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench,peers]'
	$(PY) benchmarks/run_all.py
