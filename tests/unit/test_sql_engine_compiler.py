"""The compiler's own promises: what it compiles, what it refuses and why, and how few queries a run sends."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import duckdb
import pytest

from dataproducts.errors import SuiteError
from dataproducts.products import DataProduct
from dataproducts.validation import native
from dataproducts.validation.engine import open_engine, result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.registry import (
    COMPILED_TYPES,
    ENGINE_NAMES,
    EXPECTATIONS,
    GX_EVALUATED_TYPES,
    NATIVE_TYPES,
    Engine,
    compile_expectation,
)
from dataproducts.validation.sql.compiler import Scan, Table, Unsupported, type_family
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import load_suite

REPO = Path(__file__).resolve().parents[2]

TABLE = Table(
    relation='"m"."t"',
    columns={"i": "INTEGER", "s": "VARCHAR", "b": "BOOLEAN", "d": "DECIMAL(12,2)", "ts": "TIMESTAMP"},
)


def test_type_families() -> None:
    assert type_family("DECIMAL(18,2)") == "decimal"
    assert type_family("BIGINT") == "integer"
    assert type_family("VARCHAR") == "string"
    assert type_family("TIMESTAMP WITH TIME ZONE") == "temporal"
    assert type_family("STRUCT(a INTEGER)") == "other"


def test_scan_shares_identical_expressions() -> None:
    scan = Scan()
    for kwargs in ({"column": "i", "value_set": [1, 2]}, {"column": "i", "min_value": 0.0}):
        kind = (
            "expect_column_values_to_be_in_set"
            if "value_set" in kwargs
            else "expect_column_values_to_be_between"
        )
        compile_expectation(kind, kwargs, TABLE).plan(scan)
    # count(*), the null count of i, and one unexpected count each
    assert len(scan.exprs) == 4
    sql, params = scan.sql(TABLE.relation)
    assert sql.count("from") == 1 and params == [1, 2, 0.0]


@pytest.mark.parametrize(
    ("kind", "kwargs", "reason"),
    [
        ("expect_column_values_to_be_increasing", {"column": "i"}, "not compiled"),
        (
            "expect_column_values_to_not_be_null",
            {"column": "i", "row_condition": 'col("i")>0'},
            "row_condition",
        ),
        ("expect_column_values_to_be_between", {"column": "s", "min_value": 1}, "string column"),
        (
            "expect_column_values_to_be_between",
            {"column": "i", "min_value": 2, "max_value": 1},
            "min_value >",
        ),
        ("expect_column_values_to_be_between", {"column": "ts", "min_value": 3}, "date/time"),
        ("expect_column_values_to_be_in_set", {"column": "i", "value_set": ["1"]}, "integer column"),
        ("expect_column_values_to_match_regex", {"column": "i", "regex": "1"}, "not a string"),
        ("expect_column_values_to_not_be_null", {"column": "nope"}, "not in the table"),
        ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "s", "column_B": "i"}, "comparing"),
        ("expect_column_mean_to_be_between", {"column": "s", "min_value": 1}, "string column"),
        ("expect_column_distinct_values_to_equal_set", {"column": "s", "value_set": ["a", None]}, "null"),
    ],
)
def test_refuses_what_it_cannot_reproduce(kind: str, kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        compile_expectation(kind, kwargs, TABLE)


def test_map_metric_names_are_gx_own() -> None:
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl

    samples: dict[str, dict[str, Any]] = {
        "expect_column_values_to_be_null": {"column": "s"},
        "expect_column_values_to_be_in_set": {"column": "s", "value_set": ["a"]},
        "expect_column_values_to_not_be_in_set": {"column": "s", "value_set": ["a"]},
        "expect_column_values_to_be_between": {"column": "i", "min_value": 1},
        "expect_column_values_to_match_regex": {"column": "s", "regex": "a"},
        "expect_column_values_to_not_match_regex": {"column": "s", "regex": "a"},
        "expect_column_value_lengths_to_be_between": {"column": "s", "min_value": 1},
        "expect_column_value_lengths_to_equal": {"column": "s", "value": 1},
        "expect_column_values_to_not_be_null": {"column": "s"},
        "expect_column_values_to_be_unique": {"column": "s"},
        "expect_column_pair_values_a_to_be_greater_than_b": {"column_A": "i", "column_B": "d"},
        "expect_column_pair_values_to_be_equal": {"column_A": "i", "column_B": "d"},
        "expect_compound_columns_to_be_unique": {"column_list": ["i", "s"]},
    }
    for kind, kwargs in samples.items():
        check = compile_expectation(kind, kwargs, TABLE)
        impl = get_expectation_impl(kind)  # typed as any Expectation: only the map kinds have map_metric
        assert issubclass(impl, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))
        assert getattr(check, "metric", None) == impl.map_metric, kind
    assert set(samples) <= set(COMPILED_TYPES)


def _warehouse(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema m")
    con.execute(
        f"create table m.t as select range::integer as i, 'v' || (range % 3) as s, range % 2 = 0 as b, "
        f"(range / 10)::decimal(12,2) as d, timestamp '2026-01-01' + to_seconds(range) as ts from range({rows})"
    )
    con.close()
    return path


def _suite(tmp_path: Path, expectations: list[dict[str, Any]]) -> Any:
    for e in expectations:
        e.setdefault("severity", "critical")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "test.t", "expectations": expectations}))
    return load_suite(path)


# the fields of a data product the engines read
PRODUCT = cast(
    DataProduct, SimpleNamespace(id="test.t", name="t", latest=SimpleNamespace(schema="m", alias="t"))
)


@pytest.mark.parametrize(("small_table_rows", "statements"), [(0, 2), (5000, 1)])
def test_a_passing_suite_is_one_scan_plus_one_group_by_per_uniqueness(
    tmp_path: Path, small_table_rows: int, statements: int
) -> None:
    """A large table: the scan and the uniqueness group by; a small one: the scan alone (uniqueness probed
    inside it). No sample reads for expectations that pass, and the catalog read once at open."""
    suite = _suite(
        tmp_path,
        [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "i"}},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "i"}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "s", "value_set": ["v0", "v1", "v2"]},
            },
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "d", "min_value": 0}},
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "ts", "min_value": "2026-01-01"},
            },
            {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "i", "min_value": 0}},
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        ],
    )
    engine = SqlEngine(
        _warehouse(tmp_path, 1000),
        result_format=result_format(),
        run_name="r",
        run_time=dt.datetime.now(dt.UTC),
        small_table_rows=small_table_rows,
    )
    try:
        assert len(engine.queries) == 1 and "duckdb_columns()" in engine.queries[0]
        engine.queries.clear()
        result = engine.validate(PRODUCT, suite, {})
    finally:
        engine.close()
    assert result.success
    assert len(engine.queries) == statements, engine.queries


def test_samples_are_read_only_for_failed_expectations(tmp_path: Path) -> None:
    suite = _suite(
        tmp_path,
        [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["v0"]}},
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "s", "value_set": ["v0", "v1", "v2"]},
            },
        ],
    )
    engine = SqlEngine(
        _warehouse(tmp_path, 100),
        result_format=result_format(),
        run_name="r",
        run_time=dt.datetime.now(dt.UTC),
        small_table_rows=0,  # the large-table path: samples by a follow-up read
    )
    try:
        engine.queries.clear()
        result = engine.validate(PRODUCT, suite, {})
    finally:
        engine.close()
    assert [r["success"] for r in result.results] == [False, True]
    assert len([q for q in engine.queries if "limit" in q]) == 1
    assert result.results[0]["result"]["unexpected_count"] == 66


def test_the_sql_engine_names_what_it_does_not_compile(tmp_path: Path) -> None:
    suite = _suite(tmp_path, [{"type": "expect_column_values_to_be_increasing", "kwargs": {"column": "i"}}])
    engine = SqlEngine(
        _warehouse(tmp_path, 10),
        result_format=result_format(),
        run_name="r",
        run_time=dt.datetime.now(dt.UTC),
    )
    try:
        with pytest.raises(SuiteError, match="expect_column_values_to_be_increasing.*--engine auto"):
            engine.validate(PRODUCT, suite, {})
    finally:
        engine.close()


# --- the registry: one table of types, engines named once ---------------------------------------------------


def test_every_compiled_type_is_native_or_deliberately_gx_evaluated() -> None:
    assert set(COMPILED_TYPES) == set(NATIVE_TYPES) | set(GX_EVALUATED_TYPES)
    assert not set(NATIVE_TYPES) & set(GX_EVALUATED_TYPES)
    assert GX_EVALUATED_TYPES == ("expect_table_columns_to_match_set",)
    for etype, entry in EXPECTATIONS.items():
        assert callable(entry.build), etype
        if entry.native is None:
            assert entry.gx_reason, f"{etype}: evaluated by GX without a reason"
        else:
            assert entry.native.kind in native._EVALUATORS, etype
    with pytest.raises(ValueError):
        type(EXPECTATIONS[COMPILED_TYPES[0]])(build=EXPECTATIONS[COMPILED_TYPES[0]].build)  # neither


def test_engine_names_are_the_cli_choices_and_the_summary_values() -> None:
    from dataproducts.cli import build_parser
    from dataproducts.validation.results import ValidationSummaryModel

    assert ENGINE_NAMES == ("auto", "gx", "sql")
    assert ValidationSummaryModel.model_fields["engine"].annotation is Engine
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    engine = next(a for a in commands.choices["validate"]._actions if a.dest == "engine")
    assert tuple(engine.choices) == ENGINE_NAMES


def test_docs_list_every_compiled_type_and_engine() -> None:
    text = (REPO / "docs" / "engine.md").read_text(encoding="utf-8")
    for etype in COMPILED_TYPES:
        assert f"`{etype}`" in text, etype
    for etype in GX_EVALUATED_TYPES:
        assert EXPECTATIONS[etype].gx_reason in " ".join(text.split()), etype
    for name in ENGINE_NAMES:
        assert f"| `{name}`" in text, name


def test_another_gx_release_validates_with_gx_for_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _warehouse(tmp_path, 10)
    now = dt.datetime.now(dt.UTC)
    for name in ("auto", "sql"):
        engine = open_engine(
            name, warehouse, result_format=result_format(), run_name="r", run_time=now, gx_version="1.25.0"
        )
        try:
            assert isinstance(engine, GxEngine) and engine.name == Engine.GX
        finally:
            engine.close()
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "great_expectations 1.25.0" in err and "--engine gx" in err
    engine = open_engine("sql", warehouse, result_format=result_format(), run_name="r", run_time=now)
    try:
        assert isinstance(engine, SqlEngine) and engine.name == Engine.SQL
    finally:
        engine.close()
    assert capsys.readouterr().err == ""
