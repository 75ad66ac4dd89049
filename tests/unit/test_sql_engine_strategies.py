"""The compiled engine's strategies (``compiler`` module docstring) give GX's results, and only run the
queries they promise: uniqueness answered by enforced keys, folds into the scan of small tables, the
count-only uniqueness query of big tables, and the catalog they are chosen from.

Three ways of checking, from end to end to the metrics:

* GX itself: hypothesis tables with PRIMARY KEY, UNIQUE (NULLs allowed) and compound UNIQUE constraints,
  validated by GX and by the compiled engine with the catalog's tables, on the small-table path and on the
  big-table path (threshold forced below the table), compared with ``differential.suite_differences``.
* The metrics every strategy hands to GX's expectation classes must be the metrics of the plain path (a
  ``Table`` without keys or size, which ``test_sql_engine_differential`` holds against GX), with the scan row
  as it comes from DuckDB and after GX's JSON conversion (so the folds do not depend on the engine doing it).
* The queries each strategy sends, recorded at the ``Check`` level.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import itertools
import json
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from unittest import mock

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataproducts.products import DataProduct
from dataproducts.validation.engine import result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.native import ResultFormat
from dataproducts.validation.registry import compile_expectation
from dataproducts.validation.sql import compiler
from dataproducts.validation.sql.catalog import Catalog, load_catalog
from dataproducts.validation.sql.compiler import MAX_RESULT_RECORDS, Check, Scan, Table
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import load_suite
from differential import suite_differences

DDL = """
create table mart.t (
  id integer primary key,
  u varchar unique,
  a integer,
  c date,
  b varchar,
  f double,
  d decimal(12,2),
  flag boolean,
  unique (a, c)
)
"""
COLUMNS = ("id", "u", "a", "c", "b", "f", "d", "flag")
_counter = itertools.count()

# --- tables ---------------------------------------------------------------------------------------------------

us = st.one_of(st.none(), st.sampled_from(["x", "X", "y", "日本", ""]), st.text(max_size=3))
small_ints = st.one_of(st.none(), st.integers(-2, 3), st.sampled_from([2**31 - 1, -(2**31) + 1]))
dates = st.one_of(
    st.none(), st.sampled_from([dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(1999, 12, 31)])
)
words = st.one_of(st.none(), st.sampled_from(["a", "B", "ab", "äö", "", "a b", "x'y"]))
# No -0.0 beside 0.0 here: which of two equal zeros is the median's centre is the scan order's choice (GX's
# too); the zeros are checked on their own below.
floats = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, 1e300, -1e-300, 2.5]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0),
)
decimals = st.one_of(
    st.none(),
    st.sampled_from([decimal.Decimal("0.10"), decimal.Decimal("0.20"), decimal.Decimal("-1.05")]),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
)
bools = st.one_of(st.none(), st.booleans())
raw_rows = st.lists(st.tuples(us, small_ints, dates, words, floats, decimals, bools), max_size=30)


def _constrained(raw: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows the table's keys accept: a distinct id; a repeated ``u`` or ``(a, c)`` loses its value."""
    seen_u: set[Any] = set()
    seen_ac: set[Any] = set()
    rows = []
    for i, (u, a, c, b, f, d, flag) in enumerate(raw):
        if u is not None:
            if u in seen_u:
                u = None
            seen_u.add(u)
        if a is not None and c is not None:
            if (a, c) in seen_ac:
                c = None
            else:
                seen_ac.add((a, c))
        rows.append((i * 3 - 20, u, a, c, b, f, d, flag))
    return rows


def _warehouse(tmp: Path, rows: Sequence[tuple[Any, ...]], ddl: str = DDL, table: str = "mart.t") -> Path:
    path = tmp / f"w{next(_counter)}.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists mart")
        con.execute(ddl)
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            con.executemany(f"insert into {table} values ({marks})", list(rows))
    finally:
        con.close()
    return path


# --- suites ---------------------------------------------------------------------------------------------------


