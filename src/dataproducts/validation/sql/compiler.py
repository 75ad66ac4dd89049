"""Compile GX expectations into DuckDB SQL: one aggregate scan per table, plus targeted follow-ups.

Every supported expectation becomes a :class:`Check`. A check registers the aggregate expressions it needs
in the table's one :class:`Scan` (``count(*)``, per-column null counts, one ``sum(case ...)`` per map
expectation, ``max``/``min``/``avg``/``count(distinct)`` ...). Expressions are de-duplicated, so two checks
that need the null count of the same column share one expression. After the scan, each check turns the
scan's values into the *metrics* GX's own expectation class consumes (``table.row_count``,
``column_values.in_set.unexpected_count``, ``column.max`` ...), running a follow-up query only where one
scan cannot answer: a ``group by`` for uniqueness, an ordered read for the median, the distinct values of
a set comparison, and a ``limit N`` read of unexpected values only for map expectations that found some.

The SQL mirrors what GX's SQLAlchemy metric providers send to DuckDB (same conditions, same bound-parameter
types, same null handling, same ``sum(case ...)`` aggregates whose empty-table value is NULL), so the metric
values are the values GX would compute; GX's expectation code then decides success and formats the result.

A check is only built when the compiler is sure it reproduces GX exactly; anything else raises
:class:`Unsupported` with the reason, and the caller hands that expectation to Great Expectations.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# GX's cap on fetched unexpected values (great_expectations.expectations.metrics.util.MAX_RESULT_RECORDS)
MAX_RESULT_RECORDS = 200
# GX's cap on distinct values listed by set expectations (...metrics.util.MAX_DISTINCT_VALUES)
MAX_DISTINCT_VALUES = 20

# Result formats compiled (anything richer, e.g. COMPLETE's full unexpected list and index query, goes to GX).
COMPILED_RESULT_FORMATS = ("BOOLEAN_ONLY", "BASIC", "SUMMARY")

_STRING_TYPES = ("VARCHAR", "CHAR", "TEXT", "STRING", "BPCHAR")
_BOOLEAN_TYPES = ("BOOLEAN", "BOOL")
_INTEGER_TYPES: tuple[str, ...] = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "INT",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_TEMPORAL_TYPES = ("DATE", "TIMESTAMP", "TIME")


class Unsupported(Exception):
    """This expectation (or one of its options) is not compiled; Great Expectations validates it."""


def quote(name: str) -> str:
    """A DuckDB identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def type_family(data_type: str) -> str:
    """``string``, ``boolean``, ``integer``, ``decimal``, ``float``, ``temporal`` or ``other``."""
    t = data_type.upper()
    if t.startswith(_STRING_TYPES):
        return "string"
    if t.startswith(_BOOLEAN_TYPES):
        return "boolean"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "decimal"
    if t.split("(")[0] in _INTEGER_TYPES:
        return "integer"
    if t.split("(")[0] in _FLOAT_TYPES:
        return "float"
    if t.startswith(_TEMPORAL_TYPES):
        return "temporal"
    return "other"


NUMERIC = frozenset({"integer", "decimal", "float"})


@dataclass
class Scan:
    """The one aggregate query over a table: de-duplicated expressions with their bound parameters."""

    exprs: list[str] = field(default_factory=list)
    params: list[list[Any]] = field(default_factory=list)
    _index: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, sql: str, params: Sequence[Any] = ()) -> int:
        key = (sql, repr([(type(p).__name__, p) for p in params]))
        if key not in self._index:
            self._index[key] = len(self.exprs)
            self.exprs.append(sql)
            self.params.append(list(params))
        return self._index[key]

    def sql(self, relation: str) -> tuple[str, list[Any]]:
        select = ",\n  ".join(self.exprs) if self.exprs else "count(*)"
        flat = [p for ps in self.params for p in ps]
        return f"select\n  {select}\nfrom {relation}", flat


@dataclass(frozen=True)
class Table:
    """What the compiler knows about the relation: its quoted name, its columns in order, the column sets of
    its enforced PRIMARY KEY / UNIQUE constraints, and its estimated row count (None: unknown, e.g. a view)."""

    relation: str
    columns: Mapping[str, str]  # name -> DuckDB data type, in table order
    unique_keys: tuple[frozenset[str], ...] = ()
    estimated_rows: int | None = None


