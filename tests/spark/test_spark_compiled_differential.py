"""The compiled validation engine on Spark gives the results it gives on DuckDB, and GX's (``make test-spark``).

The same rows go into a DuckDB file and into Parquet tables of a local Spark session (``local[1]``, session
time zone UTC, ``spark.sql.ansi.enabled`` false as dbt-spark sets it): NULLs, duplicates, decimals, dates,
timestamps (Spark ``timestamp`` and ``timestamp_ntz``), a ``bigint`` column, strings with line breaks,
vertical tabs, brackets, accents and emoji for the regexes, and an empty table. A suite of every
expectation type the compiler claims (``registry.COMPILED_TYPES``) runs through :class:`SqlEngine` on both
(the ``sql`` engine: an expectation that does not compile fails the run, so nothing silently falls back);
the results must equal the DuckDB engine's and GX's own on the DuckDB file (``differential``). The
expectations the Spark dialect hands to GX are planned on Spark and must be exactly the listed ones, each
compiling on DuckDB. Regex translation is checked against both engines on many strings in one query.

The Spark warehouse is a stand-in with the interface of ``dataproducts.warehouse.SparkWarehouse`` (``dialect``,
``connect()`` returning ``rows(sql, params)``, ``raw``, ``close()``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiled_cases import (
    AS_OF,
    COLUMNS,
    REGEXES,
    ROWS,
    WORDS,
    product,
    rows_strategy,
    suite_for,
    text_of,
    write_duckdb,
    write_suite,
)
from dataproducts.validation.engine import result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.registry import COMPILED_TYPES
from dataproducts.validation.sql.dialect import java_regex
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import suite_parameters
from differential import suite_differences

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]

HANDED_OVER: list[tuple[dict[str, Any], str]] = [
    (
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "s", "regex": "(?i)k"}},
        "flags",
    ),
    (
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "s", "regex": "\\bab"}},
        "escape",
    ),
    (
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "s", "regex": "[[:alpha:]]"}},
        "POSIX",
    ),
    (
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "s", "regex": "a{,2}"}},
        "not a repetition",
    ),
    (
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "s", "regex": "(a+)+$"}},
        "unbounded",
    ),
    (
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "ts", "max_value": "2026-11-20T06:00:00+00:00"},
        },
        "timezone-aware",
    ),
    (
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "j", "value_set": [2**63]},
        },
        "64 bits",
    ),
]


_counter = itertools.count()


# --- the Spark warehouse stand-in -------------------------------------------------------------------------------


class SparkConnection:
    def __init__(self, spark: Any) -> None:
        self.raw = spark
        self.statements: list[str] = []

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        return [tuple(r) for r in self.raw.sql(sql, args=list(params)).collect()]

    def close(self) -> None:
        pass  # the session belongs to the test module


@dataclass(frozen=True)
class SparkWarehouse:
    spark: Any
    dialect = "spark"
    default_schema = "main"

    @property
    def label(self) -> str:
        return "spark (local[1], test)"

    def connect(self) -> SparkConnection:
        return SparkConnection(self.spark)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The session, with this Python process in another time zone than Spark's session (UTC) for the module:
    PySpark converts ``timestamp`` values and datetime parameters in the Python process's zone, which the
    Spark dialect must not let through (``cast(... as timestamp_ntz)``)."""
    from pyspark.sql import SparkSession

    saved_tz = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    root = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("dp-compiled-differential")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", str(root / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root / 'derby'}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    for database in ("main", "raw_shop", "dp_meta"):
        session.sql(f"create database if not exists {database}")
    try:
        yield session
    finally:
        session.stop()
        if saved_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved_tz
        time.tzset()


# --- tables -----------------------------------------------------------------------------------------------------