def _json(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


MAP_TYPES = ("expect_column_values", "expect_column_value_lengths", "expect_column_pair", "expect_compound")


@st.composite
def suites(draw: st.DrawFn, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    col = {name: [r[k] for r in rows] for k, name in enumerate(COLUMNS)}
    mostly = st.sampled_from([None, 0.5, 0.9])
    e: list[dict[str, Any]] = []

    def add(kind: str, **kwargs: Any) -> None:
        m = draw(mostly)
        if m is not None and kind.startswith(MAP_TYPES):
            kwargs["mostly"] = m
        e.append({"type": kind, "kwargs": {k: _json(v) for k, v in kwargs.items()}})

    for c in COLUMNS:
        add("expect_column_values_to_be_unique", column=c)
    for cols in (["a", "c"], ["a", "c", "flag"], ["id", "b"], ["u", "b"], ["a", "b"], ["a", "f"], ["c", "d"]):
        ignore = draw(st.sampled_from([None, "all_values_are_missing", "any_value_is_missing", "never"]))
        add(
            "expect_compound_columns_to_be_unique",
            column_list=cols,
            **({"ignore_row_if": ignore} if ignore else {}),
        )
    for c in ("a", "f", "d"):
        add("expect_column_median_to_be_between", column=c, min_value=-1, max_value=1e6)
    present_a = sorted({v for v in col["a"] if v is not None})
    add(
        "expect_column_distinct_values_to_equal_set",
        column="a",
        value_set=draw(st.lists(st.sampled_from(present_a or [0]), max_size=3)),
    )
    add("expect_column_distinct_values_to_equal_set", column="flag", value_set=[True])
    add("expect_column_distinct_values_to_equal_set", column="b", value_set=["a", "B"])
    add(
        "expect_column_values_to_be_in_set",
        column="b",
        value_set=draw(st.lists(st.sampled_from(["a", "B", "ab", ""]), max_size=3)),
    )
    add("expect_column_values_to_be_in_set", column="flag", value_set=[True])
    add("expect_column_values_to_be_between", column="a", min_value=0, max_value=2)
    add("expect_column_values_to_be_between", column="f", min_value=0.0, max_value=3.0)
    add("expect_column_values_to_be_between", column="d", min_value=-1, max_value=0.15)
    add("expect_column_values_to_be_between", column="c", min_value=dt.date(2026, 1, 1))
    add("expect_column_values_to_be_null", column="d")
    add("expect_column_values_to_not_be_null", column="f")
    add("expect_column_values_to_match_regex", column="b", regex="^[a-z]+$")
    add("expect_column_value_lengths_to_be_between", column="u", min_value=1, max_value=2)
    add(
        "expect_column_pair_values_a_to_be_greater_than_b",
        column_A="a",
        column_B="d",
        or_equal=draw(st.booleans()),
    )
    add("expect_column_pair_values_a_to_be_greater_than_b", column_A="f", column_B="a")
    add("expect_column_pair_values_to_be_equal", column_A="b", column_B="u")
    add("expect_column_pair_values_to_be_equal", column_A="flag", column_B="flag", ignore_row_if="neither")
    add("expect_table_row_count_to_be_between", min_value=1)
    return e


def _suite(tmp: Path, expectations: list[dict[str, Any]]) -> Any:
    name = f"s{next(_counter)}"
    for x in expectations:
        x.setdefault("severity", "critical")
    path = tmp / f"{name}.json"
    path.write_text(json.dumps({"name": f"test.{name}", "expectations": expectations}, default=str))
    return load_suite(path)


# the fields of a data product the engines read
PRODUCT = cast(
    DataProduct,
    SimpleNamespace(
        id="test.t", name="t", latest=SimpleNamespace(schema="mart", alias="t", relation="mart.t")
    ),
)
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


# --- the engine with the catalog's tables ---------------------------------------------------------------------


def _sql_engine(
    warehouse: Path, rf: ResultFormat, adjust: Callable[[Table], Table] = lambda t: t
) -> SqlEngine:
    """``SqlEngine`` reading its tables from the catalog (``adjust`` may change them). The one seam with the
    engine: when the engine builds its tables from the catalog itself, this is where to follow it."""
    engine = SqlEngine(warehouse, result_format=rf, run_name="strategies", run_time=NOW)
    engine.catalog = Catalog({key: adjust(table) for key, table in engine.catalog.tables.items()})
    engine.queries.clear()
    return engine


def _validate_sql(
    warehouse: Path, suite: Any, rf: ResultFormat, *, big: bool = False
) -> tuple[Any, list[str]]:
    engine = _sql_engine(warehouse, rf)
    try:
        with mock.patch.object(compiler, "SMALL_TABLE_ROWS", -1 if big else compiler.SMALL_TABLE_ROWS):
            result = engine.validate(PRODUCT, suite, {})
        return result.to_json_dict(), list(engine.queries)
    finally:
        engine.close()


def _validate_gx(warehouse: Path, suite: Any, rf: ResultFormat) -> Any:
    gx = GxEngine(warehouse, result_format=rf, run_name="strategies-gx", run_time=NOW)
    try:
        return gx.validate(PRODUCT, suite, {}).to_json_dict()
    finally:
        gx.close()


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("strategies")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_constraints_folds_and_the_big_table_path_give_gx_results(tmp: Path, data: st.DataObject) -> None:
    rows = _constrained(data.draw(raw_rows))
    expectations = data.draw(suites(rows))
    fmt = data.draw(st.sampled_from(["SUMMARY", "BASIC"]))
    rf = result_format(fmt, data.draw(st.sampled_from([20, 3, 0])))
    warehouse = _warehouse(tmp, rows)
    suite = _suite(tmp, expectations)
    theirs = _validate_gx(warehouse, suite, rf)
    for big in (False, True):
        ours, _ = _validate_sql(warehouse, suite, rf, big=big)
        diffs = suite_differences(theirs, ours)
        assert not diffs, ("big" if big else "small") + " table path:\n" + "\n".join(diffs)


def test_nan_zeros_and_a_collation_give_gx_results(tmp: Path) -> None:
    """What the folds must carry through the scan row exactly: NaN (JSON conversion makes it None), -0.0
    beside 0.0, DECIMAL text; and a NOCASE column, whose duplicates ``list_unique`` would not see."""
    ddl = "create table mart.t (id integer primary key, f double, d decimal(12,2), s varchar collate nocase, i integer)"
    nan = float("nan")
    rows = [
        (1, nan, decimal.Decimal("0.10"), "a", 1),
        (2, float("-nan"), decimal.Decimal("0.20"), "A", 2),
        (3, -0.0, decimal.Decimal("0.20"), "b", 3),
        (4, 0.0, None, None, None),
        (5, 1.5, decimal.Decimal("-3.33"), "B", 3),
    ]
    warehouse = _warehouse(tmp, rows, ddl)
    expectations: list[dict[str, Any]] = [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": c}} for c in ("f", "d", "s", "i")
    ]
    expectations += [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "f", "max_value": 1.0, "mostly": 0.1},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "d", "max_value": 0.15, "mostly": 0.1},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "s", "value_set": ["a"], "mostly": 0.1},
        },
        {"type": "expect_column_median_to_be_between", "kwargs": {"column": "d", "min_value": 0}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["s", "i"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["f", "i"]}},
    ]
    suite = _suite(tmp, expectations)
    rf = result_format("SUMMARY", 20)
    theirs = _validate_gx(warehouse, suite, rf)
    counts = {
        r["expectation_config"]["kwargs"]["column"]: r["result"]["unexpected_count"]
        for r in theirs["results"]
        if r["expectation_config"]["type"] == "expect_column_values_to_be_unique"
    }
    assert counts == {"f": 4, "d": 2, "s": 4, "i": 2}, counts  # NaNs, zeros, 0.20, a/A and b/B, 3 repeat
    (median,) = [r for r in theirs["results"] if "median" in r["expectation_config"]["type"]]
    assert median["result"]["observed_value"] == 0.15  # (0.10 + 0.20) / 2 in Decimal, not in float
    for big in (False, True):
        ours, _ = _validate_sql(warehouse, suite, rf, big=big)
        diffs = suite_differences(theirs, ours)
        assert not diffs, "\n".join(diffs)


