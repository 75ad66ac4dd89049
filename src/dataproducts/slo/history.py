"""The SLO history: every run's per-product SLI results in a DuckDB file beside (not inside) the warehouse.

Tables (one row per ...):

- ``slo_runs``: dbt invocation (as-of time and date, when the report was generated, overall status);
- ``slo_product_runs``: invocation x product (its per-run status, row count, columns per relation as JSON);
- ``slo_sli_results``: invocation x product x SLI (status, value, unit, target and reason);
- ``slo_meta``: ``schema_version``.

Reading never writes: the file is attached read-only to an in-memory database, where the current run's rows
(not yet recorded) are unioned in, so that windows, budgets and trends including this run are plain SQL.
Recording replaces the invocation's rows in one transaction (re-running ``dp report`` for the same dbt
invocation is idempotent). A file that is not a readable history raises ``HistoryError`` and is left as is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dataproducts.errors import HistoryError, first_line

SCHEMA_VERSION = "1"

_DDL = (
    "create table if not exists {db}slo_meta (key varchar not null, value varchar)",
    """create table if not exists {db}slo_runs (
        invocation_id varchar not null, as_of timestamp not null, as_of_date date not null,
        generated_at timestamp not null, project varchar, overall_status varchar not null,
        recorded_at timestamp not null)""",
    """create table if not exists {db}slo_product_runs (
        invocation_id varchar not null, product_id varchar not null, status varchar not null,
        row_count bigint, columns_json varchar)""",
    """create table if not exists {db}slo_sli_results (
        invocation_id varchar not null, product_id varchar not null, sli varchar not null,
        status varchar not null, value double, unit varchar, target_json varchar, reason varchar)""",
)
_TABLES = ("slo_meta", "slo_runs", "slo_product_runs", "slo_sli_results")


@dataclass(frozen=True)
class ProductRecord:
    product_id: str
    status: str  # the run's status: worst SLI (not budget-adjusted)
    row_count: int | None
    columns: Mapping[str, Mapping[str, str | None]] | None
    slis: Mapping[str, Mapping[str, Any]]  # sli -> {status, value, unit, target, reason}


@dataclass(frozen=True)
class RunRecord:
    invocation_id: str
    as_of: dt.datetime
    generated_at: dt.datetime
    project: str | None
    overall_status: str
    products: Sequence[ProductRecord] = field(default_factory=tuple)

    @property
    def as_of_date(self) -> dt.date:
        return self.as_of.date()


@dataclass(frozen=True)
class TrendPoint:
    date: dt.date
    invocation_id: str
    status: str
    slis: dict[str, str]


@dataclass(frozen=True)
class SliCounts:
    good: int
    bad: int
    unknown: int


def _naive(ts: dt.datetime) -> dt.datetime:
    """UTC without tzinfo: DuckDB TIMESTAMP."""
    return ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo else ts


class HistoryReader:
    """Read-only view of the history plus the current run (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.exists = path.is_file()
        self._current: RunRecord | None = None
        self._con = duckdb.connect(":memory:")
        try:
            if self.exists:
                self._attach()
            else:
                self._con.execute("attach ':memory:' as h")
                for ddl in _DDL:
                    self._con.execute(ddl.format(db="h."))
        except BaseException:
            self._con.close()
            raise

    @property
    def current(self) -> RunRecord:
        if self._current is None:
            raise RuntimeError("set_current() first: windows include the current run")
        return self._current

    def _attach(self) -> None:
        try:
            self._con.execute(f"attach '{_sql_path(self.path)}' as h (read_only)")
        except duckdb.Error as exc:
            raise HistoryError(f"{self.path}: not a readable SLO history ({first_line(exc)})") from exc
        try:
            tables = {
                r[0]
                for r in self._con.execute(
                    "select table_name from information_schema.tables where table_catalog = 'h'"
                ).fetchall()
            }
            missing = [t for t in _TABLES if t not in tables]
            if missing:
                raise HistoryError(f"{self.path}: not an SLO history (missing tables {', '.join(missing)})")
            row = self._con.execute("select value from h.slo_meta where key = 'schema_version'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                found = "none" if row is None else row[0]
                raise HistoryError(
                    f"{self.path}: SLO history schema version {found}, this dp reads {SCHEMA_VERSION}"
                )
            # read every row once: a damaged file fails here, before anything is computed (the
            # history is small: one row per run x product x SLI)
            for table in _TABLES[1:]:
                self._con.execute(f"select * from h.{table}").fetchall()
        except duckdb.Error as exc:
            raise HistoryError(f"{self.path}: SLO history unreadable ({first_line(exc)})") from exc

    def set_current(self, run: RunRecord) -> None:
        """Union the current run (not yet recorded) into every window, replacing its recorded rows."""
        if self._current is not None:
            raise RuntimeError("the current run is already set")
        self._current = run
        con = self._con
        try:
            con.execute(
                "create temp table cur_runs as select * from h.slo_runs limit 0; "
                "create temp table cur_product_runs as select * from h.slo_product_runs limit 0; "
                "create temp table cur_sli_results as select * from h.slo_sli_results limit 0;"
            )
            _insert_run(con, "cur_", run, dt.datetime.now(dt.UTC))
            # every run in the history except the current invocation's old rows, plus the current run
            for table in ("slo_runs", "slo_product_runs", "slo_sli_results"):
                con.execute(
                    f"create temp view all_{table[4:]} as "
                    f"select * from h.{table} where invocation_id <> $inv "
                    f"union all select * from cur_{table[4:]}".replace("$inv", _quote(run.invocation_id))
                )
        except duckdb.Error as exc:
            raise HistoryError(f"{self.path}: SLO history unreadable ({first_line(exc)})") from exc

    def close(self) -> None:
        self._con.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._con.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise HistoryError(f"{self.path}: SLO history unreadable ({first_line(exc)})") from exc

    # --- queries -----------------------------------------------------------------------------------------

    def _window(self, window_days: int) -> tuple[dt.date, dt.date]:
        end = self.current.as_of_date
        return end - dt.timedelta(days=window_days - 1), end

    def sli_counts(self, product_id: str, window_days: int) -> dict[str, SliCounts]:
        """Per SLI: good (met, at_risk), bad (breached) and unknown runs in the window ending at the as-of day."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select s.sli,
                   count(*) filter (where s.status in ('met', 'at_risk')),
                   count(*) filter (where s.status = 'breached'),
                   count(*) filter (where s.status = 'unknown')
            from all_sli_results s join all_runs r using (invocation_id)
            where s.product_id = ? and r.as_of_date between ? and ?
            group by s.sli
            """,
            [product_id, start, end],
        )
        return {sli: SliCounts(int(g), int(b), int(u)) for sli, g, b, u in rows}

    def product_counts(self, product_id: str, window_days: int) -> SliCounts:
        """Runs in the window where the product was good, bad (any SLI breached) or unknown."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select count(*) filter (where p.status in ('met', 'at_risk')),
                   count(*) filter (where p.status = 'breached'),
                   count(*) filter (where p.status = 'unknown')
            from all_product_runs p join all_runs r using (invocation_id)
            where p.product_id = ? and r.as_of_date between ? and ?
            """,
            [product_id, start, end],
        )
        row = rows[0]
        return SliCounts(int(row[0]), int(row[1]), int(row[2]))

    def trend(self, product_id: str, window_days: int) -> list[TrendPoint]:
        """The product's runs in the window, oldest first, with each SLI's status."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select r.as_of_date, r.invocation_id, p.status, s.sli, s.status
            from all_product_runs p
            join all_runs r using (invocation_id)
            left join all_sli_results s on s.invocation_id = p.invocation_id and s.product_id = p.product_id
            where p.product_id = ? and r.as_of_date between ? and ?
            order by r.as_of, r.generated_at, r.invocation_id, s.sli
            """,
            [product_id, start, end],
        )
        points: dict[str, TrendPoint] = {}
        for day, inv, status, sli, sli_status in rows:
            point = points.setdefault(inv, TrendPoint(day, inv, status, {}))
            if sli is not None:
                point.slis[sli] = sli_status
        return list(points.values())

    def volume_baseline(
        self, product_id: str, runs: int, *, invocation_id: str, as_of: dt.datetime
    ) -> list[int]:
        """Row counts of the product in up to ``runs`` earlier runs (by as-of time), newest first."""
        rows = self._query(
            """
            select p.row_count
            from h.slo_product_runs p join h.slo_runs r using (invocation_id)
            where p.product_id = ? and p.row_count is not null
              and r.invocation_id <> ? and r.as_of < ?
            order by r.as_of desc, r.generated_at desc
            limit ?
            """,
            [product_id, invocation_id, _naive(as_of), runs],
        )
        return [int(r[0]) for r in rows]

    def previous_columns(
        self, product_id: str, *, invocation_id: str, as_of: dt.datetime
    ) -> tuple[str, dict[str, dict[str, str | None]]] | None:
        """The invocation and columns (relation -> column -> type) of the product's previous run."""
        rows = self._query(
            """
            select r.invocation_id, p.columns_json
            from h.slo_product_runs p join h.slo_runs r using (invocation_id)
            where p.product_id = ? and p.columns_json is not null
              and r.invocation_id <> ? and r.as_of <= ?
            order by r.as_of desc, r.generated_at desc
            limit 1
            """,
            [product_id, invocation_id, _naive(as_of)],
        )
        if not rows:
            return None
        row = rows[0]
        try:
            columns = json.loads(row[1])
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{self.path}: corrupt columns of {product_id} in run {row[0]}") from exc
        return str(row[0]), columns

    def runs_in_history(self) -> int:
        return int(self._query("select count(*) from h.slo_runs")[0][0])


