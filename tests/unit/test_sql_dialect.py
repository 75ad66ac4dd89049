"""The compiled engine's SQL dialects: DuckDB's SQL is byte for byte what it was before the dialect layer
(``tests/fixtures/sql_dialect/duckdb_sql.json``, written by the compiler before the layer existed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataproducts.validation.engine import result_format
from dataproducts.validation.registry import compile_expectation
from dataproducts.validation.sql.catalog import CATALOG_SQL
from dataproducts.validation.sql.compiler import Scan, Table

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "sql_dialect" / "duckdb_sql.json"

DUCKDB_COLUMNS = {
    "i": "INTEGER",
    "j": "BIGINT",
    "h": "HUGEINT",
    "f": "DOUBLE",
    "d": "DECIMAL(12,2)",
    "s": "VARCHAR",
    'we"ird': "VARCHAR",
    "b": "BOOLEAN",
    "ts": "TIMESTAMP",
    "dd": "DATE",
}

# (expectation type, kwargs): every compiled type, with the options that change the SQL
SAMPLE: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_not_be_null", {"column": "i"}),
    ("expect_column_values_to_not_be_null", {"column": 'we"ird', "mostly": 0.5}),
    ("expect_column_values_to_be_null", {"column": "s", "mostly": 0.5}),
    ("expect_column_values_to_be_unique", {"column": "i"}),
    ("expect_column_values_to_be_unique", {"column": "s"}),
    ("expect_column_values_to_be_unique", {"column": "ts"}),
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": ["a", "b"], "mostly": 0.9}),
    ("expect_column_values_to_be_in_set", {"column": "i", "value_set": [1, 2.5, None]}),
    ("expect_column_values_to_be_in_set", {"column": "b", "value_set": []}),
    ("expect_column_values_to_not_be_in_set", {"column": "d", "value_set": [1, 2]}),
    ("expect_column_values_to_be_between", {"column": "i", "min_value": 0, "max_value": 9}),
    ("expect_column_values_to_be_between", {"column": "f", "min_value": 0.5, "strict_min": True}),
    (
        "expect_column_values_to_be_between",
        {"column": "d", "max_value": 5, "strict_max": True, "mostly": 0.5},
    ),
    ("expect_column_values_to_be_between", {"column": "dd", "min_value": "2026-01-01"}),
    ("expect_column_values_to_match_regex", {"column": "s", "regex": "^[a-z]+$", "mostly": 0.5}),
    ("expect_column_values_to_not_match_regex", {"column": "s", "regex": "a.c"}),
    ("expect_column_value_lengths_to_be_between", {"column": "s", "min_value": 1, "max_value": 3}),
    ("expect_column_value_lengths_to_equal", {"column": "s", "value": 2}),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "i", "column_B": "j", "mostly": 0.5}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "f", "column_B": "d", "or_equal": True, "ignore_row_if": "either_value_is_missing"},
    ),
    (
        "expect_column_pair_values_to_be_equal",
        {"column_A": "s", "column_B": 'we"ird', "ignore_row_if": "neither"},
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["i", "s"]}),
    (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["i", "j", "b"], "ignore_row_if": "any_value_is_missing"},
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["ts", "dd"], "ignore_row_if": "never"}),
    ("expect_column_max_to_be_between", {"column": "ts", "min_value": 0}),
    ("expect_column_min_to_be_between", {"column": "d", "max_value": 3}),
    ("expect_column_mean_to_be_between", {"column": "i", "min_value": 0}),
    ("expect_column_sum_to_be_between", {"column": "j", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "i", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "d", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "h", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "f", "min_value": 0}),
    ("expect_column_unique_value_count_to_be_between", {"column": "s", "min_value": 1}),
    ("expect_column_proportion_of_unique_values_to_be_between", {"column": "i", "min_value": 0.5}),
    ("expect_column_proportion_of_non_null_values_to_be_between", {"column": "s", "min_value": 0.5}),
    ("expect_column_distinct_values_to_equal_set", {"column": "s", "value_set": ["a"]}),
    ("expect_column_distinct_values_to_equal_set", {"column": "i", "value_set": [1, 2]}),
    ("expect_table_row_count_to_be_between", {"min_value": 1}),
    ("expect_table_columns_to_match_ordered_list", {"column_list": ["i"]}),
]

DUCKDB_TABLES = {
    "big": Table(relation='"mart"."t"', columns=DUCKDB_COLUMNS),
    "small": Table(relation='"mart"."t"', columns=DUCKDB_COLUMNS, estimated_rows=10),
    "keyed": Table(
        relation='"mart"."t"',
        columns=DUCKDB_COLUMNS,
        unique_keys=(frozenset({"i"}), frozenset({"s", "ts"})),
        estimated_rows=10,
    ),
}


def emitted(table: Table, sample: Sequence[tuple[str, dict[str, Any]]] = SAMPLE) -> list[dict[str, Any]]:
    """The SQL of each expectation of ``sample`` on ``table``: its scan, then the follow-ups its metrics
    read when every count of the scan is 5 (the big-table path; a folded check reads nothing more)."""
    fmt = result_format("SUMMARY", 20)
    out: list[dict[str, Any]] = []
    for etype, kwargs in sample:
        check = compile_expectation(etype, kwargs, table)
        scan = Scan()
        check.plan(scan)
        sql, params = scan.sql(table.relation)
        follow_ups: list[list[Any]] = []

        def query(
            q: str, p: Sequence[Any], follow_ups: list[list[Any]] = follow_ups
        ) -> list[tuple[Any, ...]]:
            follow_ups.append([q, [repr(v) for v in p]])
            width = q.split(" from ")[0].count(", ") + 1  # the columns it selects
            return [(1,) * width]

        if not table.is_small(5_000):
            check.metrics([5] * len(scan.exprs), query, fmt)
        out.append(
            {
                "type": etype,
                "kwargs": kwargs,
                "scan": sql,
                "params": [repr(v) for v in params],
                "follow_ups": follow_ups,
            }
        )
    return out


def test_duckdb_sql_is_byte_identical_to_the_sql_before_the_dialect_layer() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden.pop("catalog") == CATALOG_SQL
    now = {name: emitted(table) for name, table in DUCKDB_TABLES.items()}
    assert now.keys() == golden.keys()
    for name in golden:
        assert len(now[name]) == len(golden[name])
        for ours, before in zip(now[name], golden[name], strict=True):
            assert ours == before, f"{name}: {ours['type']} {ours['kwargs']}"