def test_empty_tables_and_all_null_keys_give_gx_results(tmp: Path) -> None:
    ddl = "create table mart.t (id integer primary key, u varchar unique, a integer, c date, unique (a, c))"
    expectations = (
        [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": c}} for c in ("id", "u", "a")]
        + [
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": cols}}
            for cols in (["a", "c"], ["c", "a", "u"], ["id", "u"])
        ]
        + [
            {"type": "expect_column_median_to_be_between", "kwargs": {"column": "a", "min_value": 0}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": 5, "mostly": 0.5},
            },
        ]
    )
    for rows in ([], [(1, None, None, None), (2, None, None, None), (3, None, 1, None), (4, None, 1, None)]):
        warehouse = _warehouse(tmp, rows, ddl)
        suite = _suite(tmp, [dict(x) for x in expectations])
        for fmt, samples in (("SUMMARY", 20), ("BASIC", 0)):
            rf = result_format(fmt, samples)
            theirs = _validate_gx(warehouse, suite, rf)
            for big in (False, True):
                ours, _ = _validate_sql(warehouse, suite, rf, big=big)
                diffs = suite_differences(theirs, ours)
                assert not diffs, "\n".join(diffs)


# --- the queries each strategy sends --------------------------------------------------------------------------


def test_a_passing_suite_on_a_small_keyed_table_is_one_scan(tmp: Path) -> None:
    rows = [
        (
            i,
            f"u{i}",
            i % 4,
            dt.date(2026, 1, 1) + dt.timedelta(days=i),
            "ab",
            i / 2,
            decimal.Decimal(i),
            i % 3 > 0,
        )
        for i in range(300)
    ]
    warehouse = _warehouse(tmp, rows)
    suite = _suite(
        tmp,
        [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},  # primary key
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "u"}},  # unique
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": ["a", "c", "b"]},
            },  # key subset
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "f"}},  # probe
            {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["f", "d"]}},  # probe
            {"type": "expect_column_median_to_be_between", "kwargs": {"column": "d", "min_value": 0}},
            {
                "type": "expect_column_distinct_values_to_equal_set",
                "kwargs": {"column": "a", "value_set": [0, 1, 2, 3]},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "flag", "value_set": [True], "mostly": 0.5},
            },
        ],
    )
    ours, queries = _validate_sql(warehouse, suite, result_format("SUMMARY", 20))
    assert ours["success"], ours
    assert len(queries) == 1, (
        queries
    )  # the scan: no group by, no ordered read, no distinct read, no sample read
    (flags,) = [r["result"] for r in ours["results"] if r["expectation_config"]["type"].endswith("in_set")]
    assert flags["unexpected_count"] == 100 and len(flags["partial_unexpected_list"]) == 20
    # the same suite without the catalog's knowledge: the follow-ups are back
    _, big_queries = _validate_sql(warehouse, suite, result_format("SUMMARY", 20), big=True)
    assert len([q for q in big_queries if "group by" in q]) == 2, big_queries
    assert any("order by" in q for q in big_queries) and any("select distinct" in q for q in big_queries)


