"""Compile GX expectations into SQL: one aggregate scan per table, plus targeted follow-ups.

The SQL is DuckDB's or Spark's: everything that differs between them (quoting, type names, regex, parameters,
the semi join, the folds) is written by the table's :class:`~.dialect.Dialect` (:mod:`.dialect`, which also
says what Spark refuses). The strategies and metrics below are the same on every dialect; folds need list
aggregates and a size estimate, so only DuckDB has small tables.

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
values are the values GX would compute; :mod:`dataproducts.validation.native` (or GX's own expectation code)
then decides success and formats the result.

A check is only built when the compiler is sure it reproduces GX exactly; anything else raises
:class:`Unsupported` with the reason, and the caller hands that expectation to Great Expectations.

Strategies, chosen from what :class:`Table` knows (see :mod:`.catalog`); each gives GX's exact metrics:

* **Uniqueness the warehouse guarantees.** ``expect_column_values_to_be_unique`` on ``c`` when an enforced
  PRIMARY KEY or UNIQUE constraint is exactly ``{c}``, and ``expect_compound_columns_to_be_unique`` on
  columns ``C`` when some such key ``K`` is a subset of ``C``: unexpected count 0, no sample, no query
  beyond the scan. Exact because GX counts only rows whose values (all of ``C``) are non-null and repeat,
  and the key's values are distinct wherever none of them is null (a UNIQUE key lets NULLs repeat: those
  rows are not counted by GX either). DuckDB's key equality is its ``group by`` equality (``-0.0 = 0.0``,
  every NaN equal), the equality GX's own query runs with.
* **Uniqueness otherwise** (tables above :data:`SMALL_TABLE_ROWS`): one count-only ``group by ... having
  count(*) >= 2`` query (0.60 s instead of 0.73 s for the windowed query on 10 M rows); the duplicate values
  for the sample are read only when there are some and the result format shows them.
* **Small tables** (``estimated_rows`` at most :data:`SMALL_TABLE_ROWS`): follow-ups fold into the scan
  where that is exact and measured cheaper. A uniqueness probe (``count(c) - list_unique(list(c))``, or
  ``count(distinct c)`` for strings, whose collation ``list_unique`` ignores) replaces the ``group by``
  unless it finds duplicates; the two centre values for the median come from ``list_sort(list(c))``; the
  distinct values of an integer or boolean column from ``list_distinct(list(c))``; and the unexpected values
  of map expectations with ``mostly`` < 1 (which expect some) from ``list(c) filter (where <unexpected>)``.
  Values cross the scan row as strings where GX's JSON conversion of the row would change them (DECIMAL).
  At 150-5000 rows each fold adds 0.1-0.5 ms to the scan where its follow-up costs 0.45-1.2 ms; from about
  10 000 rows the sort and from 20-30 000 rows the probes cost more than the queries they replace.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataproducts.constants import MAX_DISTINCT_VALUES
from dataproducts.validation.native import ResultFormat, is_number
from dataproducts.validation.sql.dialect import DUCKDB, Dialect, Reader, Unsupported

__all__ = ["Dialect", "Unsupported"]  # re-exported: the compiler's callers catch Unsupported from here

# GX's cap on fetched unexpected values (great_expectations.expectations.metrics.util.MAX_RESULT_RECORDS)
MAX_RESULT_RECORDS = 200

# Result formats compiled (anything richer, e.g. COMPLETE's full unexpected list and index query, goes to GX).
COMPILED_RESULT_FORMATS = ("BASIC", "SUMMARY")

# Tables of at most this many rows (estimated) fold follow-up queries into the scan; see the module docstring.
SMALL_TABLE_ROWS = 5_000


def type_family(data_type: str) -> str:
    """A DuckDB type's family: ``string``, ``boolean``, ``integer``, ``decimal``, ``float``, ``temporal`` or
    ``other`` (another dialect's: :meth:`.Dialect.type_family`)."""
    return DUCKDB.type_family(data_type)


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
    its enforced PRIMARY KEY / UNIQUE constraints, its estimated row count (None: unknown, e.g. a view), and
    the SQL dialect of its warehouse."""

    relation: str
    columns: Mapping[str, str]  # name -> the warehouse's data type, in table order
    unique_keys: tuple[frozenset[str], ...] = ()
    estimated_rows: int | None = None
    dialect: Dialect = DUCKDB

    def quote(self, column: str) -> str:
        return self.dialect.quote(column)

    def family(self, column: str) -> str:
        return self.dialect.type_family(self.columns[column])

    def value(self, sql: str, column: str) -> str:
        """``sql`` (the column ``column``, maybe qualified) as selected for Python (:meth:`.Dialect.value`)."""
        return self.dialect.value(sql, self.columns[column])

    def param(self, value: Any, column: str) -> tuple[str, Any]:
        """The placeholder and bound value of ``value`` compared with ``column`` (:meth:`.Dialect.param`)."""
        return self.dialect.param(value, self.family(column))

    def guarantees_unique(self, columns: Iterable[str]) -> bool:
        """Does an enforced key make these columns' non-null value combinations distinct?"""
        cols = frozenset(columns)
        return any(key and key <= cols for key in self.unique_keys)

    def is_small(self, threshold: int) -> bool:
        return self.estimated_rows is not None and self.estimated_rows <= threshold


QueryFn = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


class Check:
    """One compiled expectation: registers scan expressions, then yields GX metrics."""

    small = False  # set by compile_expectation on a small table (see count_if)

    def count_if(self, condition: str) -> str:
        """The rows meeting ``condition``: GX's ``sum(case ...)`` (NULL on an empty table: see
        :func:`_count_if`), or on a small table ``count(*) filter (where ...)``, which DuckDB plans and runs
        about 0.25 ms faster per scan there (0 on an empty table: read it with :meth:`empty_is_null`)."""
        return f"count(*) filter (where {condition})" if self.small else _count_if(condition)

    def empty_is_null(self, value: Any, rows: Any) -> Any:
        """A :meth:`count_if` value as GX's ``sum(case ...)`` gives it: NULL when the table has no rows."""
        return None if self.small and not rows else value

    def plan(self, scan: Scan) -> None:
        raise NotImplementedError

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        raise NotImplementedError

    def fold(self, expects_unexpected: bool) -> None:
        """The table is small: fold follow-up queries into the scan where exact. ``expects_unexpected``:
        the expectation allows unexpected values (``mostly`` < 1), so its sample is likely needed."""


# --- helpers --------------------------------------------------------------------------------------------------


def _null_count(qcol: str) -> str:
    # GX's bundled null count is sum(case when c is null ...), NULL on an empty table: read with _nulls().
    # count(*) - count(c) is the same number on a non-empty table and scans 5-20 % faster on 10-25 M rows.
    return f"count(*) - count({qcol})"


def _nulls(row: Sequence[Any], row_slot: int, null_slot: int) -> Any:
    return None if not row[row_slot] else row[null_slot]


def _count_if(condition: str) -> str:
    # GX's bundled unexpected count: sum(case when <unexpected> then 1 else 0 end), NULL on an empty domain.
    # Also where GX counts 0 on an empty table (read with ``or 0``): on 10 M rows it scans 10-15 % faster
    # than ``count(*) filter (where ...)``.
    return f"sum(case when {condition} then 1 else 0 end)"


def _column(table: Table, kwargs: Mapping[str, Any], key: str = "column") -> str:
    name = kwargs.get(key)
    if not isinstance(name, str) or not name:
        raise Unsupported(f"{key} is not a column name")
    if name not in table.columns:
        raise Unsupported(f"column {name!r} not in the table")  # GX reports its own error for it
    return name


def _family(table: Table, column: str) -> str:
    return table.family(column)


def _sample_limit(options: ResultFormat) -> int:
    return max(0, min(options.partial_unexpected_count, MAX_RESULT_RECORDS))


def _is_scalar_param(value: Any) -> bool:
    return value is None or isinstance(
        value, bool | int | float | str | decimal.Decimal | dt.date | dt.datetime
    )


# --- values folded into the scan ------------------------------------------------------------------------------
# The scan row reaches a check after GX's JSON conversion (``convert_to_json_serializable``: Decimal -> float,
# NaN -> None, dates -> strings). Folded values must come back exactly as a follow-up query returns them:
# strings, booleans and integers pass unchanged, DECIMAL travels as its exact text, a float's NaN is restored
# (the folded lists hold no NULL), and other families are not folded.

FOLDED_FAMILIES = frozenset({"string", "boolean", "integer", "decimal", "float"})


def _folded(qcol: str, family: str) -> str:
    return f"{qcol}::varchar" if family == "decimal" else qcol


def _unfolded(values: Any, family: str) -> list[Any]:
    """The folded non-null values of a column, as Python values a follow-up query would return."""
    if not values:
        return []  # also NULL: list() over no rows
    if family == "decimal":
        return [decimal.Decimal(v) for v in values]
    if family == "float":
        return [math.nan if v is None else v for v in values]
    return list(values)


def _list_unique_agrees(data_type: str) -> bool:  # folds: DuckDB only
    """``list_unique`` counts distinct values with ``group by``'s equality for these types (checked: NaN
    payloads, -0.0, time zones). Not strings: a column's collation applies to ``group by`` and
    ``count(distinct)`` but not to ``list_unique``; not intervals (``list_unique`` tells 1 month from 30 days)."""
    family = type_family(data_type)
    if family in ("integer", "boolean", "decimal", "float"):
        return True
    return family == "temporal" and data_type.upper().startswith(("DATE", "TIMESTAMP"))


def _duplicates(
    table: Table, names: Sequence[str], query: QueryFn, limit: int
) -> tuple[int, list[tuple[Any, ...]]]:
    """GX's unexpected count for uniqueness (rows whose non-null values repeat) by one count-only query, and
    up to ``limit`` unexpected rows, read only when there are some. The rows are read back (a semi join on
    up to ``limit`` repeated values), as GX reads them: values equal to each other need not be the same
    value (``'a'`` and ``'A'`` under NOCASE, ``-0.0`` and ``0.0``, NaNs)."""
    cols = [table.quote(n) for n in names]
    group = ", ".join(cols)
    not_null = " and ".join(f"{c} is not null" for c in cols)
    repeated = f"from {table.relation} where {not_null} group by {group} having count(*) >= 2"
    rows = query(f"select sum(n) from (select count(*) as n {repeated}){table.dialect.subquery_alias}", [])
    total = int(rows[0][0] or 0) if rows else 0
    if not total or not limit:
        return total, []
    on = " and ".join(f"t.{c} = d.{c}" for c in cols)
    select = ", ".join(table.value(f"t.{c}", n) for c, n in zip(cols, names, strict=True))
    subquery = f"select {group} {repeated} limit {limit}"
    return total, query(table.dialect.semi_join_rows(select, table.relation, subquery, on, limit), [])


def _uniqueness(
    check: Unique | CompoundUnique,
    names: Sequence[str],
    row: Sequence[Any],
    query: QueryFn,
    options: ResultFormat,
) -> tuple[int, list[tuple[Any, ...]]]:
    """GX's unexpected count of a uniqueness check and up to the sample limit of its unexpected rows: none
    when an enforced key guarantees it or the scan's probe found no duplicates, else :func:`_duplicates`."""
    if check.guaranteed or (check.probe_slot >= 0 and not row[check.probe_slot]):
        return 0, []
    limit = _sample_limit(options)
    total, rows = _duplicates(check.table, names, query, limit)
    return total, rows[:limit]


# --- table ----------------------------------------------------------------------------------------------------


class RowCount(Check):
    def __init__(self) -> None:
        self.slot = -1

    def plan(self, scan: Scan) -> None:
        self.slot = scan.add("count(*)")

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        return {"table.row_count": row[self.slot]}


class TableColumns(Check):
    def __init__(self, table: Table) -> None:
        self.columns = list(table.columns)

    def plan(self, scan: Scan) -> None:
        pass

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        return {"table.columns": list(self.columns), "table.column_count": len(self.columns)}


# --- column map expectations ----------------------------------------------------------------------------------


class ColumnMap(Check):
    """A column map expectation: ``condition`` is the SQL of GX's *expected* condition on the column.

    ``filter_nulls``: GX's ``filter_column_isnull`` (nulls are neither expected nor unexpected, counted as
    missing); False for the null/non-null expectations, whose condition is about nulls.

    Folded (small table, ``mostly`` < 1): the unexpected values come from the scan, up to GX's cap.
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
        self.qcol = table.quote(column)
        self.family = _family(table, column)
        self.condition = condition
        self.params = list(params)
        self.filter_nulls = filter_nulls
        self.null_slot = self.row_slot = self.unexpected_slot = -1
        self.fold_sample = False
        self.sample_slot = -1

    @property
    def unexpected(self) -> str:
        if self.filter_nulls:
            return f"(not ({self.qcol} is null) and not ({self.condition}))"
        return f"(not ({self.condition}))"

    def fold(self, expects_unexpected: bool) -> None:
        # unexpected values are never NULL here (filtered, or the condition is "is null")
        self.fold_sample = expects_unexpected and self.family in FOLDED_FAMILIES

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.null_slot = scan.add(_null_count(self.qcol))
        self.unexpected_slot = scan.add(self.count_if(self.unexpected), self.params)
        if self.fold_sample:
            self.sample_slot = scan.add(
                f"list_slice(list({_folded(self.qcol, self.family)}) filter (where {self.unexpected}), "
                f"1, {MAX_RESULT_RECORDS})",
                self.params,
            )

    def sample(
        self, count: int | None, query: QueryFn, options: ResultFormat, row: Sequence[Any] = ()
    ) -> list[Any]:
        limit = _sample_limit(options)
        if not count or not limit:
            return []
        if self.sample_slot >= 0:
            return _unfolded(row[self.sample_slot], self.family)[:limit]
        rows = query(
            f"select {self.table.value(self.qcol, self.column)} from {self.table.relation} "
            f"where {self.unexpected} limit {limit}",
            self.params,
        )
        return [r[0] for r in rows]

    def unexpected_count(self, row: Sequence[Any]) -> Any:
        return self.empty_is_null(row[self.unexpected_slot], row[self.row_slot])

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        count = self.unexpected_count(row)
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            "column_values.nonnull.unexpected_count": _nulls(row, self.row_slot, self.null_slot),
            f"{self.metric}.unexpected_count": count,
        }
        values[f"{self.metric}.unexpected_values"] = self.sample(count, query, options, row)
        return values


class NotNull(ColumnMap):
    def __init__(self, table: Table, column: str) -> None:
        super().__init__(
            table, "column_values.nonnull", column, f"{table.quote(column)} is not null", filter_nulls=False
        )

    def fold(self, expects_unexpected: bool) -> None:
        pass  # nothing to read

    def plan(self, scan: Scan) -> None:
        # the unexpected rows are the nulls: the null count, no expression of its own
        self.row_slot = scan.add("count(*)")
        self.null_slot = scan.add(_null_count(self.qcol))

    def unexpected_count(self, row: Sequence[Any]) -> Any:
        return _nulls(row, self.row_slot, self.null_slot)

    def sample(
        self, count: int | None, query: QueryFn, options: ResultFormat, row: Sequence[Any] = ()
    ) -> list[Any]:
        # The unexpected values of "not null" are nulls: no need to read them.
        return [None] * min(count or 0, _sample_limit(options))


class Unique(ColumnMap):
    """Uniqueness (GX's value metric counts 0 on an empty table rather than NULL): nothing to read when an
    enforced key is exactly this column; a probe in the scan of a small table; else a count-only ``group
    by`` (:func:`_duplicates`)."""

    def __init__(self, table: Table, column: str) -> None:
        super().__init__(table, "column_values.unique", column, "true")
        self.guaranteed = any(key == {column} for key in table.unique_keys)
        self.probe_slot = -1
        self.probe: str | None = None

    def fold(self, expects_unexpected: bool) -> None:
        if self.guaranteed:
            return
        if _list_unique_agrees(self.table.columns[self.column]):
            self.probe = f"count({self.qcol}) - list_unique(list({self.qcol}))"
        elif self.family == "string":
            self.probe = f"count({self.qcol}) - count(distinct {self.qcol})"

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.null_slot = scan.add(_null_count(self.qcol))
        if self.probe is not None:
            self.probe_slot = scan.add(self.probe)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        total, rows = _uniqueness(self, [self.column], row, query, options)
        return {
            "table.row_count": row[self.row_slot],
            "column_values.nonnull.unexpected_count": _nulls(row, self.row_slot, self.null_slot),
            f"{self.metric}.unexpected_count": total,
            f"{self.metric}.unexpected_values": [r[0] for r in rows],
        }


# --- column pair and multicolumn map expectations -------------------------------------------------------------


class PairMap(Check):
    """``expect_column_pair_values_a_to_be_greater_than_b`` and ``..._to_be_equal``: GX filters the domain by
    ``ignore_row_if`` first, then counts unexpected rows in it (NULL when the domain is empty)."""

    def __init__(self, table: Table, metric: str, a: str, b: str, condition: str, ignore_row_if: str) -> None:
        self.table = table
        self.metric = metric
        self.names = (a, b)
        self.a, self.b = table.quote(a), table.quote(b)
        self.families = (_family(table, a), _family(table, b))
        self.condition = condition
        if ignore_row_if == "both_values_are_missing":
            self.domain = _not_all_null([self.a, self.b])
        elif ignore_row_if == "either_value_is_missing":
            self.domain = f"not ({self.a} is null or {self.b} is null)"
        elif ignore_row_if == "neither":
            self.domain = "true"
        else:
            raise Unsupported(f"ignore_row_if {ignore_row_if!r}")
        self.row_slot = self.filtered_slot = self.unexpected_slot = -1
        self.fold_sample = False
        self.sample_slot = -1

    @property
    def unexpected(self) -> str:
        return f"({self.domain}) and not ({self.condition})"

    def fold(self, expects_unexpected: bool) -> None:
        # a pair may hold a NULL: not floats, whose NaN the row's JSON conversion turns into None
        self.fold_sample = expects_unexpected and all(f in FOLDED_FAMILIES - {"float"} for f in self.families)

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        # GX's value metrics over the filtered domain: 0, never NULL, on an empty domain (``or 0`` below)
        self.filtered_slot = scan.add(self.count_if(self.domain))
        self.unexpected_slot = scan.add(self.count_if(self.unexpected))
        if self.fold_sample:
            fa, fb = self.families
            pair = f"struct_pack(a := {_folded(self.a, fa)}, b := {_folded(self.b, fb)})"
            self.sample_slot = scan.add(
                f"list_slice(list({pair}) filter (where {self.unexpected}), 1, {MAX_RESULT_RECORDS})"
            )

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        count = row[self.unexpected_slot] or 0
        values: dict[str, Any] = {
            "table.row_count": row[self.row_slot],
            f"{self.metric}.filtered_row_count": row[self.filtered_slot] or 0,
            f"{self.metric}.unexpected_count": count,
        }
        limit = _sample_limit(options)
        sample: list[Any] = []
        if count and limit and self.sample_slot >= 0:
            fa, fb = self.families
            sample = [(_one(p["a"], fa), _one(p["b"], fb)) for p in (row[self.sample_slot] or [])[:limit]]
        elif count and limit:
            a, b = (self.table.value(q, n) for q, n in zip((self.a, self.b), self.names, strict=True))
            rows = query(
                f"select {a}, {b} from {self.table.relation} where {self.unexpected} limit {limit}",
                [],
            )
            sample = [(r[0], r[1]) for r in rows]
        values[f"{self.metric}.unexpected_values"] = sample
        return values


def _not_all_null(qcols: Sequence[str]) -> str:
    """Rows where not every one of the (quoted) columns is null, written one way for any column order, so
    that a pair domain and a compound domain over the same columns share one scan expression."""
    return "not (" + " and ".join(f"{c} is null" for c in sorted(qcols)) + ")"


def _one(value: Any, family: str) -> Any:
    return None if value is None else _unfolded([value], family)[0]


class CompoundUnique(Check):
    """``expect_compound_columns_to_be_unique``: GX joins rows to their group counts on equality, so a row
    with a null in any of the columns is never unexpected; the domain (``ignore_row_if``) only sets the
    filtered row count. Nothing to read when an enforced key is a subset of the columns; a probe in the scan
    of a small table; else a count-only ``group by`` (:func:`_duplicates`)."""

    metric = "compound_columns.unique"

    def __init__(self, table: Table, columns: Sequence[str], ignore_row_if: str) -> None:
        self.table = table
        self.names = list(columns)
        self.cols = [table.quote(c) for c in columns]
        if ignore_row_if == "all_values_are_missing":
            self.domain = _not_all_null(self.cols)
        elif ignore_row_if == "any_value_is_missing":
            self.domain = "not (" + " or ".join(f"{c} is null" for c in self.cols) + ")"
        elif ignore_row_if == "never":
            self.domain = "true"
        else:
            raise Unsupported(f"ignore_row_if {ignore_row_if!r}")
        self.guaranteed = table.guarantees_unique(columns)
        self.row_slot = self.filtered_slot = self.probe_slot = -1
        self.probe: str | None = None

    def fold(self, expects_unexpected: bool) -> None:
        if self.guaranteed or not all(_list_unique_agrees(self.table.columns[c]) for c in self.names):
            return
        not_null = " and ".join(f"{c} is not null" for c in self.cols)
        self.probe = (
            f"count(*) filter (where {not_null}) - "
            f"list_unique(list(row({', '.join(self.cols)})) filter (where {not_null}))"
        )

    def plan(self, scan: Scan) -> None:
        self.row_slot = scan.add("count(*)")
        self.filtered_slot = scan.add(self.count_if(self.domain))
        if self.probe is not None:
            self.probe_slot = scan.add(self.probe)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        total, rows = _uniqueness(self, self.names, row, query, options)
        return {
            "table.row_count": row[self.row_slot],
            f"{self.metric}.filtered_row_count": row[self.filtered_slot] or 0,
            f"{self.metric}.unexpected_count": total,
            f"{self.metric}.unexpected_values": [dict(zip(self.names, r, strict=True)) for r in rows],
        }


# --- column aggregates ----------------------------------------------------------------------------------------


class ColumnAggregate(Check):
    """Aggregate metrics of one column, all from the one scan: ``{metric name: SQL expression}``."""

    def __init__(
        self, exprs: Mapping[str, tuple[str, Sequence[Any]]], readers: Mapping[str, Reader] | None = None
    ) -> None:
        self.exprs = dict(exprs)
        self.readers = dict(readers or {})  # metric -> how to read its scan value (default: as it comes)
        self.slots: dict[str, int] = {}

    def plan(self, scan: Scan) -> None:
        for name, (sql, params) in self.exprs.items():
            self.slots[name] = scan.add(sql, params)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        return {name: self.readers.get(name, _as_is)(row[slot]) for name, slot in self.slots.items()}


def _as_is(value: Any) -> Any:
    return value


class Proportion(ColumnAggregate):
    """``column.non_null_proportion`` / ``column.unique_proportion``, derived like GX's metric functions."""

    def __init__(self, table: Table, column: str, kind: str) -> None:
        q = table.quote(column)
        super().__init__(
            {
                "table.row_count": ("count(*)", ()),
                "column.non_null_count": (f"count({q})", ()),
                "column_values.nonnull.unexpected_count": (_null_count(q), ()),
                "column.distinct_values.count": (f"count(distinct {q})", ()),
            }
            if kind == "unique"
            else {"table.row_count": ("count(*)", ()), "column.non_null_count": (f"count({q})", ())}
        )
        self.kind = kind

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
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
    """``column.median`` exactly as GX computes it: the two centre values of the sorted non-null values, read
    with ``order by ... limit 2 offset``, or on a small table in the scan: for integers and decimals as
    ``quantile_disc(c, 0.5)`` (DuckDB's discrete quantile is the value at position floor((n - 1) / 2) of the
    sorted values: the lower centre) and ``-quantile_disc(-c, 0.5)`` (the same position counted from the
    top: the upper centre), two order-statistic aggregates, cheaper than sorting a list; 128-bit integers
    (whose negation could overflow) sliced from ``list_sort(list(c))``. Floats always read GX's query: when
    0.0 and -0.0 tie at the centre, which one GX reports is its query's sort order's choice."""

    def __init__(self, table: Table, column: str) -> None:
        self.table = table
        self.qcol = table.quote(column)
        self.family = _family(table, column)
        # negation stays exact: every integer type widened to HUGEINT, except the 128-bit ones themselves
        self.negatable = self.family == "decimal" or (
            self.family == "integer" and table.columns[column].upper() not in ("HUGEINT", "UHUGEINT")
        )
        self.slot = -1
        self.folded = False
        self.centre_slot = -1

    def fold(self, expects_unexpected: bool) -> None:
        self.folded = self.family in ("integer", "decimal")

    def plan(self, scan: Scan) -> None:
        self.slot = scan.add(f"count({self.qcol})")
        if self.folded and self.negatable:
            wide = f"{self.qcol}::HUGEINT" if self.family == "integer" else self.qcol
            centre = f"[quantile_disc({self.qcol}, 0.5), -quantile_disc(-{wide}, 0.5)]"
            self.centre_slot = scan.add(f"{centre}::varchar[]" if self.family == "decimal" else centre)
        elif self.folded:
            # GX's offset max(n // 2 - 1, 0), limit 2, as 1-based list positions
            n = f"count({self.qcol})"
            centre = (
                f"list_slice(list_sort(list({self.qcol}) filter (where {self.qcol} is not null)), "
                f"greatest({n} // 2, 1), {n} // 2 + 1)"
            )
            self.centre_slot = scan.add(f"{centre}::varchar[]" if self.family == "decimal" else centre)

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        nonnull = row[self.slot]
        if not nonnull:
            return {"column.median": None}
        if self.centre_slot >= 0:
            values = _unfolded(row[self.centre_slot], self.family)
        else:
            rows = query(
                f"select {self.qcol} from {self.table.relation} where {self.qcol} is not null "
                f"order by {self.qcol} limit 2 offset {max(nonnull // 2 - 1, 0)}",
                [],
            )
            values = [r[0] for r in rows]
        if not values:
            median = None
        elif nonnull % 2 == 0:
            median = float(values[0] + values[1]) / 2.0
        else:
            median = values[0] if len(values) == 1 else values[1]
        return {"column.median": median}


class DistinctValuesSet(Check):
    """``column.distinct_values.*`` for the set expectations, from one read of the distinct values (on a
    small table, of an integer or boolean column: ``list_distinct(list(c))`` in the scan)."""

    def __init__(self, table: Table, column: str, value_set: Sequence[Any]) -> None:
        self.table = table
        self.qcol = table.quote(column)
        self.family = _family(table, column)
        self.value_set = list(value_set)
        self.slot = -1
        self.folded = False

    def fold(self, expects_unexpected: bool) -> None:
        # not strings: list_distinct ignores a column's collation, which select distinct applies
        self.folded = self.family in ("integer", "boolean")

    def plan(self, scan: Scan) -> None:
        if self.folded:
            self.slot = scan.add(f"list_distinct(list({self.qcol}))")

    def metrics(self, row: Sequence[Any], query: QueryFn, options: ResultFormat) -> dict[str, Any]:
        if self.slot >= 0:
            present = _unfolded(row[self.slot], self.family)
        else:
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


# --- the compiler ---------------------------------------------------------------------------------------------


Param = Callable[[Any], tuple[str, Any]]  # a value -> its placeholder and the value to bind


def _between_condition(table: Table, column: str, kwargs: Mapping[str, Any]) -> tuple[str, list[Any]]:
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
    return _bounded(
        table.quote(column),
        lo,
        hi,
        strict_min=bool(strict_min),
        strict_max=bool(strict_max),
        param=lambda v: table.param(v, column),
    )


def _bounded(
    sql: str, lo: Any, hi: Any, *, strict_min: bool, strict_max: bool, param: Param
) -> tuple[str, list[Any]]:
    """``sql`` between the bounds that are not None (GX's ``>=``/``<=``, or ``>``/``<`` when strict)."""
    parts: list[str] = []
    params: list[Any] = []
    if lo is not None:
        placeholder, value = param(lo)
        parts.append(f"{sql} {'>' if strict_min else '>='} {placeholder}")
        params.append(value)
    if hi is not None:
        placeholder, value = param(hi)
        parts.append(f"{sql} {'<' if strict_max else '<='} {placeholder}")
        params.append(value)
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


def _in_set(table: Table, column: str, values: list[Any] | None) -> tuple[str, list[Any]]:
    if values is None:
        return "true", []
    if not values:
        return "false", []
    values = [v for v in values if v is not None]
    if not values:
        return "false", []  # GX: column.in_([]) is false
    return _in_list(table, column, values, "in")


def _in_list(table: Table, column: str, values: Sequence[Any], op: str) -> tuple[str, list[Any]]:
    """``column in (...)`` or ``not in``, one placeholder per value."""
    bound = [table.param(v, column) for v in values]
    return f"{table.quote(column)} {op} ({', '.join(p for p, _ in bound)})", [v for _, v in bound]


def _bounds_check(kwargs: Mapping[str, Any]) -> None:
    for key in ("min_value", "max_value", "strict_min", "strict_max"):
        value = kwargs.get(key)
        if isinstance(value, dict):
            raise Unsupported(f"{key} is an unresolved parameter")


Builder = Callable[[Mapping[str, Any], Table], Check]


def compile_check(
    build: Builder, kwargs: Mapping[str, Any], table: Table, *, small_table_rows: int | None = None
) -> Check:
    """The check ``build`` makes of one expectation (``kwargs`` after suite parameters and GX's own type
    coercion); on a table of at most ``small_table_rows`` (default :data:`SMALL_TABLE_ROWS`) estimated rows,
    with its follow-ups folded into the scan. The registry (:mod:`dataproducts.validation.registry`) says
    which builder compiles which expectation type."""
    if kwargs.get("row_condition") or kwargs.get("condition_parser"):
        raise Unsupported("row_condition")
    check = build(kwargs, table)
    if table.dialect.folds and table.is_small(
        SMALL_TABLE_ROWS if small_table_rows is None else small_table_rows
    ):
        mostly = kwargs.get("mostly")
        check.fold(is_number(mostly) and mostly < 1)
        check.small = True
    return check


def build_not_null(kwargs: Mapping[str, Any], table: Table) -> Check:
    return NotNull(table, _column(table, kwargs))


def build_null(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    return ColumnMap(table, "column_values.null", col, f"{table.quote(col)} is null", filter_nulls=False)


def build_unique(kwargs: Mapping[str, Any], table: Table) -> Check:
    return Unique(table, _column(table, kwargs))


def build_in_set(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    values = _value_set(kwargs)
    _check_set_types(_family(table, col), values or [])
    condition, params = _in_set(table, col, values)
    return ColumnMap(table, "column_values.in_set", col, condition, params)


def build_not_in_set(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    values = _value_set(kwargs)
    if values is None or not values or None in values:
        raise Unsupported("not_in_set with an empty or null-holding value_set")
    _check_set_types(_family(table, col), values)
    condition, params = _in_list(table, col, values, "not in")
    return ColumnMap(table, "column_values.not_in_set", col, condition, params)


def build_between(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    family = _family(table, col)
    if family not in NUMERIC | {"temporal"}:
        raise Unsupported(f"between on a {family} column (GX raises)")
    for key in ("min_value", "max_value"):
        value = kwargs.get(key)
        if value is None:
            continue
        if family in NUMERIC and not (is_number(value) or isinstance(value, decimal.Decimal)):
            raise Unsupported(f"{key} {value!r} against a numeric column")
        if family == "temporal" and not isinstance(value, dt.date | str):
            raise Unsupported(f"{key} {value!r} against a date/time column")
    condition, params = _between_condition(table, col, kwargs)
    return ColumnMap(table, "column_values.between", col, condition, params)


def build_regex(negate: bool) -> Builder:
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        regex = kwargs.get("regex")
        if not isinstance(regex, str):
            raise Unsupported("regex is not a string")
        if _family(table, col) != "string":
            raise Unsupported("regex on a column that is not a string")
        metric = "column_values.not_match_regex" if negate else "column_values.match_regex"
        condition, params = table.dialect.regex(table.quote(col), regex, negate=negate)
        return ColumnMap(table, metric, col, condition, params)

    return build


def build_lengths_between(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    if _family(table, col) != "string":
        raise Unsupported("lengths of a column that is not a string")
    _bounds_check(kwargs)
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if any(v is not None and not is_number(v) for v in (lo, hi)):
        raise Unsupported("length bounds that are not numbers")
    if lo is None and hi is None:
        raise Unsupported("min_value and max_value both missing (GX raises)")
    if any(v is not None and not float(v).is_integer() for v in (lo, hi)):
        raise Unsupported("length bounds that are not integers (GX raises)")
    condition, params = _bounded(
        f"length({table.quote(col)})",
        lo,
        hi,
        strict_min=bool(kwargs.get("strict_min")),
        strict_max=bool(kwargs.get("strict_max")),
        param=lambda v: table.dialect.param(v, "integer"),
    )
    return ColumnMap(table, "column_values.value_length.between", col, condition, params)


def build_lengths_equal(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    value = kwargs.get("value")
    if _family(table, col) != "string" or not is_number(value):
        raise Unsupported("length equal on a non-string column or a value that is not a number")
    placeholder, bound = table.dialect.param(value, "integer")
    return ColumnMap(
        table,
        "column_values.value_length.equals",
        col,
        f"length({table.quote(col)}) = {placeholder}",
        [bound],
    )


def build_pair_greater(kwargs: Mapping[str, Any], table: Table) -> Check:
    a, b = _column(table, kwargs, "column_A"), _column(table, kwargs, "column_B")
    fa, fb = _family(table, a), _family(table, b)
    if not ((fa in NUMERIC and fb in NUMERIC) or fa == fb):
        raise Unsupported(f"comparing a {fa} column with a {fb} column")
    or_equal = kwargs.get("or_equal")
    if isinstance(or_equal, dict):
        raise Unsupported("or_equal is a parameter")
    qa, qb = table.quote(a), table.quote(b)
    ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
    oa, ob = table.dialect.ordered(qa, table.columns[a]), table.dialect.ordered(qb, table.columns[b])
    # GX's condition is "a >= b or (a is null and b is null)"; only its negation is ever used (unexpected
    # rows), where the term changes a both-null row from NULL to FALSE: uncounted either way. Left out.
    condition = f"{oa} >= {ob}" if or_equal else f"{oa} > {ob}"
    return PairMap(table, "column_pair_values.a_greater_than_b", a, b, condition, ignore)


def build_pair_equal(kwargs: Mapping[str, Any], table: Table) -> Check:
    a, b = _column(table, kwargs, "column_A"), _column(table, kwargs, "column_B")
    fa, fb = _family(table, a), _family(table, b)
    if not ((fa in NUMERIC and fb in NUMERIC) or fa == fb):
        raise Unsupported(f"comparing a {fa} column with a {fb} column")
    ignore = kwargs.get("ignore_row_if") or "both_values_are_missing"
    qa, qb = table.quote(a), table.quote(b)
    condition = f"({qa} = {qb} and not ({qa} is null or {qb} is null))"
    return PairMap(table, "column_pair_values.equal", a, b, condition, ignore)


def build_compound_unique(kwargs: Mapping[str, Any], table: Table) -> Check:
    columns = kwargs.get("column_list")
    if not isinstance(columns, list) or len(columns) < 2:
        raise Unsupported("column_list")
    for c in columns:
        _column(table, {"column": c})
    if len(set(columns)) != len(columns):
        raise Unsupported("repeated column in column_list")
    ignore = kwargs.get("ignore_row_if") or "all_values_are_missing"
    return CompoundUnique(table, columns, ignore)


def build_aggregate(
    metric: str, sql: Callable[[str], str], params: Sequence[Any] = (), numeric: bool = False
) -> Builder:
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        family = _family(table, col)
        if numeric and family not in NUMERIC:
            raise Unsupported(f"{metric} of a {family} column")
        if family == "other":
            raise Unsupported(f"{metric} of a column of type {table.columns[col]}")
        _bounds_check(kwargs)
        qcol = table.dialect.ordered(table.quote(col), table.columns[col])
        return ColumnAggregate({metric: (sql(table.value(qcol, col)), params)})

    return build


def build_mean(kwargs: Mapping[str, Any], table: Table) -> Check:
    """``column.mean``: GX's ``avg(? * c)`` with the float ``1.0`` (:meth:`.Dialect.column_mean`)."""
    col = _column(table, kwargs)
    family = _family(table, col)
    if family not in NUMERIC:
        raise Unsupported(f"column.mean of a {family} column")
    _bounds_check(kwargs)
    return ColumnAggregate({"column.mean": table.dialect.column_mean(table.quote(col))})


def build_sum(kwargs: Mapping[str, Any], table: Table) -> Check:
    """``column.sum``: the dialect's sum, exact for integers (:meth:`.Dialect.column_sum`)."""
    col = _column(table, kwargs)
    family = _family(table, col)
    if family not in NUMERIC:
        raise Unsupported(f"column.sum of a {family} column")
    _bounds_check(kwargs)
    sql, reader = table.dialect.column_sum(table.quote(col), table.columns[col])
    return ColumnAggregate({"column.sum": (sql, ())}, {"column.sum": reader} if reader else None)


def build_median(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    if _family(table, col) not in NUMERIC:
        raise Unsupported("median of a column that is not numeric")
    _bounds_check(kwargs)
    return Median(table, col)


def build_unique_value_count(kwargs: Mapping[str, Any], table: Table) -> Check:
    col = _column(table, kwargs)
    _bounds_check(kwargs)
    return ColumnAggregate({"column.distinct_values.count": (f"count(distinct {table.quote(col)})", ())})


def build_proportion(kind: str) -> Builder:
    def build(kwargs: Mapping[str, Any], table: Table) -> Check:
        col = _column(table, kwargs)
        _bounds_check(kwargs)
        return Proportion(table, col, kind)

    return build


def build_distinct_set(kwargs: Mapping[str, Any], table: Table) -> Check:
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


def build_row_count(kwargs: Mapping[str, Any], table: Table) -> Check:
    _bounds_check(kwargs)
    for key in ("min_value", "max_value", "value"):
        value = kwargs.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise Unsupported(f"{key} is not an integer")
    return RowCount()


def build_table_columns(kwargs: Mapping[str, Any], table: Table) -> Check:
    _bounds_check(kwargs)
    return TableColumns(table)
