# Two commands do all the set-up on a fresh clone:
#   make nightly   install into .venv, generate today's landing data, run the nightly job
#   make test      install, lint (ruff, mypy --strict, sqlfluff, dbt parse), run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEPS := dbt_packages/.installed
PACKAGE_IT := packages/dataproducts_utils/integration_tests
IT_DEPS := $(PACKAGE_IT)/dbt_packages/.installed
# dbt on the package's integration-test project; its profile's DuckDB file goes under its target/.
IT_DBT := --project-dir $(PACKAGE_IT) --profiles-dir $(PACKAGE_IT)
IT_WAREHOUSE := DP_UTILS_IT_WAREHOUSE=$(PACKAGE_IT)/target/integration_tests.duckdb
export DO_NOT_TRACK := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install nightly test test-processes test-platforms test-spark bench-spark test-wheel wheel lint typecheck dbtcheck format parse sqlfluff pytest bench clean

install: $(STAMP) $(DEPS)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found (Python 3.11 is required)" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The project's dbt packages (packages.yml: the macros package, `local:`, so offline): `dbt deps` again when
# packages.yml or package-lock.yml changed or dbt_packages/ is gone (`dbt deps` recreates the folder the
# stamp is in). `dp` installs missing packages by itself too (docs/dbt-package.md).
$(DEPS): $(STAMP) packages.yml $(wildcard package-lock.yml)
	$(BIN)/dbt deps --quiet
	touch $@

# The dbt package's integration-test project (packages/dataproducts_utils/integration_tests), installing the
# package from `local: ../`: `make parse` and `make sqlfluff` check it too.
$(IT_DEPS): $(STAMP) $(PACKAGE_IT)/packages.yml $(wildcard $(PACKAGE_IT)/package-lock.yml)
	$(BIN)/dbt deps --quiet --project-dir $(PACKAGE_IT)
	touch $@

nightly: install
	$(BIN)/dp generate --as-of $$(date -u +%F)
	$(BIN)/dp nightly

PYDIRS := $(wildcard src tests bench)

# The type checks and the dbt checks are independent and mostly use one core each: two at once (about 2 of
# the 4 minutes the four took one after the other on a fresh clone). The dbt ones stay in order (both write
# the project's target/), and so do the two mypy runs (each with its own cache: their options differ).
lint: install
	$(BIN)/ruff check $(PYDIRS)
	$(BIN)/ruff format --check $(PYDIRS)
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck dbtcheck

typecheck: install
	$(BIN)/mypy --strict --cache-dir .mypy_cache/src
	$(BIN)/mypy --cache-dir .mypy_cache/tests tests bench

dbtcheck: install
	$(MAKE) --no-print-directory parse sqlfluff

# dbt parse with every deprecation shown and warnings as errors: a misspelled key fails here.
parse: install $(IT_DEPS)
	$(BIN)/dbt parse --no-partial-parse --show-all-deprecations --warn-error --quiet
	$(IT_WAREHOUSE) $(BIN)/dbt parse --no-partial-parse --show-all-deprecations --warn-error --quiet $(IT_DBT)

# The generator's SQL (src/dataproducts/sql) holds $name parameters, not Jinja: sqlfluff takes the templater
# from the command line or the root .sqlfluff only, so it has a call of its own (rules come from the root
# .sqlfluff, parameter values from src/dataproducts/sql/generate/.sqlfluff).
GENERATOR_SQL := src/dataproducts/sql --templater placeholder

# The package's macros are linted where the integration tests' models and analyses render them; its .sqlfluff
# points the dbt templater at that project.
PACKAGE_SQL := $(PACKAGE_IT)/models $(PACKAGE_IT)/analyses --config $(PACKAGE_IT)/.sqlfluff

sqlfluff: install $(IT_DEPS)
	$(BIN)/sqlfluff lint models macros --processes 2
	mkdir -p $(PACKAGE_IT)/target
	$(IT_WAREHOUSE) $(BIN)/sqlfluff lint $(PACKAGE_SQL) --processes 2
	$(BIN)/sqlfluff lint $(GENERATOR_SQL) --processes 2