class Recorder:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.sql: list[str] = []

    def __call__(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.sql.append(sql)
        return self.con.execute(sql, list(params)).fetchall()


def _metrics(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    checks: Sequence[Check],
    options: ResultFormat,
    *,
    convert: bool = True,
) -> tuple[list[dict[str, Any]], list[str]]:
    """What the engine does with checks: one scan, the row through GX's JSON conversion, then metrics."""
    from great_expectations.util import convert_to_json_serializable

    scan = Scan()
    for check in checks:
        check.plan(scan)
    sql, params = scan.sql(table.relation)
    row = list(con.execute(sql, params).fetchall()[0])
    if convert:
        row = [convert_to_json_serializable(v) for v in row]
    rec = Recorder(con)
    return [check.metrics(row, rec, options) for check in checks], rec.sql


SUMMARY = ResultFormat("SUMMARY", 20)
NO_SAMPLES = ResultFormat("BASIC", 0)

ORDERS_DDL = """
create table mart.orders (
  order_id integer primary key, email varchar unique, customer_id integer, ordered_at timestamp,
  amount decimal(12,2), grp integer, unique (customer_id, ordered_at), unique (grp, customer_id, order_id)
)"""


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("orders") / "orders.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema mart")
    con.execute(ORDERS_DDL)
    con.execute(
        "insert into mart.orders select range, case when range % 10 = 0 then null else 'e' || range end, "
        "range % 7, timestamp '2026-01-01' + to_seconds(range // 2), range / 3, range % 5 from range(1234)"
    )
    con.execute("create view mart.orders_v as select order_id, amount from mart.orders")
    con.execute('create schema "Odd""Schema"')
    con.execute('create table "Odd""Schema"."we""ird" ("x y" double, s varchar collate nocase, unique (s))')
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_the_catalog_reads_columns_keys_and_sizes_in_one_query(orders: duckdb.DuckDBPyConnection) -> None:
    rec = Recorder(orders)
    catalog = load_catalog(rec)
    assert len(rec.sql) == 1
    t = catalog.table("mart", "orders")
    assert t.relation == '"mart"."orders"'
    info = orders.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'mart' and table_name = 'orders' order by ordinal_position"
    ).fetchall()
    assert list(t.columns.items()) == info
    assert set(t.unique_keys) == {
        frozenset({"order_id"}),
        frozenset({"email"}),
        frozenset({"customer_id", "ordered_at"}),
        frozenset({"grp", "customer_id", "order_id"}),
    }
    assert t.estimated_rows == 1234
    view = catalog.table("mart", "orders_v")
    assert (
        list(view.columns) == ["order_id", "amount"]
        and view.unique_keys == ()
        and view.estimated_rows is None
    )
    odd = catalog.table('Odd"Schema', 'we"ird')
    assert odd.relation == '"Odd""Schema"."we""ird"' and odd.unique_keys == (frozenset({"s"}),)
    assert odd.estimated_rows == 0 and list(odd.columns) == ["x y", "s"]
    assert orders.execute(f"select count(*) from {odd.relation}").fetchall() == [(0,)]
    assert catalog.exists("mart", "orders_v") and catalog.exists('Odd"Schema', 'we"ird')
    assert not catalog.exists("mart", "nope") and not catalog.exists("information_schema", "tables")
    assert not catalog.exists("main", "duckdb_tables") and not catalog.exists(None, None)
    missing = catalog.table("mart", "nope")
    assert missing.columns == {} and missing.relation == '"mart"."nope"'
    # every user relation information_schema knows, with the same columns
    everything = orders.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall()
    assert {(s, n) for s, n in everything} == set(catalog.tables)


