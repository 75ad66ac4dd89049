"""Differential tests: every expectation type the compiled engine claims, through both engines, on generated
tables (nulls, duplicates, empty tables, extreme values, unicode); the results must be GX's.

Hypothesis draws a table and a suite of every compiled type with bounds, sets, ``mostly`` and
``ignore_row_if`` drawn from the data; one GX validation covers the whole suite, so each example costs about
one GX run. GX is slow: examples are bounded and the GX import is shared by the module.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataproducts.validation.auto_engine import AutoEngine
from dataproducts.validation.engine import result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.registry import COMPILED_TYPES
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import load_suite, suite_parameters
from differential import suite_differences

AS_OF = dt.date(2026, 11, 20)
COLUMNS = {
    "i": "INTEGER",
    "j": "INTEGER",
    "f": "DOUBLE",
    "d": "DECIMAL(12,2)",
    "s": "VARCHAR",
    "b": "BOOLEAN",
    "ts": "TIMESTAMP",
    "dd": "DATE",
}
WORDS = ["a", "B", "ab", "äö", "日本", "", " a ", "a@b.co", "SKU-000123", "x'y", "emoji 🙂"]
_counter = itertools.count()

ints = st.one_of(
    st.none(),
    st.sampled_from([0, 1, -1, 2, 7, 2**31 - 1, -(2**31) + 1]),
    st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1),
)
floats = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, 0.5, 1e300, -1e300, 1e-300]),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)
decimals = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
)
texts = st.one_of(st.none(), st.sampled_from(WORDS), st.text(max_size=6))
bools = st.one_of(st.none(), st.booleans())
timestamps = st.one_of(
    st.none(), st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2030, 12, 31))
)
dates = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
rows_strategy = st.lists(
    st.tuples(ints, ints, floats, decimals, texts, bools, timestamps, dates), min_size=0, max_size=25
)


def _write_table(path: Path, rows: list[tuple[Any, ...]]) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema mart")
        con.execute("create table mart.t (" + ", ".join(f"{c} {t}" for c, t in COLUMNS.items()) + ")")
        if rows:
            con.executemany("insert into mart.t values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()


def _product(name: str) -> Any:
    latest = SimpleNamespace(schema="mart", alias="t", relation="mart.t")
    return SimpleNamespace(id=f"test.{name}", name=name, latest=latest, relation="mart.t")


def _suite(tmp: Path, name: str, expectations: list[dict[str, Any]]) -> Any:
    path = tmp / f"{name}.json"
    for e in expectations:
        e.setdefault("severity", "critical")
    path.write_text(json.dumps({"name": f"test.{name}", "expectations": expectations}, default=str))
    return load_suite(path)


def _run_both(
    tmp: Path,
    rows: list[tuple[Any, ...]],
    expectations: list[dict[str, Any]],
    fmt: str = "SUMMARY",
    small_table_rows: int | None = None,
):
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    _write_table(warehouse, rows)
    suite = _suite(tmp, name, expectations)
    product = _product(name)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format(fmt, 20)
    sql = SqlEngine(
        warehouse, result_format=rf, run_name=name, run_time=now, small_table_rows=small_table_rows
    )
    try:
        ours = sql.validate(product, suite, params).to_json_dict()
    finally:
        sql.close()
    gx = GxEngine(warehouse, result_format=rf, run_name=name, run_time=now)
    try:
        theirs = gx.validate(product, suite, params).to_json_dict()
    finally:
        gx.close()
    return theirs, ours


DEFAULT_BOUND = {"ts": dt.datetime(2026, 1, 1, 12), "dd": dt.date(2026, 1, 1), "s": "m"}


def _bounds(draw: st.DrawFn, values: list[Any], column: str) -> dict[str, Any]:
    present = [v for v in values if v is not None]
    pick = st.sampled_from(present) if present else st.none()
    lo, hi = draw(pick), draw(pick)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    out: dict[str, Any] = {}
    if lo is not None:
        out["min_value"] = lo
    if hi is not None or lo is None:
        out["max_value"] = hi if hi is not None else DEFAULT_BOUND.get(column, 0)
    if draw(st.booleans()):
        out["strict_min"] = True
    if draw(st.booleans()):
        out["strict_max"] = True
    return out


def _json_value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    rows = draw(rows_strategy)
    col = {name: [r[k] for r in rows] for k, name in enumerate(COLUMNS)}
    mostly = st.sampled_from([None, 0.5, 0.9, 1.0])

    def with_mostly(kwargs: dict[str, Any]) -> dict[str, Any]:
        m = draw(mostly)
        return {**kwargs, "mostly": m} if m is not None else kwargs

    words = sorted({w for w in col["s"] if w is not None} | set(WORDS[:3]))
    some_words = draw(st.lists(st.sampled_from(words), max_size=5, unique=True))
    some_ints = draw(st.lists(st.sampled_from([v for v in col["i"] if v is not None] or [0]), max_size=4))
    regex = draw(st.sampled_from(["^[a-z]+$", "a", "^SKU-[0-9]{6}$", "^.{0,2}$", "[À-ÿ]", "^$"]))
    e: list[dict[str, Any]] = []

    def add(kind: str, **kwargs: Any) -> None:
        e.append({"type": kind, "kwargs": {k: _json_value(v) for k, v in kwargs.items()}})

    for c in COLUMNS:
        add("expect_column_values_to_not_be_null", **with_mostly({"column": c}))
    add("expect_column_values_to_be_null", **with_mostly({"column": "s"}))
    for c in ("i", "s", "ts", "d"):
        add("expect_column_values_to_be_unique", **with_mostly({"column": c}))
    add("expect_column_values_to_be_in_set", **with_mostly({"column": "s", "value_set": some_words}))
    add("expect_column_values_to_be_in_set", **with_mostly({"column": "i", "value_set": some_ints}))
    add("expect_column_values_to_be_in_set", **with_mostly({"column": "b", "value_set": [True]}))
    add("expect_column_values_to_not_be_in_set", column="s", value_set=some_words or ["zz"])
    for c in ("i", "f", "d", "ts", "dd"):
        add("expect_column_values_to_be_between", **with_mostly({"column": c, **_bounds(draw, col[c], c)}))
    add(
        "expect_column_values_to_be_between",
        column="dd",
        min_value={"$PARAMETER": "as_of_minus_730d_date"},
        max_value={"$PARAMETER": "last_data_date"},
    )
    add("expect_column_values_to_match_regex", **with_mostly({"column": "s", "regex": regex}))
    add("expect_column_values_to_not_match_regex", column="s", regex=regex)
    lo, hi = sorted(draw(st.lists(st.integers(0, 6), min_size=2, max_size=2)))
    add("expect_column_value_lengths_to_be_between", column="s", min_value=lo, max_value=hi)
    add("expect_column_value_lengths_to_equal", column="s", value=hi)
    for a, b in (("i", "j"), ("ts", "dd"), ("f", "d")):
        if (a, b) == ("ts", "dd"):
            continue  # GX compares a timestamp with a date through SQLAlchemy; not a pair we compile
        ignore = draw(
            st.sampled_from([None, "both_values_are_missing", "either_value_is_missing", "neither"])
        )
        kwargs: dict[str, Any] = {"column_A": a, "column_B": b, "or_equal": draw(st.booleans())}
        if ignore:
            kwargs["ignore_row_if"] = ignore
        add("expect_column_pair_values_a_to_be_greater_than_b", **with_mostly(kwargs))
    add("expect_column_pair_values_to_be_equal", column_A="i", column_B="j")
    for cols in (["i", "s"], ["i", "j", "b"], ["ts", "dd"]):
        ignore = draw(st.sampled_from([None, "all_values_are_missing", "any_value_is_missing", "never"]))
        kwargs = {"column_list": cols}
        if ignore:
            kwargs["ignore_row_if"] = ignore
        add("expect_compound_columns_to_be_unique", **with_mostly(kwargs))
    for c in ("i", "f", "d", "ts", "dd"):
        bounds = _bounds(draw, col[c], c)  # not ``b``: the pair loop above holds a column name in it
        bounds.pop("strict_min", None)
        bounds.pop("strict_max", None)
        add("expect_column_max_to_be_between", column=c, **bounds)
        add("expect_column_min_to_be_between", column=c, **bounds)
    add(
        "expect_column_max_to_be_between",
        column="ts",
        min_value={"$PARAMETER": "last_data_day_start"},
        max_value={"$PARAMETER": "as_of_time"},
    )
    add("expect_column_min_to_be_between", column="dd", max_value={"$PARAMETER": "as_of_minus_30d_date"})
    for c in ("i", "f", "d"):
        add("expect_column_mean_to_be_between", column=c, min_value=-10.0, max_value=1e6)
        add("expect_column_median_to_be_between", column=c, min_value=0, max_value=1e6)
        add("expect_column_sum_to_be_between", column=c, min_value=-1e9, max_value=1e12)
    add("expect_column_unique_value_count_to_be_between", column="s", min_value=1, max_value=10)
    add("expect_column_proportion_of_unique_values_to_be_between", column="i", min_value=0.5, max_value=1.0)
    add("expect_column_proportion_of_non_null_values_to_be_between", column="s", min_value=0.8)
    add("expect_column_distinct_values_to_equal_set", column="s", value_set=some_words)
    add("expect_column_distinct_values_to_equal_set", column="i", value_set=some_ints)
    add("expect_table_row_count_to_be_between", min_value=1, max_value=20)
    add("expect_table_row_count_to_equal", value=len(rows))
    add("expect_table_columns_to_match_ordered_list", column_list=list(COLUMNS))
    add("expect_table_columns_to_match_set", column_set=["i", "s", "x"], exact_match=draw(st.booleans()))
    add("expect_table_column_count_to_equal", value=8)
    add("expect_table_column_count_to_be_between", min_value=1, max_value=5)
    return rows, e


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("differential")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(case=cases(), big=st.booleans())
def test_every_compiled_type_matches_gx(
    tmp: Path, case: tuple[list[tuple[Any, ...]], list[dict[str, Any]]], big: bool
) -> None:
    """On the small-table path (follow-ups folded into the scan) and on the big-table path alike."""
    rows, expectations = case
    assert {e["type"] for e in expectations} == set(COMPILED_TYPES)  # every claimed type, every example
    theirs, ours = _run_both(tmp, rows, expectations, small_table_rows=0 if big else None)
    diffs = suite_differences(theirs, ours)
    assert not diffs, "\n".join(diffs)


@pytest.mark.parametrize("fmt", ["BASIC", "SUMMARY"])
def test_result_formats_and_an_empty_table(tmp: Path, fmt: str) -> None:
    rows: list[tuple[Any, ...]] = []
    expectations = [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "i"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "s"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["a"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["i", "j"]}},
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {"column_A": "i", "column_B": "j"},
        },
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "f", "min_value": 0}},
        {"type": "expect_column_median_to_be_between", "kwargs": {"column": "d", "min_value": 0}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 0}},
    ]
    theirs, ours = _run_both(tmp, rows, expectations, fmt)
    diffs = suite_differences(theirs, ours)
    assert not diffs, "\n".join(diffs)


def test_many_unexpected_values_are_sampled_to_the_limit(tmp: Path) -> None:
    rows = [(i % 7, None, None, None, f"w{i % 3}", None, None, None) for i in range(500)]
    expectations = [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "i"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["w0"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["i", "s"]}},
    ]
    theirs, ours = _run_both(tmp, rows, expectations)
    diffs = suite_differences(theirs, ours)
    assert not diffs, "\n".join(diffs)
    assert [len(r["result"]["partial_unexpected_list"]) for r in ours["results"]] == [20, 20, 20]


def test_auto_hands_what_is_not_compiled_to_gx_and_keeps_gx_order(tmp: Path) -> None:
    rows = [(1, 2, 0.5, decimal.Decimal("1.50"), "a", True, dt.datetime(2026, 1, 1), dt.date(2026, 1, 1))] * 3
    expectations = [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "i"}},
        {"type": "expect_column_values_to_be_increasing", "kwargs": {"column": "i"}},  # not compiled
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {
                "column": "s",
                "row_condition": 'col("i")>0',
                "condition_parser": "great_expectations",
            },
        },
        {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 3}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "i", "value_set": [1]}},
    ]
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    _write_table(warehouse, rows)
    suite = _suite(tmp, name, expectations)
    product = _product(name)
    now = dt.datetime.now(dt.UTC)
    rf = result_format("SUMMARY", 20)
    params = suite_parameters(AS_OF)
    gx = GxEngine(warehouse, result_format=rf, run_name=name, run_time=now)
    try:
        theirs = gx.validate(product, suite, params).to_json_dict()
    finally:
        gx.close()
    auto = AutoEngine(
        SqlEngine(
            warehouse,
            result_format=rf,
            run_name=name,
            run_time=now,
            gx=lambda: GxEngine(warehouse, result_format=rf, run_name=name + "-auto", run_time=now),
        )
    )
    try:
        ours = auto.validate(product, suite, params).to_json_dict()
    finally:
        auto.close()
    diffs = suite_differences(theirs, ours)
    assert not diffs, "\n".join(diffs)
    assert len(auto.delegated[product.id]) == 2