# Two workers (2 cores; most time is dbt and DuckDB in subprocesses); a file's tests stay on one worker, so
# its module fixtures are built once. Files go out in collection order, slowest first (tests/conftest.py
# SLOW_FIRST), not xdist's default of most tests first, which left a one-test 3-minute file for the end.
PYTEST_PARALLEL ?= -n 2 --dist loadfile --no-loadscope-reorder --durations=25

pytest: install
	$(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not processes and not platforms and not spark"

test: lint pytest

# Real concurrent and killed processes (tests/processes): minutes, so not part of `make test`. Four long
# tests: a worker that runs out takes the other's next one (worksteal), so the two longest never queue.
test-processes: install
	$(BIN)/pytest -q -n 2 --dist worksteal --durations=0 -m processes tests/processes

# The project parsed by dbt for Azure Databricks and Microsoft Fabric (deploy/platforms, deploy/README.md): the
# adapters go into a venv of their own (dbt-databricks brings an older dbt-spark than the spark extra), from
# the package index with the same dbt-core pins; about a minute to install, seconds to parse.
PLATFORMS_VENV := .venv-platforms
PLATFORMS_STAMP := $(PLATFORMS_VENV)/.installed

$(PLATFORMS_STAMP): Makefile
	test -x $(PLATFORMS_VENV)/bin/python || $(PYTHON) -m venv $(PLATFORMS_VENV)
	$(PLATFORMS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PLATFORMS_VENV)/bin/python -m pip install --quiet "dbt-core==1.12.0" "dbt-core-experimental-parser==2.0.0a4" \
		"dbt-databricks>=1.12,<1.13" "dbt-fabric>=1.12,<1.13"
	touch $@

test-platforms: install $(DEPS) $(PLATFORMS_STAMP)
	$(BIN)/pytest -q -p no:xdist -m platforms tests/platforms

# The products on Apache Spark (tests/spark, docs/spark.md): installs the spark extra (dbt-spark, pyspark:
# a 456 MB source package built once, 1-2 minutes) into a venv of its own, starts a standalone cluster on free
# loopback ports, builds there, compares with DuckDB, stops it. Several minutes of JVMs: not part of `make
# test`. Not in .venv: with pyspark importable, Great Expectations imports pyspark.sql.connect, which ends
# pytest-xdist workers (two tests of tests/unit/test_gx_duckdb.py errored after a `make test-spark`).
# The tests run dbt, dp and scripts/spark (DP_PYTHON) from this venv.
SPARK_VENV := .venv-spark
SPARK_BIN := $(SPARK_VENV)/bin
SPARK_STAMP := $(SPARK_VENV)/.installed

$(SPARK_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found (Python 3.11 is required)" >&2; exit 2; }
	test -x $(SPARK_BIN)/python || $(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/python -m pip install --quiet --upgrade pip
	$(SPARK_BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $@

test-spark: install $(SPARK_STAMP)
	$(SPARK_BIN)/pytest -q -p no:xdist --durations=0 -s -m spark tests/spark

# Scale on Spark next to DuckDB (bench/spark.py: DuckDB, Spark local[2], the two-worker cluster; scales 1 and
# 10 by default, about 25 minutes here): bench/results/spark-<date>.md. BENCH_SPARK_ARGS=--scales 1,10,...
bench-spark: install $(SPARK_STAMP)
	$(SPARK_BIN)/python bench/spark.py $(BENCH_SPARK_ARGS)

# The runner's wheel, for `pip install` next to another dbt project (README "Use it on your own dbt project").
wheel: install
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	@ls dist/*.whl

# The runner as a distribution (tests/package): build the wheel, install it into a fresh venv (dependencies
# from the package index), run dbt build, dp init and dp nightly with it on tests/fixtures/projects/corner_shop.
# About 3 minutes of one core (most of it pip installing the dependencies). `make pytest` runs it among the
# other tests, where the second core has work meanwhile; this target runs it alone.
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
