# The two set-up commands: `make serve` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test venv test-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime only: no torch, no Docker SDK requirement; the embedded local sandbox.
venv: $(BIN)/python
	$(BIN)/pip install -q -e .

serve: venv
	$(BIN)/verifiers serve --host $(HOST) --port $(PORT)

# torch==2.13.0 first: a looser pin elsewhere would pull a multi-GB CUDA build.
test-deps: $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[test]"
	$(BIN)/pip install -q --no-deps "openrlhf==0.11.2"  # its parser and reward executor, not its GPU stack

# Lint, formatting and types first (pyproject.toml says what each covers), then the suite.
test: test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: test-deps
	$(BIN)/python -m benchmarks.math
	$(BIN)/python -m benchmarks.code
	$(BIN)/python -m benchmarks.swe
	$(BIN)/python -m benchmarks.ifeval
	$(BIN)/python -m benchmarks.rm

clean:
	rm -rf $(VENV) .pytest_cache