def test_enforced_keys_answer_uniqueness_without_a_query(orders: duckdb.DuckDBPyConnection) -> None:
    table = load_catalog(Recorder(orders)).table("mart", "orders")
    guaranteed: list[tuple[str, dict[str, Any]]] = [
        ("expect_column_values_to_be_unique", {"column": "order_id"}),  # primary key
        ("expect_column_values_to_be_unique", {"column": "email"}),  # unique, with nulls
        ("expect_compound_columns_to_be_unique", {"column_list": ["customer_id", "ordered_at"]}),
        ("expect_compound_columns_to_be_unique", {"column_list": ["ordered_at", "amount", "customer_id"]}),
        ("expect_compound_columns_to_be_unique", {"column_list": ["amount", "order_id"]}),
    ]
    for rows in (1234, None, 10**9):  # small, unknown and big: the key answers whatever the size
        sized = dataclasses.replace(table, estimated_rows=rows)
        checks = [compile_expectation(k, kw, sized) for k, kw in guaranteed]
        metrics, sql = _metrics(orders, sized, checks, SUMMARY)
        assert sql == []
        for m in metrics:
            counts = {k: v for k, v in m.items() if k.endswith(".unexpected_count") and "nonnull" not in k}
            assert list(counts.values()) == [0]
            assert [v for k, v in m.items() if k.endswith("unexpected_values")] == [[]]
    # without the keys, the same checks query (and agree)
    plain = Table(table.relation, table.columns)
    checks = [compile_expectation(k, kw, plain) for k, kw in guaranteed]
    plain_metrics, sql = _metrics(orders, plain, checks, SUMMARY)
    assert len(sql) == len(guaranteed)
    assert (
        plain_metrics
        == _metrics(orders, table, [compile_expectation(k, kw, table) for k, kw in guaranteed], SUMMARY)[0]
    )
    # a key is no guarantee for a column set that does not hold it (even a part of the key)
    for kind, kwargs in (
        ("expect_column_values_to_be_unique", {"column": "customer_id"}),
        ("expect_compound_columns_to_be_unique", {"column_list": ["customer_id", "grp"]}),
    ):
        _, sql = _metrics(
            orders, table, [compile_expectation(kind, kwargs, table, small_table_rows=0)], SUMMARY
        )
        assert len(sql) == 2 and "group by" in sql[0] and "limit" in sql[1]


