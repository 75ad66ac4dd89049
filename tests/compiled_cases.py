"""Test support: the rows, types and suite of the compiled engine's cross-engine differential tests
(``tests/spark/test_spark_compiled_differential.py``, ``tests/integration/test_sql_postgres_differential.py``):
the same rows go into a DuckDB file and into the other engine, and :func:`suite_for` builds a suite of every
compiled type from them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
from hypothesis import strategies as st

from dataproducts.validation.suites import load_suite

AS_OF = dt.date(2026, 11, 20)
# name -> (DuckDB type, Spark type, PostgreSQL type)
COLUMNS: dict[str, tuple[str, str, str]] = {
    "i": ("INTEGER", "int", "integer"),
    "j": ("BIGINT", "bigint", "bigint"),
    "f": ("DOUBLE", "double", "double precision"),
    "d": ("DECIMAL(12,2)", "decimal(12,2)", "numeric(12,2)"),
    "s": ("VARCHAR", "string", "text"),
    "b": ("BOOLEAN", "boolean", "boolean"),
    "ts": ("TIMESTAMP", "timestamp", "timestamp"),
    "tn": ("TIMESTAMP", "timestamp_ntz", "timestamp"),
    "dd": ("DATE", "date", "date"),
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
DEFAULT_BOUND: dict[str, Any] = {"ts": T(2026, 1, 1, 12), "tn": T(2026, 1, 1, 12), "dd": D(2026, 1, 1)}


def text_of(value: Any) -> str | None:
    """A value as the text Spark and PostgreSQL cast back to it exactly."""
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
            f"create table mart.{name} (" + ", ".join(f"{c} {t}" for c, (t, *_) in COLUMNS.items()) + ")"
        )
        if rows:
            con.executemany(f"insert into mart.{name} values ({', '.join('?' for _ in COLUMNS)})", list(rows))
    finally:
        con.close()


def json_value(v: Any) -> Any:
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
        e.append({"type": kind, "kwargs": {k: json_value(v) for k, v in kwargs.items()}})

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


def write_suite(tmp: Path, name: str, expectations: list[dict[str, Any]]) -> Any:
    path = tmp / f"{name}.json"
    for x in expectations:
        x.setdefault("severity", "critical")
    path.write_text(json.dumps({"name": f"test.{name}", "expectations": expectations}, default=str))
    return load_suite(path)


def product(name: str, schema: str) -> Any:
    latest = SimpleNamespace(schema=schema, alias=name, relation=f"{schema}.{name}")
    return SimpleNamespace(id=f"test.{name}", name=name, latest=latest, relation=f"{schema}.{name}")


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