QueryFn = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Options:
    result_format: str  # BOOLEAN_ONLY | BASIC | SUMMARY
    partial_unexpected_count: int


class Check:
    """One compiled expectation: registers scan expressions, then yields GX metrics."""

    def plan(self, scan: Scan) -> None:
        raise NotImplementedError

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        raise NotImplementedError


# --- helpers --------------------------------------------------------------------------------------------------


def _count_if(condition: str) -> str:
    # GX's bundled unexpected count: sum(case when <unexpected> then 1 else 0 end), NULL on an empty domain.
    return f"sum(case when {condition} then 1 else 0 end)"


def _column(table: Table, kwargs: Mapping[str, Any], key: str = "column") -> str:
    name = kwargs.get(key)
    if not isinstance(name, str) or not name:
        raise Unsupported(f"{key} is not a column name")
    if name not in table.columns:
        raise Unsupported(f"column {name!r} not in the table")  # GX reports its own error for it
    return name


def _family(table: Table, column: str) -> str:
    return type_family(table.columns[column])


def _sample_limit(options: Options) -> int:
    return max(0, min(options.partial_unexpected_count, MAX_RESULT_RECORDS))


def _is_scalar_param(value: Any) -> bool:
    return value is None or isinstance(
        value, bool | int | float | str | decimal.Decimal | dt.date | dt.datetime
    )


# --- table ----------------------------------------------------------------------------------------------------


class RowCount(Check):
    def __init__(self) -> None:
        self.slot = -1

    def plan(self, scan: Scan) -> None:
        self.slot = scan.add("count(*)")

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        return {"table.row_count": row[self.slot]}


class TableColumns(Check):
    def __init__(self, table: Table) -> None:
        self.columns = list(table.columns)

    def plan(self, scan: Scan) -> None:
        pass

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        return {"table.columns": list(self.columns), "table.column_count": len(self.columns)}


# --- column map expectations ----------------------------------------------------------------------------------


class ColumnMap(Check):
    """A column map expectation: ``condition`` is the SQL of GX's *expected* condition on the column.

    ``filter_nulls``: GX's ``filter_column_isnull`` (nulls are neither expected nor unexpected, counted as
    missing); False for the null/non-null expectations, whose condition is about nulls.
    """

    def __init__(
        self,
        table: Table,
        metric: str,
        column: str,
        condition: str,
        params: Sequence[Any] = (),
        *,
        filter_nulls: bool = True,
    ) -> None:
        self.table = table
        self.metric = metric
        self.column = column
        self.qcol = quote(column)
        self.condition = condition
        self.params = list(params)
        self.filter_nulls = filter_nulls
        self.null_slot = self.row_slot = self.unexpected_slot = -1

    @property
    def unexpected(self) -> str:
        if self.filter_nulls:
            return f"(not ({self.qcol} is null) and not ({self.condition}))"
        return f"(not ({self.condition}))"

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.null_slot = scan.add(_count_if(f"{self.qcol} is null"))
        self.unexpected_slot = scan.add(_count_if(self.unexpected), self.params)

    def sample(self, count: int | None, query: QueryFn, options: Options) -> list[Any]:
        limit = _sample_limit(options)
        if not count or not limit:
            return []
        rows = query(
            f"select {self.qcol} from {self.table.relation} where {self.unexpected} limit {limit}",
            self.params,
        )
        return [r[0] for r in rows]

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        count = row[self.unexpected_slot]
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            "column_values.nonnull.unexpected_count": row[self.null_slot],
            f"{self.metric}.unexpected_count": count,
        }
        if options.result_format != "BOOLEAN_ONLY":
            values[f"{self.metric}.unexpected_values"] = self.sample(count, query, options)
        return values


class NotNull(ColumnMap):
    def __init__(self, table: Table, column: str) -> None:
        super().__init__(
            table, "column_values.nonnull", column, f"{quote(column)} is not null", filter_nulls=False
        )

    def sample(self, count: int | None, query: QueryFn, options: Options) -> list[Any]:
        # The unexpected values of "not null" are nulls: no need to read them.
        return [None] * min(count or 0, _sample_limit(options))


