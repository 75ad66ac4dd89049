"""The SLO history: every run's per-product SLI results in a DuckDB file beside (not inside) the warehouse.

Tables (one row per ...):

- ``slo_runs``: run (its record's run id, dbt invocation, as-of time and date, when the report was
  generated, overall status, whether it was partial and its selection);
- ``slo_product_runs``: run x product (its per-run status, row count, columns per relation as JSON);
- ``slo_sli_results``: run x product x SLI (status, value, unit, target and reason);
- ``slo_meta``: ``schema_version`` (2; a version 1 file, keyed by dbt invocation, is read as is and
  migrated in the transaction of its next recording).

Reading never writes: the file is attached read-only to an in-memory database, where the current run's rows
(not yet recorded) are unioned in, so that windows, budgets and trends including this run are plain SQL.
Recording replaces the run's own rows in one transaction (re-running ``dp report`` on the same run is
idempotent); a partial run replaces only its selected products' rows. Windows count one *effective* run per
product and as-of day: a complete run before a partial one, then the newest; so a partial run never
replaces or dilutes a complete run's rows. Days without any run of a product since its first recorded day
are *missed*. A file that is not a readable history raises ``HistoryError`` and is left as is. A renamed
product's rows recorded under its former ids (descriptor ``formerly``) are read as its own.
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

SCHEMA_VERSION = "2"
READABLE_VERSIONS = ("1", "2")

_DDL = (
    "create table if not exists {db}slo_meta (key varchar not null, value varchar)",
    """create table if not exists {db}slo_runs (
        run_id varchar not null, as_of timestamp not null, as_of_date date not null,
        generated_at timestamp not null, project varchar, overall_status varchar not null,
        recorded_at timestamp not null, dbt_invocation_id varchar, partial boolean not null default false,
        selection varchar)""",
    """create table if not exists {db}slo_product_runs (
        run_id varchar not null, product_id varchar not null, status varchar not null,
        row_count bigint, columns_json varchar)""",
    """create table if not exists {db}slo_sli_results (
        run_id varchar not null, product_id varchar not null, sli varchar not null,
        status varchar not null, value double, unit varchar, target_json varchar, reason varchar)""",
)
_RUN_COLUMNS = (
    "run_id, as_of, as_of_date, generated_at, project, overall_status, recorded_at, dbt_invocation_id, "
    "partial, selection"
)
# version 1 (keyed by dbt invocation) read as version 2
_V1_VIEWS = {
    "slo_runs": "select invocation_id as run_id, as_of, as_of_date, generated_at, project, overall_status, "
    "recorded_at, invocation_id as dbt_invocation_id, false as partial, null::varchar as selection "
    "from h.slo_runs",
    "slo_product_runs": "select invocation_id as run_id, product_id, status, row_count, columns_json "
    "from h.slo_product_runs",
    "slo_sli_results": "select invocation_id as run_id, product_id, sli, status, value, unit, target_json, "
    "reason from h.slo_sli_results",
}
_V1_MIGRATION = (
    "alter table slo_runs rename column invocation_id to run_id",
    "alter table slo_runs add column dbt_invocation_id varchar",
    "update slo_runs set dbt_invocation_id = run_id",
    "alter table slo_runs add column partial boolean default false",
    "update slo_runs set partial = false",
    "alter table slo_runs add column selection varchar",
    "alter table slo_product_runs rename column invocation_id to run_id",
    "alter table slo_sli_results rename column invocation_id to run_id",
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
    """One run's rows: ``run_id`` is its run record's id (docs/runs.md)."""

    run_id: str
    as_of: dt.datetime
    generated_at: dt.datetime
    project: str | None
    overall_status: str
    products: Sequence[ProductRecord] = field(default_factory=tuple)
    dbt_invocation_id: str | None = None
    partial: bool = False
    selection: Sequence[str] | None = None

    @property
    def as_of_date(self) -> dt.date:
        return self.as_of.date()


@dataclass(frozen=True)
class TrendPoint:
    date: dt.date
    run_id: str | None  # None: a missed run (no run of the product that day)
    status: str  # met | at_risk | unknown | breached | missed
    slis: dict[str, str]
    dbt_invocation_id: str | None = None


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

    def __init__(self, path: Path, formerly: Mapping[str, Sequence[str]] | None = None) -> None:
        self.path = path
        self.exists = path.is_file()
        self._current: RunRecord | None = None
        # a former product id -> the product's id now (``sales.fct_orders`` -> ``sales.orders``)
        self._renamed = {old: new for new, olds in (formerly or {}).items() for old in olds if old != new}
        self._con = duckdb.connect(":memory:")
        try:
            if self.exists:
                self._attach()
            else:
                self._con.execute("attach ':memory:' as h")
                for ddl in _DDL:
                    self._con.execute(ddl.format(db="h."))
                self._views("2")
        except BaseException:
            self._con.close()
            raise

    @property
    def current(self) -> RunRecord:
        if self._current is None:
            raise RuntimeError("set_current() first: windows include the current run")
        return self._current

    def _views(self, version: str) -> None:
        renamed = " ".join(f"when {_quote(old)} then {_quote(new)}" for old, new in self._renamed.items())
        for table in ("slo_runs", "slo_product_runs", "slo_sli_results"):
            body = _V1_VIEWS[table] if version == "1" else f"select * from h.{table}"
            if renamed and table != "slo_runs":
                new_id = f"case product_id {renamed} else product_id end"
                body = f"select * replace ({new_id} as product_id) from ({body})"
            self._con.execute(f"create temp view rec_{table[4:]} as {body}")

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
            if row is None or row[0] not in READABLE_VERSIONS:
                found = "none" if row is None else row[0]
                raise HistoryError(
                    f"{self.path}: SLO history schema version {found}, this dp reads "
                    f"{' and '.join(READABLE_VERSIONS)}"
                )
            self._views(row[0])
            # read every row once: a damaged file fails here, before anything is computed (the
            # history is small: one row per run x product x SLI)
            for table in ("runs", "product_runs", "sli_results"):
                self._con.execute(f"select * from rec_{table}").fetchall()
        except duckdb.Error as exc:
            raise HistoryError(f"{self.path}: SLO history unreadable ({first_line(exc)})") from exc

    def recorded_run(self, run_id: str) -> tuple[dt.date, bool] | None:
        """The as-of day and partial flag under which ``run_id`` was recorded, if it was."""
        rows = self._query("select as_of_date, partial from rec_runs where run_id = ?", [run_id])
        return (rows[0][0], bool(rows[0][1])) if rows else None

    def set_current(self, run: RunRecord) -> None:
        """Union the current run (not yet recorded) into every window, replacing its recorded rows (a
        partial run: only its products' rows)."""
        if self._current is not None:
            raise RuntimeError("the current run is already set")
        self._current = run
        con = self._con
        try:
            con.execute(
                "create temp table cur_runs as select * from rec_runs limit 0; "
                "create temp table cur_product_runs as select * from rec_product_runs limit 0; "
                "create temp table cur_sli_results as select * from rec_sli_results limit 0;"
            )
            recorded = self.recorded_run(run.run_id)
            merged = run.partial and recorded is not None
            _insert_run(con, "cur_", run, dt.datetime.now(dt.UTC), run_row=not merged)
            inv = _quote(run.run_id)
            products = ", ".join(_quote(p.product_id) for p in run.products) or "''"
            mine = f"run_id = {inv}" + (f" and product_id in ({products})" if run.partial else "")
            con.execute(
                "create temp view all_runs as select * from rec_runs"
                + (f" where run_id <> {inv}" if not merged else "")
                + " union all select * from cur_runs"
            )
            for table in ("product_runs", "sli_results"):
                con.execute(
                    f"create temp view all_{table} as select * from rec_{table} where not ({mine}) "
                    f"union all select * from cur_{table}"
                )
            # one effective run per product and as-of day: complete before partial, then the newest
            con.execute(
                """create temp view eff_product_runs as
                select * exclude (rn) from (
                    select p.*, r.as_of_date, r.as_of, r.generated_at, r.partial,
                           row_number() over (
                               partition by p.product_id, r.as_of_date
                               order by r.partial, r.as_of desc, r.generated_at desc, r.run_id desc) as rn
                    from all_product_runs p join all_runs r using (run_id))
                where rn = 1"""
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

    def missed_days(self, product_id: str, window_days: int) -> list[dt.date]:
        """Days in the window, since the product's first recorded day, on which no run judged it."""
        start, end = self._window(window_days)
        rows = self._query(
            "select min(as_of_date) from eff_product_runs where product_id = ?",
            [product_id],
        )
        first = rows[0][0] if rows and rows[0][0] is not None else end
        seen = {
            r[0]
            for r in self._query(
                "select as_of_date from eff_product_runs where product_id = ? and as_of_date between ? and ?",
                [product_id, start, end],
            )
        }
        day, missed = max(start, first), []
        while day <= end:
            if day not in seen:
                missed.append(day)
            day += dt.timedelta(days=1)
        return missed

    def sli_counts(self, product_id: str, window_days: int) -> dict[str, SliCounts]:
        """Per SLI: good (met, at_risk), bad (breached) and unknown effective runs in the window ending at
        the as-of day (missed days are not included: see ``missed_days``)."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select s.sli,
                   count(*) filter (where s.status in ('met', 'at_risk')),
                   count(*) filter (where s.status = 'breached'),
                   count(*) filter (where s.status = 'unknown')
            from all_sli_results s join eff_product_runs e using (run_id, product_id)
            where s.product_id = ? and e.as_of_date between ? and ?
            group by s.sli
            """,
            [product_id, start, end],
        )
        return {sli: SliCounts(int(g), int(b), int(u)) for sli, g, b, u in rows}

    def product_counts(self, product_id: str, window_days: int) -> SliCounts:
        """Effective runs in the window where the product was good, bad (any SLI breached) or unknown."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select count(*) filter (where status in ('met', 'at_risk')),
                   count(*) filter (where status = 'breached'),
                   count(*) filter (where status = 'unknown')
            from eff_product_runs
            where product_id = ? and as_of_date between ? and ?
            """,
            [product_id, start, end],
        )
        row = rows[0]
        return SliCounts(int(row[0]), int(row[1]), int(row[2]))

    def trend(self, product_id: str, window_days: int) -> list[TrendPoint]:
        """The product's effective runs and missed days in the window, oldest first."""
        start, end = self._window(window_days)
        rows = self._query(
            """
            select e.as_of_date, e.run_id, e.status, s.sli, s.status, r.dbt_invocation_id
            from eff_product_runs e
            join all_runs r using (run_id)
            left join all_sli_results s on s.run_id = e.run_id and s.product_id = e.product_id
            where e.product_id = ? and e.as_of_date between ? and ?
            order by e.as_of, e.generated_at, e.run_id, s.sli
            """,
            [product_id, start, end],
        )
        points: dict[str, TrendPoint] = {}
        for day, run_id, status, sli, sli_status, inv in rows:
            point = points.setdefault(run_id, TrendPoint(day, run_id, status, {}, inv))
            if sli is not None:
                point.slis[sli] = sli_status
        missed = [TrendPoint(day, None, "missed", {}) for day in self.missed_days(product_id, window_days)]
        return sorted([*points.values(), *missed], key=lambda p: p.date)

    def volume_baseline(self, product_id: str, runs: int, *, run_id: str, as_of: dt.datetime) -> list[int]:
        """Row counts of the product in up to ``runs`` earlier runs (by as-of time), newest first."""
        rows = self._query(
            """
            select p.row_count
            from rec_product_runs p join rec_runs r using (run_id)
            where p.product_id = ? and p.row_count is not null
              and r.run_id <> ? and r.as_of < ?
            order by r.as_of desc, r.partial, r.generated_at desc
            limit ?
            """,
            [product_id, run_id, _naive(as_of), runs],
        )
        return [int(r[0]) for r in rows]

    def previous_columns(
        self, product_id: str, *, run_id: str, as_of: dt.datetime
    ) -> tuple[str, dict[str, dict[str, str | None]]] | None:
        """The run id and columns (relation -> column -> type) of the product's previous run."""
        rows = self._query(
            """
            select r.run_id, p.columns_json
            from rec_product_runs p join rec_runs r using (run_id)
            where p.product_id = ? and p.columns_json is not null
              and r.run_id <> ? and r.as_of <= ?
            order by r.as_of desc, r.generated_at desc
            limit 1
            """,
            [product_id, run_id, _naive(as_of)],
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
        return int(self._query("select count(*) from rec_runs")[0][0])


@contextmanager
def read_history(path: Path, formerly: Mapping[str, Sequence[str]] | None = None) -> Iterator[HistoryReader]:
    """Open the history read-only; raises ``HistoryError`` (file untouched) if it is unreadable. ``formerly``
    maps a product id to the ids it had before a rename, whose rows are read as the product's."""
    reader = HistoryReader(path, formerly)
    try:
        yield reader
    finally:
        reader.close()


class CheckpointError(HistoryError):
    """The run was committed to the history, but the checkpoint that follows failed: the run *is*
    recorded (DuckDB replays its write-ahead log on the next open)."""


def record_run(path: Path, run: RunRecord) -> None:
    """Record ``run`` in one transaction (creating the file if needed): its own rows are replaced; a partial
    run replaces only its products' rows. A run already recorded under another as-of day is refused."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"{path.parent}: cannot create the SLO history folder ({exc.strerror})") from exc
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise HistoryError(f"{path}: cannot open the SLO history for writing ({first_line(exc)})") from exc
    try:
        try:
            con.execute("begin transaction")
            for ddl in _DDL[:1]:
                con.execute(ddl.format(db=""))
            version = con.execute("select value from slo_meta where key = 'schema_version'").fetchone()
            if version is not None and version[0] == "1":
                for statement in _V1_MIGRATION:
                    con.execute(statement)
            elif version is not None and version[0] != SCHEMA_VERSION:
                raise HistoryError(
                    f"{path}: SLO history schema version {version[0]}, this dp writes {SCHEMA_VERSION}"
                )
            for ddl in _DDL[1:]:
                con.execute(ddl.format(db=""))
            con.execute("delete from slo_meta where key = 'schema_version'")
            con.execute("insert into slo_meta values ('schema_version', ?)", [SCHEMA_VERSION])
            existing = con.execute(
                "select as_of_date, partial from slo_runs where run_id = ?", [run.run_id]
            ).fetchone()
            if existing is not None and existing[0] != run.as_of_date:
                raise HistoryError(
                    f"{path}: run {run.run_id} is recorded for as-of day {existing[0]}, not {run.as_of_date}"
                )
            merged = run.partial and existing is not None
            if merged:
                ids = [p.product_id for p in run.products]
                for table in ("slo_sli_results", "slo_product_runs"):
                    con.execute(
                        f"delete from {table} where run_id = ? and list_contains(?, product_id)",
                        [run.run_id, ids],
                    )
            else:
                for table in ("slo_sli_results", "slo_product_runs", "slo_runs"):
                    con.execute(f"delete from {table} where run_id = ?", [run.run_id])
            _insert_run(con, "slo_", run, dt.datetime.now(dt.UTC), run_row=not merged)
            con.execute("commit")
        except duckdb.Error as exc:
            with suppress(duckdb.Error):  # already rolled back
                con.execute("rollback")
            raise HistoryError(
                f"{path}: cannot record the run in the SLO history ({first_line(exc)})"
            ) from exc
        except BaseException:
            with suppress(duckdb.Error):
                con.execute("rollback")
            raise
        try:
            con.execute("checkpoint")
        except duckdb.Error as exc:
            raise CheckpointError(
                f"{path}: run {run.run_id} is recorded, but the checkpoint after it failed "
                f"({first_line(exc)}); the next command replays it from {path.name}.wal"
            ) from exc
    finally:
        with suppress(duckdb.Error):
            con.close()


def _insert_run(
    con: duckdb.DuckDBPyConnection,
    prefix: str,
    run: RunRecord,
    recorded_at: dt.datetime,
    *,
    run_row: bool = True,
) -> None:
    if run_row:
        con.execute(
            f"insert into {prefix}runs ({_RUN_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                _naive(run.as_of),
                run.as_of_date,
                _naive(run.generated_at),
                run.project,
                run.overall_status,
                _naive(recorded_at),
                run.dbt_invocation_id,
                run.partial,
                json.dumps(list(run.selection)) if run.selection is not None else None,
            ],
        )
    product_rows = [
        [
            run.run_id,
            p.product_id,
            p.status,
            p.row_count,
            json.dumps(p.columns, sort_keys=True) if p.columns is not None else None,
        ]
        for p in run.products
    ]
    sli_rows = [
        [
            run.run_id,
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
