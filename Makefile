# One obvious way to run each thing. Targets create .venv on first use, installing through the checked-in locks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_LOCK := requirements/run.lock
DEV_LOCK := requirements/dev.lock
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP_VERSION := 26.3
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: run test test-fast bench train docs lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==$(PIP_VERSION)

# Exactly the locked versions (with their hashes), then the project itself without resolving anything again.
$(RUN_STAMP): $(RUN_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes -r $(RUN_LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(DEV_STAMP): $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)  ## process data/samples into data/parquet and write data/report.html
	$(BIN)/oped-extract run data/samples --out data/parquet
	$(BIN)/oped-extract report --store data/parquet --out data/report.html

test: $(DEV_STAMP)  ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest

test-fast: $(DEV_STAMP)  ## the suite without the slow tests (about a minute)
	$(BIN)/python -m pytest -m "not slow"

bench: $(DEV_STAMP)  ## throughput and memory against bare nlp.pipe -> benchmarks/results/latest.json
	$(BIN)/python benchmarks/bench.py

train: $(DEV_STAMP)  ## refit the stance model on ../shared/devset -> src/oped_extract/data/stance_model.json
	$(BIN)/oped-extract train --gold ../shared/devset

docs: $(RUN_STAMP)  ## regenerate docs/DATA_DICTIONARY.md from the schemas
	$(BIN)/python -c "from oped_extract.store.schema import data_dictionary; print(data_dictionary(), end='')" > docs/DATA_DICTIONARY.md

lint: $(DEV_STAMP)
	$(BIN)/ruff check src flows tests benchmarks scripts

# Refresh the locks after changing dependencies in pyproject.toml (needs the package index).
lock: $(DEV_STAMP)
	$(BIN)/pip-compile -q --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o $(RUN_LOCK) pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --extra dev -o $(DEV_LOCK) pyproject.toml

clean:
	rm -rf data/parquet data/report.html
