"""Every expectation type the compiled engine handles, each with its compiler builder and its native spec,
in one table; and the names of the validation engines. Nothing else lists them.

* :data:`EXPECTATIONS`: type -> :class:`Expectation`: ``build`` makes the SQL check
  (:mod:`.sql.compiler`) that computes GX's metrics; ``native`` is the :class:`~.native.Spec` with which
  :mod:`.native` turns those metrics into GX's result, or ``None`` when GX's own expectation class does
  that (``gx_reason`` says why). Both halves of a type sit in one row, so the compiled and the native
  lists cannot drift apart; ``tests/unit/test_native.py`` holds every spec against GX's models.
* :class:`Engine`: the ``dp validate --engine`` choices, read by the CLI, the runner, the factory
  (:func:`.engine.open_engine`) and the summary model (:mod:`.results`); defined in :mod:`.names` (which
  the CLI imports without the compiler) and re-exported here.

Importing this module imports neither Great Expectations nor DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from dataproducts.validation import native as n
from dataproducts.validation.names import DEFAULT_ENGINE, ENGINE_NAMES, Engine
from dataproducts.validation.sql import compiler as c

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINE_NAMES",
    "EXPECTATIONS",
    "Engine",
    "Expectation",
    "compile_expectation",
    "native_spec",
]


@dataclass(frozen=True)
class Expectation:
    """How the compiled engine validates one expectation type."""

    build: c.Builder
    native: n.Spec | None = None
    gx_reason: str = ""  # why GX's expectation class evaluates the metrics (``native`` is None)

    def __post_init__(self) -> None:
        if (self.native is None) == (not self.gx_reason):
            raise ValueError("an expectation type is evaluated natively or deliberately by GX, not both")


_MATCH_SET_REASON = (
    "GX's result for it (the mismatched columns, exact_match) is not reproduced: GX's expectation class "
    "evaluates the compiled metrics"
)

EXPECTATIONS: Final[Mapping[str, Expectation]] = {
    "expect_column_values_to_not_be_null": Expectation(
        c.build_not_null,
        n.Spec("nonnull", (("column", n.as_column, n.REQUIRED), n.MOSTLY), "column_values.nonnull"),
    ),
    "expect_column_values_to_be_null": Expectation(
        c.build_null,
        n.Spec("null", (("column", n.as_column, n.REQUIRED), n.MOSTLY), "column_values.null"),
    ),
    "expect_column_values_to_be_unique": Expectation(
        c.build_unique,
        n.map_spec("column_values.unique"),
    ),
    "expect_column_values_to_be_in_set": Expectation(
        c.build_in_set,
        n.map_spec("column_values.in_set", ("value_set", n.as_value_set, n.REQUIRED)),
    ),
    "expect_column_values_to_not_be_in_set": Expectation(
        c.build_not_in_set,
        n.map_spec("column_values.not_in_set", ("value_set", n.as_value_set, n.REQUIRED)),
    ),
    "expect_column_values_to_be_between": Expectation(
        c.build_between,
        n.map_spec("column_values.between", *n.BETWEEN_BOUNDS),
    ),
    "expect_column_values_to_match_regex": Expectation(
        c.build_regex(negate=False),
        n.map_spec("column_values.match_regex", ("regex", n.as_str, "(?s).*")),
    ),
    "expect_column_values_to_not_match_regex": Expectation(
        c.build_regex(negate=True),
        n.map_spec("column_values.not_match_regex", ("regex", n.as_str, n.REQUIRED)),
    ),
    "expect_column_value_lengths_to_be_between": Expectation(
        c.build_lengths_between,
        n.map_spec(
            "column_values.value_length.between",
            *n.bounds(n.optional(n.as_int)),
        ),
    ),
    "expect_column_value_lengths_to_equal": Expectation(
        c.build_lengths_equal,
        n.map_spec("column_values.value_length.equals", ("value", n.as_float, n.REQUIRED)),
    ),
    "expect_column_pair_values_a_to_be_greater_than_b": Expectation(
        c.build_pair_greater,
        n.pair_spec(
            "column_pair_values.a_greater_than_b",
            ("or_equal", n.optional(n.as_bool), None),
            ("ignore_row_if", n.PAIR_IGNORE, "both_values_are_missing"),
        ),
    ),
    "expect_column_pair_values_to_be_equal": Expectation(
        c.build_pair_equal,
        n.pair_spec("column_pair_values.equal", ("ignore_row_if", n.PAIR_IGNORE, "both_values_are_missing")),
    ),
    "expect_compound_columns_to_be_unique": Expectation(
        c.build_compound_unique,
        n.Spec(
            "multicolumn",
            (
                ("column_list", n.as_column_list, n.REQUIRED),
                n.MOSTLY,
                ("ignore_row_if", n.MULTI_IGNORE, "all_values_are_missing"),
            ),
            "compound_columns.unique",
        ),
    ),
    "expect_column_max_to_be_between": Expectation(
        c.build_aggregate("column.max", lambda col: f"max({col})"),
        n.aggregate_spec("column.max"),
    ),
    "expect_column_min_to_be_between": Expectation(
        c.build_aggregate("column.min", lambda col: f"min({col})"),
        n.aggregate_spec("column.min"),
    ),
    "expect_column_mean_to_be_between": Expectation(
        c.build_mean,
        n.aggregate_spec("column.mean"),
    ),
    "expect_column_sum_to_be_between": Expectation(
        c.build_sum,
        n.aggregate_spec("column.sum"),
    ),
    "expect_column_median_to_be_between": Expectation(
        c.build_median,
        n.aggregate_spec("column.median"),
    ),
    "expect_column_unique_value_count_to_be_between": Expectation(
        c.build_unique_value_count,
        n.aggregate_spec(
            "column.distinct_values.count",
            n.bounds(n.optional(n.as_int)),
        ),
    ),
    "expect_column_proportion_of_unique_values_to_be_between": Expectation(
        c.build_proportion("unique"),
        n.aggregate_spec(
            "column.unique_proportion",
            n.bounds(n.optional(n.as_float)),
        ),
    ),
    "expect_column_proportion_of_non_null_values_to_be_between": Expectation(
        c.build_proportion("non_null"),
        n.aggregate_spec(
            "column.non_null_proportion",
            n.bounds(n.optional(n.as_float)),
        ),
    ),
    "expect_column_distinct_values_to_equal_set": Expectation(
        c.build_distinct_set,
        n.Spec(
            "distinct_set", (("column", n.as_column, n.REQUIRED), ("value_set", n.as_value_set, n.REQUIRED))
        ),
    ),
    "expect_table_row_count_to_be_between": Expectation(
        c.build_row_count,
        n.Spec(
            "between",
            tuple(n.bounds(n.optional(n.as_int))),
            "table.row_count",
        ),
    ),
    "expect_table_row_count_to_equal": Expectation(
        c.build_row_count,
        n.Spec("row_count_equal", (("value", n.as_int, n.REQUIRED),)),
    ),
    "expect_table_columns_to_match_ordered_list": Expectation(
        c.build_table_columns,
        n.Spec("ordered_list", (("column_list", n.optional(n.as_str_list), None),)),
    ),
    "expect_table_columns_to_match_set": Expectation(
        c.build_table_columns,
        gx_reason=_MATCH_SET_REASON,
    ),
    "expect_table_column_count_to_equal": Expectation(
        c.build_table_columns,
        n.Spec("column_count_equal", (("value", n.as_int, n.REQUIRED),)),
    ),
    "expect_table_column_count_to_be_between": Expectation(
        c.build_table_columns,
        n.Spec(
            "between",
            (("min_value", n.as_comparable, None), ("max_value", n.as_comparable, None)),
            "table.column_count",
        ),
    ),
}

COMPILED_TYPES: Final[tuple[str, ...]] = tuple(sorted(EXPECTATIONS))
NATIVE_TYPES: Final[tuple[str, ...]] = tuple(sorted(t for t, e in EXPECTATIONS.items() if e.native))
GX_EVALUATED_TYPES: Final[tuple[str, ...]] = tuple(sorted(t for t, e in EXPECTATIONS.items() if not e.native))


def native_spec(etype: str) -> n.Spec:
    """The native spec of ``etype`` (:class:`~.native.NotNative` when GX evaluates it)."""
    entry = EXPECTATIONS.get(etype)
    if entry is None or entry.native is None:
        raise n.NotNative(f"{etype} is not evaluated natively")
    return entry.native


def compile_expectation(
    etype: str, kwargs: Mapping[str, Any], table: c.Table, *, small_table_rows: int | None = None
) -> c.Check:
    """The compiled check of one expectation (:func:`.sql.compiler.compile_check` with ``etype``'s builder);
    :class:`~.sql.compiler.Unsupported` when the type is not compiled."""
    entry = EXPECTATIONS.get(etype)
    if entry is None:
        raise c.Unsupported(f"expectation type {etype} is not compiled")
    return c.compile_check(entry.build, kwargs, table, small_table_rows=small_table_rows)