def test_the_big_table_path_counts_first_and_reads_duplicates_only_when_needed(
    orders: duckdb.DuckDBPyConnection,
) -> None:
    table = dataclasses.replace(load_catalog(Recorder(orders)).table("mart", "orders"), estimated_rows=10**8)
    dup = ("expect_compound_columns_to_be_unique", {"column_list": ["customer_id", "grp"]})
    single = ("expect_column_values_to_be_unique", {"column": "ordered_at"})
    clean = ("expect_column_values_to_be_unique", {"column": "amount"})  # distinct: range / 3, one each
    for (kind, kwargs), options, expected in (
        (dup, SUMMARY, 2),
        (dup, NO_SAMPLES, 1),
        (single, SUMMARY, 2),
        (single, ResultFormat("SUMMARY", 0), 1),
        (clean, SUMMARY, 1),
    ):
        m, sql = _metrics(orders, table, [compile_expectation(kind, kwargs, table)], options)
        assert len(sql) == expected, (kind, kwargs, options, sql)
        assert "limit" not in sql[0] and "group by" in sql[0]
    m, _ = _metrics(orders, table, [compile_expectation(*single, table)], SUMMARY)
    assert m[0]["column_values.unique.unexpected_count"] == 1234
    sample = m[0]["column_values.unique.unexpected_values"]
    assert len(sample) == 20 and max(Counter(sample).values()) <= 2  # rows of up to 20 repeated values


def test_small_tables_fold_follow_ups_into_the_scan(orders: duckdb.DuckDBPyConnection) -> None:
    table = load_catalog(Recorder(orders)).table("mart", "orders")
    assert table.estimated_rows is not None and table.estimated_rows <= compiler.SMALL_TABLE_ROWS
    folded: list[tuple[str, dict[str, Any]]] = [
        ("expect_column_values_to_be_unique", {"column": "amount"}),  # probe, no duplicates
        ("expect_compound_columns_to_be_unique", {"column_list": ["amount", "order_id", "email"]}),  # key
        ("expect_compound_columns_to_be_unique", {"column_list": ["amount", "customer_id"]}),  # probe
        ("expect_column_median_to_be_between", {"column": "amount", "min_value": 0}),
        ("expect_column_distinct_values_to_equal_set", {"column": "customer_id", "value_set": [1, 2]}),
        ("expect_column_values_to_be_between", {"column": "amount", "max_value": 9, "mostly": 0.5}),
        ("expect_column_values_to_be_in_set", {"column": "email", "value_set": ["e1"], "mostly": 0.5}),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {"column_A": "customer_id", "column_B": "amount", "mostly": 0.1},
        ),
    ]
    checks = [compile_expectation(k, kw, table) for k, kw in folded]
    metrics, sql = _metrics(orders, table, checks, SUMMARY)
    assert sql == []
    big = [compile_expectation(k, kw, table, small_table_rows=0) for k, kw in folded]
    big_metrics, big_sql = _metrics(orders, table, big, SUMMARY)
    assert len(big_sql) == 7  # two uniqueness counts, median, distinct values, three samples
    for folded_m, big_m in zip(metrics, big_metrics, strict=True):  # ``m`` is a list of them below
        assert _comparable(folded_m) == _comparable(big_m)
    # a probe that finds duplicates runs the group by for GX's count and the sample
    dup = compile_expectation("expect_column_values_to_be_unique", {"column": "ordered_at"}, table)
    m, sql = _metrics(orders, table, [dup], SUMMARY)
    assert len(sql) == 2 and m[0]["column_values.unique.unexpected_count"] == 1234
    # without mostly < 1 the sample stays a follow-up, read only when the expectation fails
    strict = compile_expectation(
        "expect_column_values_to_be_between", {"column": "amount", "max_value": 9}, table
    )
    m, sql = _metrics(orders, table, [strict], SUMMARY)
    assert len(sql) == 1 and "limit 20" in sql[0]