class Unique(ColumnMap):
    """Uniqueness by one ``group by`` of the column (GX: a window per check); GX's value metric counts 0 on
    an empty table rather than NULL."""

    def __init__(self, table: Table, column: str) -> None:
        super().__init__(table, "column_values.unique", column, "true")
        self.dup_count: int = 0
        self.dups: list[tuple[Any, int]] = []

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.null_slot = scan.add(_count_if(f"{self.qcol} is null"))

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        limit = _sample_limit(options) if options.result_format != "BOOLEAN_ONLY" else 0
        rows = query(
            f"with dups as (select {self.qcol} as v, count(*) as n from {self.table.relation} "
            f"where {self.qcol} is not null group by {self.qcol} having count(*) >= 2) "
            f"select v, n, sum(n) over () as total from dups limit {max(limit, 1)}",
            [],
        )
        total = int(rows[0][2]) if rows else 0
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            "column_values.nonnull.unexpected_count": row[self.null_slot],
            f"{self.metric}.unexpected_count": total,
        }
        if options.result_format != "BOOLEAN_ONLY":
            sample: list[Any] = []
            for value, n, _total in rows:
                sample.extend([value] * int(n))
                if len(sample) >= limit:
                    break
            values[f"{self.metric}.unexpected_values"] = sample[:limit]
        return values


# --- column pair and multicolumn map expectations -------------------------------------------------------------


class PairMap(Check):
    """``expect_column_pair_values_a_to_be_greater_than_b`` and ``..._to_be_equal``: GX filters the domain by
    ``ignore_row_if`` first, then counts unexpected rows in it (NULL when the domain is empty)."""

    def __init__(self, table: Table, metric: str, a: str, b: str, condition: str, ignore_row_if: str) -> None:
        self.table = table
        self.metric = metric
        self.a, self.b = quote(a), quote(b)
        self.condition = condition
        if ignore_row_if == "both_values_are_missing":
            self.domain = f"not ({self.a} is null and {self.b} is null)"
        elif ignore_row_if == "either_value_is_missing":
            self.domain = f"not ({self.a} is null or {self.b} is null)"
        elif ignore_row_if == "neither":
            self.domain = "true"
        else:
            raise Unsupported(f"ignore_row_if {ignore_row_if!r}")
        self.row_slot = self.filtered_slot = self.unexpected_slot = -1

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.filtered_slot = scan.add(f"count(*) filter (where {self.domain})")
        self.unexpected_slot = scan.add(
            # GX's value metric over the filtered domain: 0, never NULL, on an empty domain
            f"count(*) filter (where ({self.domain}) and not ({self.condition}))"
        )

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        count = row[self.unexpected_slot]
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            f"{self.metric}.filtered_row_count": row[self.filtered_slot],
            f"{self.metric}.unexpected_count": count,
        }
        if options.result_format != "BOOLEAN_ONLY":
            limit = _sample_limit(options)
            sample: list[Any] = []
            if count and limit:
                rows = query(
                    f"select {self.a}, {self.b} from {self.table.relation} "
                    f"where ({self.domain}) and not ({self.condition}) limit {limit}",
                    [],
                )
                sample = [(r[0], r[1]) for r in rows]
            values[f"{self.metric}.unexpected_values"] = sample
        return values


class CompoundUnique(Check):
    """``expect_compound_columns_to_be_unique``: GX joins rows to their group counts on equality, so a row
    with a null in any of the columns is never unexpected; the domain (``ignore_row_if``) only sets the
    filtered row count."""

    metric = "compound_columns.unique"

    def __init__(self, table: Table, columns: Sequence[str], ignore_row_if: str) -> None:
        self.table = table
        self.names = list(columns)
        self.cols = [quote(c) for c in columns]
        if ignore_row_if == "all_values_are_missing":
            self.domain = "not (" + " and ".join(f"{c} is null" for c in self.cols) + ")"
        elif ignore_row_if == "any_value_is_missing":
            self.domain = "not (" + " or ".join(f"{c} is null" for c in self.cols) + ")"
        elif ignore_row_if == "never":
            self.domain = "true"
        else:
            raise Unsupported(f"ignore_row_if {ignore_row_if!r}")
        self.row_slot = self.filtered_slot = -1

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.filtered_slot = scan.add(f"count(*) filter (where {self.domain})")

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        limit = _sample_limit(options) if options.result_format != "BOOLEAN_ONLY" else 0
        cols = ", ".join(self.cols)
        not_null = " and ".join(f"{c} is not null" for c in self.cols)
        rows = query(
            f"with dups as (select {cols}, count(*) as n from {self.table.relation} "
            f"where {not_null} group by {cols} having count(*) >= 2) "
            f"select *, sum(n) over () as total from dups limit {max(limit, 1)}",
            [],
        )
        width = len(self.cols)
        total = int(rows[0][width + 1]) if rows else 0
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            f"{self.metric}.filtered_row_count": row[self.filtered_slot],
            f"{self.metric}.unexpected_count": total,
        }
        if options.result_format != "BOOLEAN_ONLY":
            sample: list[Any] = []
            for r in rows:
                item = dict(zip(self.names, r[:width], strict=True))
                sample.extend(dict(item) for _ in range(int(r[width])))
                if len(sample) >= limit:
                    break
            values[f"{self.metric}.unexpected_values"] = sample[:limit]
        return values


