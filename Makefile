# Two commands do all the set-up on a fresh clone:
#   make nightly   install into .venv, generate today's landing data, run the nightly job
#   make test      install, lint (ruff, mypy --strict, sqlfluff, dbt parse), run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install nightly test test-processes test-wheel lint format parse sqlfluff pytest bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found (Python 3.11 is required)" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

nightly: install
	$(BIN)/dp generate --as-of $$(date -u +%F)
	$(BIN)/dp nightly

PYDIRS := $(wildcard src tests bench)

lint: install
	$(BIN)/ruff check $(PYDIRS)
	$(BIN)/ruff format --check $(PYDIRS)
	$(BIN)/mypy --strict
	$(BIN)/mypy tests bench
	$(MAKE) --no-print-directory parse sqlfluff

# dbt parse with every deprecation shown and warnings as errors: a misspelled key fails here.
parse: install
	$(BIN)/dbt parse --no-partial-parse --show-all-deprecations --warn-error --quiet

# The generator's SQL (src/dataproducts/sql) holds $name parameters, not Jinja: sqlfluff takes the templater
# from the command line or the root .sqlfluff only, so it has a call of its own (rules come from the root
# .sqlfluff, parameter values from src/dataproducts/sql/generate/.sqlfluff).
GENERATOR_SQL := src/dataproducts/sql --templater placeholder

sqlfluff: install
	$(BIN)/sqlfluff lint models macros --processes 2
	$(BIN)/sqlfluff lint $(GENERATOR_SQL) --processes 2

# Two workers (2 cores; most time is dbt and DuckDB in subprocesses); a file's tests stay on one worker, so
# its module fixtures are built once.
PYTEST_PARALLEL ?= -n 2 --dist loadfile

pytest: install
	$(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not processes and not wheel"

test: lint pytest

# Real concurrent and killed processes (tests/processes): minutes, so not part of `make test`.
test-processes: install
	$(BIN)/pytest -q -n 2 --dist load --durations=0 -m processes tests/processes

# The runner as a distribution (tests/package): build the wheel, install it into a fresh venv (dependencies
# from the package index), run dbt build, dp init and dp nightly with it on tests/fixtures/projects/corner_shop.
# About 4-5 minutes on 2 cores (most of it pip installing the dependencies), so not part of `make test`.
test-wheel: install
	$(BIN)/pytest -q --durations=0 -m wheel tests/package

format: install
	$(BIN)/ruff format $(PYDIRS)
	$(BIN)/ruff check --fix $(PYDIRS)
	$(BIN)/sqlfluff fix models macros --processes 2
	$(BIN)/sqlfluff fix $(GENERATOR_SQL) --processes 2

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf target logs reports warehouse/*.duckdb warehouse/*.wal

# Regenerate the published JSON Schemas from their models (see docs/schemas/README.md); CI's tests fail when
# a committed schema differs from its model (`python -m dataproducts.schemas --check`).
.PHONY: schemas
schemas: install
	$(BIN)/python -m dataproducts.schemas
