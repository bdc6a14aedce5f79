PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# e.g. make bench BENCH_ARGS="--n 200 --repeat 3 --max-runs 16"
BENCH_ARGS ?= --n 200

.PHONY: demo test run lint typecheck bench clean migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chatops demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	# Three workers on two cores: much of the suite waits on real processes, servers and queues.
	$(BIN)/pytest -q -n 3 --durations=15

run: $(STAMP)
	$(BIN)/chatops serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/load_ask.py $(BENCH_ARGS)

# A revision for what bot/store/models.py gained: make migration m="add approvals"
migration: $(STAMP)
	$(BIN)/python -m bot.store.schema $(m)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