# --- column aggregates ----------------------------------------------------------------------------------------


class ColumnAggregate(Check):
    """Aggregate metrics of one column, all from the one scan: ``{metric name: SQL expression}``."""

    def __init__(self, exprs: Mapping[str, tuple[str, Sequence[Any]]]) -> None:
        self.exprs = dict(exprs)
        self.slots: dict[str, int] = {}

    def plan(self, scan: Scan) -> None:
        for name, (sql, params) in self.exprs.items():
            self.slots[name] = scan.add(sql, params)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        return {name: row[slot] for name, slot in self.slots.items()}


class Proportion(ColumnAggregate):
    """``column.non_null_proportion`` / ``column.unique_proportion``, derived like GX's metric functions."""

    def __init__(self, table: Table, column: str, kind: str) -> None:
        q = quote(column)
        super().__init__(
            {
                "table.row_count": ("count(*)", ()),
                "column.non_null_count": (f"count({q})", ()),
                "column_values.nonnull.unexpected_count": (_count_if(f"{q} is null"), ()),
                "column.distinct_values.count": (f"count(distinct {q})", ()),
            }
            if kind == "unique"
            else {"table.row_count": ("count(*)", ()), "column.non_null_count": (f"count({q})", ())}
        )
        self.kind = kind

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        m = super().metrics(row, query, options)
        total = m["table.row_count"]
        if self.kind == "unique":
            nulls = m["column_values.nonnull.unexpected_count"]
            distinct = m["column.distinct_values.count"]
            value = distinct / (total - nulls) if total > 0 and total != nulls else 0
            return {"column.unique_proportion": value}
        nonnull = m["column.non_null_count"]
        return {"column.non_null_proportion": nonnull / total if total > 0 else 0}


class Median(Check):
    """``column.median`` exactly as GX computes it: the two centre values of the sorted non-null values."""

    def __init__(self, table: Table, column: str) -> None:
        self.table = table
        self.qcol = quote(column)
        self.slot = -1

    def plan(self, scan: Scan) -> None:
        self.slot = scan.add(f"count({self.qcol})")

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        nonnull = row[self.slot]
        if not nonnull:
            return {"column.median": None}
        rows = query(
            f"select {self.qcol} from {self.table.relation} where {self.qcol} is not null "
            f"order by {self.qcol} limit 2 offset {max(nonnull // 2 - 1, 0)}",
            [],
        )
        if not rows:
            median = None
        elif nonnull % 2 == 0:
            median = float(rows[0][0] + rows[1][0]) / 2.0
        else:
            median = rows[0][0] if len(rows) == 1 else rows[1][0]
        return {"column.median": median}


class DistinctValuesSet(Check):
    """``column.distinct_values.*`` for the set expectations, from one read of the distinct values."""

    def __init__(self, table: Table, column: str, value_set: Sequence[Any]) -> None:
        self.table = table
        self.qcol = quote(column)
        self.value_set = list(value_set)

    def plan(self, scan: Scan) -> None:
        pass

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        rows = query(
            f"select distinct {self.qcol} from {self.table.relation} where {self.qcol} is not null", []
        )
        present = [r[0] for r in rows]
        expected = set(self.value_set)
        not_in_set = [v for v in present if v not in expected]
        present_set = set(present)
        missing = [v for v in self.value_set if v not in present_set]
        # GX counts missing values as len(value_set) minus the distinct column values found in it, so a
        # repeated value in value_set counts as missing (while its list stays empty): the same here.
        found = len(present_set & expected)
        missing_count = len(self.value_set) - found if self.value_set else 0
        return {
            "column.distinct_values": present_set,
            "column.distinct_values.count": len(present),
            "column.distinct_values.not_in_set.count": len(not_in_set),
            "column.distinct_values.not_in_set": not_in_set[:MAX_DISTINCT_VALUES],
            "column.distinct_values.missing_from_column.count": missing_count,
            "column.distinct_values.missing_from_column": missing[:MAX_DISTINCT_VALUES],
        }