def test_collated_strings_are_probed_with_their_collation(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table main.c (s varchar collate nocase, i interval, n integer)")
    con.execute(
        "insert into main.c values ('a', interval 1 month, 1), ('A', interval 30 days, 1), ('b', null, 2)"
    )
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        table = load_catalog(Recorder(con)).table(None, "c")
        assert table.columns == {"s": "VARCHAR", "i": "INTERVAL", "n": "INTEGER"}
        for kind, kwargs in (
            ("expect_column_values_to_be_unique", {"column": "s"}),
            ("expect_column_values_to_be_unique", {"column": "i"}),
            ("expect_compound_columns_to_be_unique", {"column_list": ["s", "n"]}),
        ):
            small, small_sql = _metrics(con, table, [compile_expectation(kind, kwargs, table)], SUMMARY)
            big, _ = _metrics(
                con, table, [compile_expectation(kind, kwargs, table, small_table_rows=-1)], SUMMARY
            )
            assert _comparable(small[0]) == _comparable(big[0])
            assert [v for k, v in small[0].items() if k.endswith(".unique.unexpected_count")] == [2], small
            assert small_sql, "the duplicates must be found and read"
    finally:
        con.close()


# --- every strategy's metrics are the plain path's ------------------------------------------------------------


def _canon(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted((_canon(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def _comparable(metrics: dict[str, Any], limit: int = 20) -> dict[str, Any]:
    """Metrics with samples as multisets when every unexpected value fits in them, else their size (which
    values a sample holds beyond that is the scan order's choice, in GX too)."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if key.endswith(".unexpected_values"):
            total = metrics[key.replace("unexpected_values", "unexpected_count")] or 0
            sample = [json.dumps(_canon(v), sort_keys=True, default=str) for v in value]
            out[key] = sorted(sample) if total <= limit else len(sample)
        elif key.endswith((".not_in_set", ".missing_from_column")):  # in the distinct values' read order
            count = metrics[key + ".count"]
            out[key] = sorted(map(repr, value)) if count <= len(value) else len(value)
        else:
            out[key] = _canon(value)
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_every_strategy_hands_gx_the_plain_paths_metrics(tmp: Path, data: st.DataObject) -> None:
    rows = _constrained(data.draw(raw_rows))
    if data.draw(st.booleans()):  # zeros of both signs and NaN, which only the metrics can compare
        rows = [
            r[:5] + (data.draw(st.sampled_from([-0.0, 0.0, math.nan, float("-nan"), r[5]])),) + r[6:]
            for r in rows
        ]
    expectations = data.draw(suites(rows))
    warehouse = _warehouse(tmp, rows)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        table = load_catalog(Recorder(con)).table("mart", "t")
        assert table.unique_keys and table.estimated_rows == len(rows)
        plain = Table(table.relation, table.columns)
        for options in (SUMMARY, ResultFormat("BASIC", 3), NO_SAMPLES):
            for e in expectations:
                kind, kwargs = e["type"], e["kwargs"]
                if kind == "expect_column_median_to_be_between" and kwargs["column"] == "f":
                    continue  # which equal zero is the centre is the scan order's choice
                reference, _ = _metrics(con, plain, [compile_expectation(kind, kwargs, plain)], options)
                for t, threshold in ((table, None), (table, -1)):
                    check = compile_expectation(kind, kwargs, t, small_table_rows=threshold)
                    for convert in (True, False):
                        got, _ = _metrics(con, t, [check], options, convert=convert)
                        assert _comparable(got[0], options.partial_unexpected_count) == _comparable(
                            reference[0], options.partial_unexpected_count
                        ), (kind, kwargs, options, threshold, convert)
    finally:
        con.close()


def test_folded_samples_stop_at_gx_cap(orders: duckdb.DuckDBPyConnection) -> None:
    from great_expectations.constants import MAX_RESULT_RECORDS as GX_CAP

    assert MAX_RESULT_RECORDS == GX_CAP
    table = load_catalog(Recorder(orders)).table("mart", "orders")
    kwargs = {"column": "order_id", "max_value": 0, "mostly": 0.0}
    options = ResultFormat("SUMMARY", 500)
    folded, sql = _metrics(
        orders, table, [compile_expectation("expect_column_values_to_be_between", kwargs, table)], options
    )
    assert sql == [] and len(folded[0]["column_values.between.unexpected_values"]) == GX_CAP
    big = compile_expectation("expect_column_values_to_be_between", kwargs, table, small_table_rows=0)
    read, sql = _metrics(orders, table, [big], options)
    assert len(sql) == 1 and len(read[0]["column_values.between.unexpected_values"]) == GX_CAP
    assert Catalog().table(None, "x") == Table('"main"."x"', {})


MEDIAN_TYPES = {
    "i": "integer",
    "b": "bigint",
    "u": "ubigint",
    "d": "decimal(18,3)",
    "h": "hugeint",
    "f": "double",
}
MEDIAN_VALUES = {
    "i": st.integers(-(2**31), 2**31 - 1),
    "b": st.integers(-(2**63), 2**63 - 1),
    "u": st.integers(0, 2**64 - 1),
    "d": st.decimals(min_value=-(10**14), max_value=10**14, places=3, allow_nan=False, allow_infinity=False),
    "h": st.integers(-(2**70), 2**70),
    "f": st.floats(allow_infinity=False, allow_nan=True, width=64),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), column=st.sampled_from(sorted(MEDIAN_TYPES)))
def test_the_folded_median_is_gx_median(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, column: str
) -> None:
    """The small-table median (order-statistic aggregates for integers and decimals, a sorted list for the
    rest) equals GX's: the centre value, or the float mean of the two centre values, of the sorted non-null
    values; with extremes of every integer width, duplicates and nulls."""
    values = data.draw(st.lists(st.one_of(st.none(), MEDIAN_VALUES[column]), max_size=40))
    path = tmp_path_factory.mktemp("median") / "m.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema mart")
    con.execute(f"create table mart.m (c {MEDIAN_TYPES[column]})")
    if values:
        con.executemany("insert into mart.m values (?)", [[v] for v in values])
    try:
        table = load_catalog(lambda sql, params: con.execute(sql, list(params)).fetchall()).table("mart", "m")
        kwargs = {"column": "c", "min_value": 0}
        folded = compile_expectation(
            "expect_column_median_to_be_between", kwargs, table, small_table_rows=10**6
        )
        plain = compile_expectation("expect_column_median_to_be_between", kwargs, table, small_table_rows=-1)
        options = ResultFormat("SUMMARY", 20)
        (ours,), _ = _metrics(con, table, [folded], options)
        (theirs,), _ = _metrics(con, table, [plain], options)
    finally:
        con.close()
    a, b = ours["column.median"], theirs["column.median"]
    assert json.dumps(a, default=str) == json.dumps(b, default=str) or (a != a and b != b), (a, b)
    assert type(a) is type(b)
