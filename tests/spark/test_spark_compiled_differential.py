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
import decimal
import itertools
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataproducts.validation.engine import result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.registry import COMPILED_TYPES
from dataproducts.validation.sql.dialect import java_regex
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import load_suite, suite_parameters
from differential import suite_differences

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]

AS_OF = dt.date(2026, 11, 20)
# name -> (DuckDB type, Spark type)
COLUMNS: dict[str, tuple[str, str]] = {
    "i": ("INTEGER", "int"),
    "j": ("BIGINT", "bigint"),
    "f": ("DOUBLE", "double"),
    "d": ("DECIMAL(12,2)", "decimal(12,2)"),
    "s": ("VARCHAR", "string"),
    "b": ("BOOLEAN", "boolean"),
    "ts": ("TIMESTAMP", "timestamp"),
    "tn": ("TIMESTAMP", "timestamp_ntz"),
    "dd": ("DATE", "date"),
}
WORDS = [
    "a",
    "B",
    "ab",
    "abc",
    "a.c",
    "a\n",
    "a\nb",
    "\x0b",
    " a ",
    "tab\there",
    "äö",
    "日本",
    "emoji 🙂",
    "",
    "a]b",
    "x'y",
    "a@b.co",
    "SKU-000123",
    "SKU-12",
    "K",
]
T = dt.datetime
D = dt.date
DEC = decimal.Decimal
ROWS: list[tuple[Any, ...]] = [
    (1, 10, 0.5, DEC("1.25"), "a", True, T(2026, 1, 1, 12), T(2026, 1, 1, 12), D(2026, 1, 1)),
    (1, 10, 0.5, DEC("1.25"), "a", True, T(2026, 1, 1, 12), T(2026, 1, 1, 12), D(2026, 1, 1)),
    (
        2,
        3_000_000_000,
        -1.5,
        DEC("-0.01"),
        "abc",
        False,
        T(2026, 11, 19, 23, 59, 59, 999_999),
        None,
        D(2026, 11, 19),
    ),
    (3, 2**62, 1e300, DEC("9999999999.99"), "a\n", None, T(1970, 1, 1), T(2030, 12, 31, 6), D(2000, 1, 1)),
    (4, 2**62, 2.25, DEC("0.10"), "a\nb", True, T(2026, 11, 20, 6), T(2026, 11, 20, 6), D(2026, 10, 21)),
    (None, None, None, None, None, None, None, None, None),
    (5, -7, -0.0, DEC("100.00"), "\x0b", True, T(2026, 11, 19), T(2026, 11, 19), D(2026, 11, 19)),
    (6, 0, 3.5, DEC("2.50"), "tab\there", False, T(2026, 6, 1, 0, 0, 0, 1), T(2026, 6, 1), D(2026, 6, 1)),
    (7, 7, 3.5, DEC("2.50"), "äö", True, None, T(2026, 6, 2), None),
    (8, 8, 4.0, None, "日本", True, T(2026, 6, 3), T(2026, 6, 3), D(2026, 6, 3)),
    (9, 9, 5.0, DEC("3.00"), "emoji 🙂", None, T(2026, 6, 4), None, D(2026, 6, 4)),
    (10, 10, 6.0, DEC("3.00"), "", False, T(2026, 6, 5), T(2026, 6, 5), D(2026, 6, 5)),
    (11, None, 7.0, DEC("4.00"), "a]b", True, T(2026, 6, 6), T(2026, 6, 6), D(2026, 6, 6)),
    (12, 12, None, DEC("5.00"), "SKU-000123", True, T(2026, 6, 7), T(2026, 6, 7), D(2026, 6, 7)),
    (13, 13, 8.0, DEC("6.00"), "SKU-12", True, T(2026, 6, 8), T(2026, 6, 8), D(2026, 6, 8)),
    (13, 13, 8.0, DEC("6.00"), "SKU-12", True, T(2026, 6, 8), T(2026, 6, 8), D(2026, 6, 8)),
    (14, 14, 9.0, DEC("7.00"), "K", False, T(2026, 6, 9), T(2026, 6, 9), D(2026, 6, 9)),
    (15, 15, 10.0, DEC("8.00"), "x'y", True, T(2026, 6, 10), T(2026, 6, 10), D(2026, 6, 10)),
    (16, 16, 11.0, DEC("9.00"), "a.c", True, T(2026, 6, 11), T(2026, 6, 11), D(2026, 6, 11)),
]
REGEXES = [
    "^[a-z]+$",
    "a",
    "^SKU-[0-9]{6}$",
    "^.{0,2}$",
    "[À-ÿ]",
    "^$",
    "a.c",
    "a$",
    "^a\\z",
    "\\s",
    "\\S+\\s\\S+",
    "[]a]+",
    "[^a-z]",
    "\\w+@\\w+\\.co",
    "(ab|c)+",
    "x'y|日",
    "(?s)a.b",
    "\\x{1F642}",
    "\\.",
    "[\\d]{2,}",
    "^(?:K|B)?$",
    "a+?b",
]
# Expectations the Spark dialect hands to GX (their reason contains the text), each compiled on DuckDB.
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