@contextmanager
def read_history(path: Path) -> Iterator[HistoryReader]:
    """Open the history read-only; raises ``HistoryError`` (file untouched) if it is unreadable."""
    reader = HistoryReader(path)
    try:
        yield reader
    finally:
        reader.close()


def record_run(path: Path, run: RunRecord) -> None:
    """Replace the invocation's rows with ``run`` in one transaction (creating the file if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise HistoryError(f"{path}: cannot open the SLO history for writing ({first_line(exc)})") from exc
    try:
        con.execute("begin transaction")
        for ddl in _DDL:
            con.execute(ddl.format(db=""))
        con.execute("delete from slo_meta where key = 'schema_version'")
        con.execute("insert into slo_meta values ('schema_version', ?)", [SCHEMA_VERSION])
        for table in ("slo_sli_results", "slo_product_runs", "slo_runs"):
            con.execute(f"delete from {table} where invocation_id = ?", [run.invocation_id])
        _insert_run(con, "slo_", run, dt.datetime.now(dt.UTC))
        con.execute("commit")
        con.execute("checkpoint")
    except duckdb.Error as exc:
        with suppress(duckdb.Error):  # already rolled back
            con.execute("rollback")
        raise HistoryError(f"{path}: cannot record the run in the SLO history ({first_line(exc)})") from exc
    finally:
        con.close()


def _insert_run(
    con: duckdb.DuckDBPyConnection, prefix: str, run: RunRecord, recorded_at: dt.datetime
) -> None:
    con.execute(
        f"insert into {prefix}runs values (?, ?, ?, ?, ?, ?, ?)",
        [
            run.invocation_id,
            _naive(run.as_of),
            run.as_of_date,
            _naive(run.generated_at),
            run.project,
            run.overall_status,
            _naive(recorded_at),
        ],
    )
    product_rows = [
        [
            run.invocation_id,
            p.product_id,
            p.status,
            p.row_count,
            json.dumps(p.columns, sort_keys=True) if p.columns is not None else None,
        ]
        for p in run.products
    ]
    sli_rows = [
        [
            run.invocation_id,
            p.product_id,
            sli,
            r["status"],
            _finite(r.get("value")),
            r.get("unit"),
            json.dumps(r.get("target") or {}, sort_keys=True),
            r.get("reason"),
        ]
        for p in run.products
        for sli, r in p.slis.items()
    ]
    if product_rows:
        con.executemany(f"insert into {prefix}product_runs values (?, ?, ?, ?, ?)", product_rows)
    if sli_rows:
        con.executemany(f"insert into {prefix}sli_results values (?, ?, ?, ?, ?, ?, ?, ?)", sli_rows)


def _finite(value: Any) -> float | None:
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value
        and abs(value) != float("inf")
    ):
        return float(value)
    return None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
