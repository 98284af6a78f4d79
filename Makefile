# chatkit-bridge: `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@awk 'BEGIN {FS = ":.*?## "} /^[a-zA-Z_-]+:.*?## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the bridge with its dev tools

run: $(STAMP) ## Set up, then serve on $(HOST):$(PORT) (SQLite + offline model); ARGS="--reload" adds serve flags
	$(BIN)/python -m bridge serve --host $(HOST) --port $(PORT) $(ARGS)

# Four pytest-xdist workers on two cores: most tests wait on PostgreSQL, subprocesses or a
# browser rather than compute. PYTEST_ARGS="-n 0" runs them in one process.
PYTEST_ARGS ?= -n 4

test: $(STAMP) ## Set up, then run every test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check bridge schemas db tests
	$(BIN)/ruff format --check bridge schemas db tests
	$(BIN)/mypy

check: lint test ## Lint, then test

bench: $(STAMP) ## Benchmarks: the bridge against a bare Starlette endpoint
	$(BIN)/python -m bench $(BENCH_ARGS)

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install run test lint check bench clean