def write_spark(spark: Any, database: str, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """A Parquet table of the same rows: every value travels as text and is cast in SQL (no Python time
    zone conversion on the way)."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType()) for c in COLUMNS])
    spark.sql(
        f"create table {database}.{name} ("
        + ", ".join(f"`{c}` {t}" for c, (_, t, _) in COLUMNS.items())
        + ") using parquet"
    )
    if rows:
        view = f"rows_{name}"
        spark.createDataFrame([tuple(text_of(v) for v in r) for r in rows], schema).createOrReplaceTempView(
            view
        )
        casts = ", ".join(f"cast(`{c}` as {t})" for c, (_, t, _) in COLUMNS.items())
        spark.sql(f"insert into {database}.{name} select {casts} from {view}")
        spark.catalog.dropTempView(view)


# --- the suite --------------------------------------------------------------------------------------------------


# --- running ----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    duckdb: dict[str, Any]
    spark: dict[str, Any]
    gx: dict[str, Any] | None
    spark_queries: list[str]


def run_all(
    tmp: Path,
    spark: Any,
    rows: Sequence[tuple[Any, ...]],
    expectations: list[dict[str, Any]],
    *,
    database: str = "main",
    with_gx: bool = True,
    fmt: str = "SUMMARY",
) -> Run:
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    write_duckdb(warehouse, name, rows)
    write_spark(spark, database, name, rows)
    suite = write_suite(tmp, name, expectations)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format(fmt, 20)
    results: dict[str, dict[str, Any]] = {}
    queries: list[str] = []
    for label, target, schema in (("duckdb", warehouse, "mart"), ("spark", SparkWarehouse(spark), database)):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            results[label] = engine.validate(product(name, schema), suite, params).to_json_dict()
            if label == "spark":
                queries = list(engine.queries)
        finally:
            engine.close()
    gx_result = None
    if with_gx:
        gx = GxEngine(warehouse, result_format=rf, run_name=name, run_time=now)
        try:
            gx_result = gx.validate(product(name, "mart"), suite, params).to_json_dict()
        finally:
            gx.close()
    return Run(results["duckdb"], results["spark"], gx_result, queries)


def assert_same(run: Run) -> None:
    diffs = suite_differences(run.duckdb, run.spark)
    assert not diffs, "Spark differs from DuckDB:\n" + "\n".join(diffs)
    if run.gx is not None:
        diffs = suite_differences(run.gx, run.spark)
        assert not diffs, "Spark differs from GX on DuckDB:\n" + "\n".join(diffs)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiled")


# --- tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ansi", ["false", "true"])
def test_every_compiled_type_gives_duckdb_and_gx_results_on_spark(tmp: Path, spark: Any, ansi: str) -> None:
    """With ANSI mode off (dbt-spark's sessions) and on (Spark 4's default)."""
    spark.conf.set("spark.sql.ansi.enabled", ansi)
    try:
        _every_compiled_type(tmp, spark)
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "false")


def _every_compiled_type(tmp: Path, spark: Any) -> None:
    expectations = suite_for(ROWS, REGEXES)
    assert {x["type"] for x in expectations} == set(COMPILED_TYPES)
    started = time.monotonic()
    run = run_all(tmp, spark, ROWS, expectations)
    assert_same(run)
    spark_results = run.spark["results"]
    assert len(spark_results) == len(expectations)
    assert not run.spark["success"]  # failures too: samples, counts and percentages are compared
    assert sum(1 for r in spark_results if r["success"]) > len(expectations) // 6
    # Spark's SQL: backticks, rlike, the left semi join, no DuckDB list aggregates
    scan = next(q for q in run.spark_queries if q.startswith("select\n"))
    assert "`s` rlike ?" in scan and '"' not in scan and "list(" not in scan and "filter (where" not in scan
    assert any("left semi join" in q for q in run.spark_queries)
    assert any(q.startswith("describe table `main`.") for q in run.spark_queries)
    seconds = time.monotonic() - started
    print(f"\n{len(expectations)} expectations, {len(run.spark_queries)} Spark queries, {seconds:.1f} s")


@pytest.mark.parametrize("fmt", ["BASIC", "SUMMARY"])
def test_an_empty_table_in_another_database(tmp: Path, spark: Any, fmt: str) -> None:
    run = run_all(tmp, spark, [], suite_for([]), database="raw_shop", fmt=fmt)
    assert_same(run)


def test_what_spark_hands_to_gx_is_exactly_what_it_cannot_reproduce(tmp: Path, spark: Any) -> None:
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    write_duckdb(warehouse, name, ROWS)
    write_spark(spark, "main", name, ROWS)
    expectations = [dict(x) for x, _ in HANDED_OVER] + suite_for(ROWS)[:5]
    suite = write_suite(tmp, name, expectations)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format("SUMMARY", 20)
    plans = {}
    for label, target, schema in (("duckdb", warehouse, "mart"), ("spark", SparkWarehouse(spark), "main")):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            plans[label] = engine.plan(product(name, schema), suite, params)
        finally:
            engine.close()
    assert all(p.check is not None for p in plans["duckdb"]), [
        p.reason for p in plans["duckdb"] if p.check is None
    ]
    handed = {p.position: p.reason or "" for p in plans["spark"] if p.check is None}
    assert sorted(handed) == list(range(len(HANDED_OVER)))
    for position, (_, why) in enumerate(HANDED_OVER):
        assert why in handed[position], (position, handed[position])


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=rows_strategy, regexes=st.lists(st.sampled_from(REGEXES), min_size=1, max_size=4, unique=True))
def test_drawn_tables_give_duckdb_results_on_spark(
    tmp: Path, spark: Any, rows: list[tuple[Any, ...]], regexes: list[str]
) -> None:
    """Hypothesis tables (no GX run: the DuckDB engine is held to GX by ``tests/unit``'s differential tests)."""
    run = run_all(tmp, spark, rows, suite_for(rows, regexes), with_gx=False)
    assert_same(run)


def test_translated_regexes_match_where_duckdb_matches(spark: Any) -> None:
    """Every regex of the subset against every test string: DuckDB's ``~`` (RE2) and Spark's ``rlike`` of the
    translation agree, in one query per engine."""
    strings = [*WORDS, "a\r", "a\n\n", "\n", "aab", "ab\n", "K\u212a", "SKU-0001234", "𝔘", "a.cc", "1 2"]
    pairs = [(s, r) for s in strings for r in REGEXES]
    con = duckdb.connect()
    try:
        ours = [
            bool(v)
            for (v,) in con.execute(
                "select s ~ r from (select unnest(?) as s, unnest(?) as r)",
                [[s for s, _ in pairs], [r for _, r in pairs]],
            ).fetchall()
        ]
    finally:
        con.close()
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType(
        [StructField("n", StringType()), StructField("s", StringType()), StructField("r", StringType())]
    )
    frame = spark.createDataFrame([(str(n), s, java_regex(r)) for n, (s, r) in enumerate(pairs)], schema)
    frame.createOrReplaceTempView("regex_pairs")
    theirs = {int(n): bool(v) for n, v in spark.sql("select n, s rlike r from regex_pairs").collect()}
    differ = [(pairs[n], ours[n], theirs[n]) for n in range(len(pairs)) if ours[n] != theirs[n]]
    assert not differ, differ
    assert sum(ours) > len(pairs) // 10  # not vacuous
