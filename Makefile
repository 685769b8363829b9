# One obvious way to run each thing. Targets create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: run test bench docs lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)  ## process data/samples into data/parquet and write data/report.html
	$(BIN)/oped-extract run data/samples --out data/parquet
	$(BIN)/oped-extract report --store data/parquet --out data/report.html

test: $(DEV_STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

bench: $(DEV_STAMP)  ## throughput and memory against bare nlp.pipe -> benchmarks/results/latest.json
	$(BIN)/python benchmarks/bench.py

docs: $(RUN_STAMP)  ## regenerate docs/DATA_DICTIONARY.md from the schemas
	$(BIN)/python -c "from oped_extract.schema import data_dictionary; print(data_dictionary(), end='')" > docs/DATA_DICTIONARY.md

lint: $(DEV_STAMP)
	$(BIN)/ruff check src flows tests benchmarks

clean:
	rm -rf data/parquet data/report.html