class Combined(Check):
    """Several checks whose metrics one expectation needs together."""

    def __init__(self, *checks: Check) -> None:
        self.checks = checks

    def plan(self, scan: Scan) -> None:
        for check in self.checks:
            check.plan(scan)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: Options) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for check in self.checks:
            out.update(check.metrics(row, query, options))
        return out


# --- the compiler ---------------------------------------------------------------------------------------------


def _between_condition(column: str, kwargs: Mapping[str, Any]) -> tuple[str, list[Any]]:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    strict_min, strict_max = kwargs.get("strict_min"), kwargs.get("strict_max")
    if lo is None and hi is None:
        raise Unsupported("min_value and max_value both missing (GX raises)")
    for value in (lo, hi, strict_min, strict_max):
        if isinstance(value, dict) or not _is_scalar_param(value):
            raise Unsupported("a bound that is not a plain value")
    try:
        if lo is not None and hi is not None and lo > hi:
            raise Unsupported("min_value > max_value (GX raises)")
    except TypeError as exc:
        raise Unsupported("bounds of different types") from exc
    parts: list[str] = []
    params: list[Any] = []
    if lo is not None:
        parts.append(f"{column} {'>' if strict_min else '>='} ?")
        params.append(lo)
    if hi is not None:
        parts.append(f"{column} {'<' if strict_max else '<='} ?")
        params.append(hi)
    return " and ".join(parts), params


def _value_set(kwargs: Mapping[str, Any]) -> list[Any] | None:
    value_set = kwargs.get("value_set")
    if value_set is None:
        return None
    if not isinstance(value_set, list | tuple | set | frozenset):
        raise Unsupported("value_set is not a list")
    values = list(value_set)
    if not all(_is_scalar_param(v) for v in values):
        raise Unsupported("value_set holds values that are not plain scalars")
    return values


def _check_set_types(family: str, values: Sequence[Any]) -> None:
    """Only compare like with like, where SQL and Python agree on equality."""
    for v in values:
        if v is None:
            continue
        ok = (
            (family == "string" and isinstance(v, str))
            or (family == "boolean" and isinstance(v, bool))
            or (
                family in NUMERIC and isinstance(v, int | float | decimal.Decimal) and not isinstance(v, bool)
            )
        )
        if not ok:
            raise Unsupported(f"value {v!r} against a {family} column")


def _in_set(qcol: str, values: list[Any] | None) -> tuple[str, list[Any]]:
    if values is None:
        return "true", []
    if not values:
        return "false", []
    values = [v for v in values if v is not None]
    if not values:
        return "false", []  # GX: column.in_([]) is false
    return f"{qcol} in ({', '.join('?' for _ in values)})", values


def _bounds_check(kwargs: Mapping[str, Any]) -> None:
    for key in ("min_value", "max_value", "strict_min", "strict_max"):
        value = kwargs.get(key)
        if isinstance(value, dict):
            raise Unsupported(f"{key} is an unresolved parameter")


def compile_expectation(etype: str, kwargs: Mapping[str, Any], table: Table) -> Check:
    """The check for one expectation (``kwargs`` after suite parameters and GX's own type coercion)."""
    if kwargs.get("row_condition") or kwargs.get("condition_parser"):
        raise Unsupported("row_condition")
    builder = _BUILDERS.get(etype)
    if builder is None:
        raise Unsupported(f"expectation type {etype} is not compiled")
    return builder(kwargs, table)


def _not_null(kwargs: Mapping[str, Any], table: Table) -> Check:
    return NotNull(table, _column(table, kwargs))