DEFAULT_BOUND: dict[str, Any] = {"ts": T(2026, 1, 1, 12), "tn": T(2026, 1, 1, 12), "dd": D(2026, 1, 1)}

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


def _text(value: Any) -> str | None:
    """A value as the text Spark casts back to it exactly."""
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def write_duckdb(path: Path, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists mart")
        con.execute(
            f"create table mart.{name} (" + ", ".join(f"{c} {t}" for c, (t, _) in COLUMNS.items()) + ")"
        )
        if rows:
            con.executemany(f"insert into mart.{name} values ({', '.join('?' for _ in COLUMNS)})", list(rows))
    finally:
        con.close()


def write_spark(spark: Any, database: str, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """A Parquet table of the same rows: every value travels as text and is cast in SQL (no Python time
    zone conversion on the way)."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType()) for c in COLUMNS])
    spark.sql(
        f"create table {database}.{name} ("
        + ", ".join(f"`{c}` {t}" for c, (_, t) in COLUMNS.items())
        + ") using parquet"
    )
    if rows:
        view = f"rows_{name}"
        spark.createDataFrame([tuple(_text(v) for v in r) for r in rows], schema).createOrReplaceTempView(
            view
        )
        casts = ", ".join(f"cast(`{c}` as {t})" for c, (_, t) in COLUMNS.items())
        spark.sql(f"insert into {database}.{name} select {casts} from {view}")
        spark.catalog.dropTempView(view)


# --- the suite --------------------------------------------------------------------------------------------------


def _json(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def suite_for(rows: Sequence[tuple[Any, ...]], regexes: Sequence[str] = REGEXES[:6]) -> list[dict[str, Any]]:
    """Every compiled type, with bounds and sets taken from the data."""
    col = {name: [r[k] for r in rows] for k, name in enumerate(COLUMNS)}
    present = {c: sorted({v for v in vs if v is not None}, key=repr) for c, vs in col.items()}
    e: list[dict[str, Any]] = []

    def add(kind: str, **kwargs: Any) -> None:
        e.append({"type": kind, "kwargs": {k: _json(v) for k, v in kwargs.items()}})

    def at(c: str, where: float) -> Any:
        """The value at a share of the sorted values (a default bound of the column's type when none)."""
        values = sorted(v for v in col[c] if v is not None)
        return values[int(where * (len(values) - 1))] if values else DEFAULT_BOUND.get(c, 0)

    for c in COLUMNS:
        add("expect_column_values_to_not_be_null", column=c, mostly=0.9)
    add("expect_column_values_to_be_null", column="s", mostly=0.5)
    for c in ("i", "j", "s", "ts", "tn", "d", "f"):
        add("expect_column_values_to_be_unique", column=c)
    words = present["s"][:4] or ["a"]
    add("expect_column_values_to_be_in_set", column="s", value_set=words, mostly=0.5)
    add("expect_column_values_to_be_in_set", column="i", value_set=present["i"][:3] or [0])
    add("expect_column_values_to_be_in_set", column="j", value_set=[10, 2**62, 3_000_000_000])
    add("expect_column_values_to_be_in_set", column="d", value_set=[1.25, 2.5, 3])
    add("expect_column_values_to_be_in_set", column="b", value_set=[True])
    add("expect_column_values_to_not_be_in_set", column="s", value_set=words)
    add("expect_column_values_to_be_between", column="i", min_value=at("i", 0.5), max_value=at("i", 0.9))
    add("expect_column_values_to_be_between", column="j", min_value=at("j", 0.2), strict_min=True)
    add(
        "expect_column_values_to_be_between",
        column="f",
        min_value=at("f", 0),
        max_value=at("f", 0.5),
        mostly=0.5,
    )
    add("expect_column_values_to_be_between", column="d", max_value=at("d", 0.5), strict_max=True)
    add("expect_column_values_to_be_between", column="ts", min_value=at("ts", 0.3), max_value=at("ts", 0.8))
    add(
        "expect_column_values_to_be_between",
        column="tn",
        min_value=at("tn", 0.5),
        strict_min=True,
        mostly=0.5,
    )
    add("expect_column_values_to_be_between", column="dd", min_value=at("dd", 0.2), max_value=at("dd", 0.6))
    add(
        "expect_column_values_to_be_between", column="dd", max_value=at("ts", 0.5)
    )  # a date against a datetime
    add("expect_column_values_to_be_between", column="ts", min_value=at("dd", 0.5))  # and the other way round
    add(
        "expect_column_values_to_be_between",
        column="dd",
        min_value={"$PARAMETER": "as_of_minus_730d_date"},
        max_value={"$PARAMETER": "last_data_date"},
    )
    add(
        "expect_column_values_to_be_between",
        column="ts",
        min_value={"$PARAMETER": "last_data_day_start"},
        max_value={"$PARAMETER": "as_of_time"},
        mostly=0.1,
    )
    for regex in regexes:
        add("expect_column_values_to_match_regex", column="s", regex=regex, mostly=0.5)
        add("expect_column_values_to_not_match_regex", column="s", regex=regex)
    add("expect_column_value_lengths_to_be_between", column="s", min_value=1, max_value=3)
    add("expect_column_value_lengths_to_equal", column="s", value=2)
    for a, b, ignore in (
        ("i", "j", None),
        ("f", "d", "either_value_is_missing"),
        ("ts", "tn", "neither"),
    ):
        kwargs: dict[str, Any] = {"column_A": a, "column_B": b, "or_equal": a == "f"}
        if ignore:
            kwargs["ignore_row_if"] = ignore
        add("expect_column_pair_values_a_to_be_greater_than_b", **kwargs)
    add("expect_column_pair_values_to_be_equal", column_A="i", column_B="j")
    add(
        "expect_column_pair_values_to_be_equal",
        column_A="ts",
        column_B="tn",
        ignore_row_if="either_value_is_missing",
    )
    for cols, ignore in (
        (["i", "s"], None),
        (["i", "j", "b"], "any_value_is_missing"),
        (["ts", "dd"], "never"),
    ):
        kwargs = {"column_list": cols}
        if ignore:
            kwargs["ignore_row_if"] = ignore
        add("expect_compound_columns_to_be_unique", **kwargs)
    for c in ("i", "j", "f", "d", "ts", "tn", "dd"):
        add("expect_column_max_to_be_between", column=c, min_value=at(c, 0.5), max_value=at(c, 0.9))
        add("expect_column_min_to_be_between", column=c, max_value=at(c, 0.5))
    add(
        "expect_column_max_to_be_between",
        column="ts",
        min_value={"$PARAMETER": "last_data_day_start"},
        max_value={"$PARAMETER": "as_of_time"},
    )
    for c in ("i", "j", "f", "d"):
        add("expect_column_mean_to_be_between", column=c, min_value=-10.0, max_value=1e6)
        add("expect_column_median_to_be_between", column=c, min_value=0, max_value=1e6)
        add("expect_column_sum_to_be_between", column=c, min_value=-1e9, max_value=1e12)
    for c in ("s", "i", "ts"):
        add("expect_column_unique_value_count_to_be_between", column=c, min_value=1, max_value=10)
    add("expect_column_proportion_of_unique_values_to_be_between", column="i", min_value=0.5, max_value=1.0)
    add("expect_column_proportion_of_non_null_values_to_be_between", column="s", min_value=0.8)
    add("expect_column_distinct_values_to_equal_set", column="s", value_set=words)
    add("expect_column_distinct_values_to_equal_set", column="i", value_set=present["i"][:4])
    add("expect_column_distinct_values_to_equal_set", column="b", value_set=[True, False])
    add("expect_table_row_count_to_be_between", min_value=1, max_value=20)
    add("expect_table_row_count_to_equal", value=len(rows))
    add("expect_table_columns_to_match_ordered_list", column_list=list(COLUMNS))
    add("expect_table_columns_to_match_set", column_set=["i", "s", "x"], exact_match=False)
    add("expect_table_column_count_to_equal", value=len(COLUMNS))
    add("expect_table_column_count_to_be_between", min_value=1, max_value=5)
    for x in e:
        x["kwargs"] = {k: v for k, v in x["kwargs"].items() if v is not None}
    return e


# --- running ----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    duckdb: dict[str, Any]
    spark: dict[str, Any]
    gx: dict[str, Any] | None
    spark_queries: list[str]


def _suite(tmp: Path, name: str, expectations: list[dict[str, Any]]) -> Any:
    path = tmp / f"{name}.json"
    for x in expectations:
        x.setdefault("severity", "critical")
    path.write_text(json.dumps({"name": f"test.{name}", "expectations": expectations}, default=str))
    return load_suite(path)


def _product(name: str, schema: str) -> Any:
    latest = SimpleNamespace(schema=schema, alias=name, relation=f"{schema}.{name}")
    return SimpleNamespace(id=f"test.{name}", name=name, latest=latest, relation=f"{schema}.{name}")


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
    suite = _suite(tmp, name, expectations)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format(fmt, 20)
    results: dict[str, dict[str, Any]] = {}
    queries: list[str] = []
    for label, target, schema in (("duckdb", warehouse, "mart"), ("spark", SparkWarehouse(spark), database)):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            results[label] = engine.validate(_product(name, schema), suite, params).to_json_dict()
            if label == "spark":
                queries = list(engine.queries)
        finally:
            engine.close()
    gx_result = None
    if with_gx:
        gx = GxEngine(warehouse, result_format=rf, run_name=name, run_time=now)
        try:
            gx_result = gx.validate(_product(name, "mart"), suite, params).to_json_dict()
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
    suite = _suite(tmp, name, expectations)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format("SUMMARY", 20)
    plans = {}
    for label, target, schema in (("duckdb", warehouse, "mart"), ("spark", SparkWarehouse(spark), "main")):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            plans[label] = engine.plan(_product(name, schema), suite, params)
        finally:
            engine.close()
    assert all(p.check is not None for p in plans["duckdb"]), [
        p.reason for p in plans["duckdb"] if p.check is None
    ]
    handed = {p.position: p.reason or "" for p in plans["spark"] if p.check is None}
    assert sorted(handed) == list(range(len(HANDED_OVER)))
    for position, (_, why) in enumerate(HANDED_OVER):
        assert why in handed[position], (position, handed[position])


ints = st.one_of(st.none(), st.integers(-(2**31) + 1, 2**31 - 1), st.sampled_from([0, 1, 7]))
bigints = st.one_of(st.none(), st.integers(-(2**63) + 1, 2**63 - 1), st.sampled_from([0, 2**62]))
floats = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, 1e300, -1e300, 1e-300]),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)
decimals = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)
texts = st.one_of(st.none(), st.sampled_from(WORDS), st.text(max_size=6))
timestamps = st.one_of(st.none(), st.datetimes(min_value=T(1970, 1, 1), max_value=T(2030, 12, 31)))
dates = st.one_of(st.none(), st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)))
rows_strategy = st.lists(
    st.tuples(
        ints,
        bigints,
        floats,
        decimals,
        texts,
        st.one_of(st.none(), st.booleans()),
        timestamps,
        timestamps,
        dates,
    ),
    min_size=0,
    max_size=25,
)


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