def _null(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    return ColumnMap(table, "column_values.null", col, f"{quote(col)} is null", filter_nulls=False)


def _unique(kwargs: Mapping[str, Any], table: Table) -> Check:
    return Unique(table, _column(table, kwargs))


def _in_set_check(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    values = _value_set(kwargs)
    _check_set_types(_family(table, col), values or [])
    condition, params = _in_set(quote(col), values)
    return ColumnMap(table, "column_values.in_set", col, condition, params)


def _not_in_set_check(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    values = _value_set(kwargs)
    if values is None or not values or None in values:
        raise Unsupported("not_in_set with an empty or null-holding value_set")
    _check_set_types(_family(table, col), values)
    condition = f"{quote(col)} not in ({', '.join('?' for _ in values)})"
    return ColumnMap(table, "column_values.not_in_set", col, condition, values)


def _between(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    family = _family(table, col)
    if family not in NUMERIC | {"temporal"}:
        raise Unsupported(f"between on a {family} column (GX raises)")
    for key in ("min_value", "max_value"):
        value = kwargs.get(key)
        if value is None:
            continue
        if family in NUMERIC and not (_is_number(value) or isinstance(value, decimal.Decimal)):
            raise Unsupported(f"{key} {value!r} against a numeric column")
        if family == "temporal" and not isinstance(value, dt.date | str):
            raise Unsupported(f"{key} {value!r} against a date/time column")
    condition, params = _between_condition(quote(col), kwargs)
    return ColumnMap(table, "column_values.between", col, condition, params)


def _regex(negate: bool) -> Callable[[Mapping[str, Any], Table], Check]:
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        regex = kwargs.get("regex")
        if not isinstance(regex, str):
            raise Unsupported("regex is not a string")
        if _family(table, col) != "string":
            raise Unsupported("regex on a column that is not a string")
        op = "!~" if negate else "~"
        metric = "column_values.not_match_regex" if negate else "column_values.match_regex"
        return ColumnMap(table, metric, col, f"{quote(col)} {op} ?", [regex])

    return build


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _lengths_between(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    if _family(table, col) != "string":
        raise Unsupported("lengths of a column that is not a string")
    _bounds_check(kwargs)
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if any(v is not None and not _is_number(v) for v in (lo, hi)):
        raise Unsupported("length bounds that are not numbers")
    if lo is None and hi is None:
        raise Unsupported("min_value and max_value both missing (GX raises)")
    if any(v is not None and not float(v).is_integer() for v in (lo, hi)):
        raise Unsupported("length bounds that are not integers (GX raises)")
    parts, params = [], []
    if lo is not None:
        parts.append(f"length({quote(col)}) {'>' if kwargs.get('strict_min') else '>='} ?")
        params.append(lo)
    if hi is not None:
        parts.append(f"length({quote(col)}) {'<' if kwargs.get('strict_max') else '<='} ?")
        params.append(hi)
    return ColumnMap(table, "column_values.value_length.between", col, " and ".join(parts), params)


def _lengths_equal(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    value = kwargs.get("value")
    if _family(table, col) != "string" or not _is_number(value):
        raise Unsupported("length equal on a non-string column or a value that is not a number")
    return ColumnMap(table, "column_values.value_length.equals", col, f"length({quote(col)}) = ?", [value])


def _pair_greater(kwargs: Mapping[str, Any], table: Table) -> Check:
    a, b = _column(table, kwargs, "column_A"), _column(table, kwargs, "column_B")
    fa, fb = _family(table, a), _family(table, b)
    if not ((fa in NUMERIC and fb in NUMERIC) or fa == fb):
        raise Unsupported(f"comparing a {fa} column with a {fb} column")
    or_equal = kwargs.get("or_equal")
    if isinstance(or_equal, dict):
        raise Unsupported("or_equal is a parameter")
    qa, qb = quote(a), quote(b)
    # GX: a >= b, or both null (which the default ignore_row_if filters out anyway)
    both_null = f"({qa} is null and {qb} is null)"
    condition = f"({qa} >= {qb} or {both_null})" if or_equal else f"{qa} > {qb}"
    ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
    return PairMap(table, "column_pair_values.a_greater_than_b", a, b, condition, ignore)


def _pair_equal(kwargs: Mapping[str, Any], table: Table) -> Check:
    a, b = _column(table, kwargs, "column_A"), _column(table, kwargs, "column_B")
    fa, fb = _family(table, a), _family(table, b)
    if not ((fa in NUMERIC and fb in NUMERIC) or fa == fb):
        raise Unsupported(f"comparing a {fa} column with a {fb} column")
    ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
    qa, qb = quote(a), quote(b)
    condition = f"({qa} = {qb} and not ({qa} is null or {qb} is null))"
    return PairMap(table, "column_pair_values.equal", a, b, condition, ignore)


def _compound_unique(kwargs: Mapping[str, Any], table: Table) -> Check:
    columns = kwargs.get("column_list")
    if not isinstance(columns, list) or len(columns) < 2:
        raise Unsupported("column_list")
    for c in columns:
        _column(table, {"column": c})
    if len(set(columns)) != len(columns):
        raise Unsupported("repeated column in column_list")
    ignore = kwargs.get("ignore_row_if") or "all_values_are_missing"
    return CompoundUnique(table, columns, ignore)


def _aggregate(metric: str, sql: Callable[[str], str], params: Sequence[Any] = (), numeric: bool = False):
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        family = _family(table, col)
        if numeric and family not in NUMERIC:
            raise Unsupported(f"{metric} of a {family} column")
        if family == "other":
            raise Unsupported(f"{metric} of a column of type {table.columns[col]}")
        _bounds_check(kwargs)
        return ColumnAggregate({metric: (sql(quote(col)), params)})

    return build


def _median(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    if _family(table, col) not in NUMERIC:
        raise Unsupported("median of a column that is not numeric")
    _bounds_check(kwargs)
    return Median(table, col)


def _unique_value_count(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    _bounds_check(kwargs)
    return ColumnAggregate({"column.distinct_values.count": (f"count(distinct {quote(col)})", ())})


def _proportion(kind: str) -> Callable[[Mapping[str, Any], Table], Check]:
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        _bounds_check(kwargs)
        return Proportion(table, col, kind)

    return build


def _distinct_set(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    values = _value_set(kwargs)
    if values is None or None in values:
        raise Unsupported("value_set missing or holding null")
    family = _family(table, col)
    if family not in ("string", "integer", "boolean"):
        raise Unsupported(f"distinct values of a {family} column")
    _check_set_types(family, values)
    if family == "integer" and any(isinstance(v, float) for v in values):
        raise Unsupported("float values against an integer column")
    return DistinctValuesSet(table, col, values)


def _row_count(kwargs: Mapping[str, Any], table: Table) -> Check:
    _bounds_check(kwargs)
    for key in ("min_value", "max_value", "value"):
        value = kwargs.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise Unsupported(f"{key} is not an integer")
    return RowCount()


def _table_columns(kwargs: Mapping[str, Any], table: Table) -> Check:
    _bounds_check(kwargs)
    return TableColumns(table)


_BUILDERS: dict[str, Callable[[Mapping[str, Any], Table], Check]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_be_unique": _unique,
    "expect_column_values_to_be_in_set": _in_set_check,
    "expect_column_values_to_not_be_in_set": _not_in_set_check,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_match_regex": _regex(negate=False),
    "expect_column_values_to_not_match_regex": _regex(negate=True),
    "expect_column_value_lengths_to_be_between": _lengths_between,
    "expect_column_value_lengths_to_equal": _lengths_equal,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
    "expect_column_pair_values_to_be_equal": _pair_equal,
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_column_max_to_be_between": _aggregate("column.max", lambda c: f"max({c})"),
    "expect_column_min_to_be_between": _aggregate("column.min", lambda c: f"min({c})"),
    # GX: avg(1.0 * column), with 1.0 a bound float parameter
    "expect_column_mean_to_be_between": _aggregate(
        "column.mean", lambda c: f"avg(? * {c})", params=(1.0,), numeric=True
    ),
    "expect_column_sum_to_be_between": _aggregate("column.sum", lambda c: f"sum({c})", numeric=True),
    "expect_column_median_to_be_between": _median,
    "expect_column_unique_value_count_to_be_between": _unique_value_count,
    "expect_column_proportion_of_unique_values_to_be_between": _proportion("unique"),
    "expect_column_proportion_of_non_null_values_to_be_between": _proportion("non_null"),
    "expect_column_distinct_values_to_equal_set": _distinct_set,
    "expect_table_row_count_to_be_between": _row_count,
    "expect_table_row_count_to_equal": _row_count,
    "expect_table_columns_to_match_ordered_list": _table_columns,
    "expect_table_columns_to_match_set": _table_columns,
    "expect_table_column_count_to_equal": _table_columns,
    "expect_table_column_count_to_be_between": _table_columns,
}

SUPPORTED_TYPES: tuple[str, ...] = tuple(sorted(_BUILDERS))
