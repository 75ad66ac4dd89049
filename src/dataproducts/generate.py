"""Deterministic landing data for the three source systems (CRM, web shop, telemetry), growing day by day.

Everything is set-based DuckDB SQL: rows come from ``range()`` and pseudo-random numbers are hashes of
(row key, salt, seed), so the landing area is a pure function of (seed, scale, origin, as-of day), whatever
the number of threads. The *origin* is the first order day; every event (an order, its status changes and
payments, a sign-up, a request, an error) falls on a day fixed by its key, and the landing area as of day A
(*state(A)*) holds what had landed by then, each row's ``_loaded_at`` on the day its current version landed.

A fresh generate replaces the schemas ``raw_crm``, ``raw_shop``, ``raw_telemetry`` and ``raw_meta`` with
state(A). ``append=True`` brings the landing area from its recorded as-of day P to A: rows of state(A) that
are missing are inserted (loaded on A when they should have landed by P: late arrivals), changed order
statuses updated, the daily extracts loaded again; only the keys of events from 20 days before P on (5 days
for telemetry) are computed, so an append costs about a day of data. Both run the same scripts, one
transaction each: a failed run leaves the landing area as it was. Faults are applied after the day's data. The SQL is package
data in ``dataproducts/sql/generate/``, run with prepared-statement parameters. See ``docs/landing.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from dataproducts.errors import UsageError, WarehouseError, first_line
from dataproducts.warehouse import memory_limit

FAULTS: dict[str, str] = {
    "late": "the feed stalled 3 days before the as-of day: the last 3 days' rows arrive with the next append",
    "nulls": "a burst of NULL customer_id in raw_shop.orders on the last data day (never repaired)",
    "duplicates": "CRM re-registers customers; the shop double-submits orders (keys from 1 000 000 000 up)",
    "schema_drift": "raw_crm.customers.signup_date arrives as VARCHAR (DD/MM/YYYY) until the next append",
    "volume_drop": "only 10% of the last data day's orders and requests arrive; the rest with the next append",
}

RAW_SCHEMAS = ("raw_crm", "raw_shop", "raw_telemetry")
STATE_TABLE = "raw_meta.landing_state"
GENERATOR_VERSION = 2  # the time model of raw_meta.landing_state; an append refuses another version

ORDER_DAYS = 730  # n_orders orders every 730 days; a fresh generate starts them 730 days before as-of
SIGNUP_DAYS = 1095  # n_customers sign-ups every 1095 days, from 365 days before the origin
SIGNUP_LEAD_DAYS = 365  # customers start signing up this many days before the first order
TELEMETRY_DAYS = 30  # n_requests requests every 30 days ...
TELEMETRY_START_DAYS = 700  # ... from this many days after the origin (30 days before the default as-of)
LATE_DAYS = 3  # the `late` fault stops the feed this many days before the as-of day
# An append recomputes the events from some days before the recorded as-of day P on: an order, its lines and
# payments from P - 20 (a status changes within 15 days of the order; `late` holds 3 days back), a request or
# an error event from P - 5 (it never changes; only the last 3 days can be held back).
ORDER_WINDOW_DAYS = 20
TELEMETRY_WINDOW_DAYS = LATE_DAYS + 2
MAX_HISTORY_DAYS = 3650  # --history-start at most ten years before --as-of
DUPLICATE_OFFSET = 1_000_000_000  # the `duplicates` fault's keys: the original's key plus this
BACKGROUND_OFFSET = 1_000_000_000_000  # background error k has error_id BACKGROUND_OFFSET + k
MAX_ORDERS = DUPLICATE_OFFSET // 4  # order_item_id = 4 * order_id at most stays below the duplicates' keys
MAX_SCALE = 1000.0
DEFAULT_SCALE = 1.0
DEFAULT_SEED = 42


@dataclass(frozen=True)
class GenerateResult:
    warehouse: Path
    as_of: dt.date
    scale: float
    seed: int
    faults: tuple[str, ...]
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    origin: dt.date | None = None
    previous_as_of: dt.date | None = None  # the recorded as-of day an append started from; None when fresh
    row_changes: dict[str, int] = field(default_factory=dict)  # per table, rows after minus rows before

    @property
    def appended(self) -> bool:
        return self.previous_as_of is not None

    def summary(self) -> str:
        faults = ",".join(self.faults) or "none"
        options = f"origin {self.origin}, scale {self.scale:g}, seed {self.seed}, faults {faults}"
        if self.previous_as_of is None:
            counts = ", ".join(f"{name} {count:,}" for name, count in self.row_counts.items())
            return (
                f"generated landing data as of {self.as_of} ({options}) in {self.seconds:.1f}s "
                f"into {self.warehouse}: {counts}"
            )
        counts = ", ".join(
            f"{name} {count:,} ({self.row_changes.get(name, 0):+,})"
            for name, count in self.row_counts.items()
        )
        return (
            f"appended landing data from {self.previous_as_of} to {self.as_of} ({options}) in "
            f"{self.seconds:.1f}s into {self.warehouse}: {counts}"
        )


@dataclass(frozen=True)
class LandingState:
    """``raw_meta.landing_state``: what the landing area is (the same however it was produced)."""

    origin: dt.date
    as_of: dt.date
    seed: int
    scale: float
    generator_version: int


def parse_faults(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Parse ``late,nulls`` into a tuple of known fault names; unknown names are a usage error."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    faults: list[str] = []
    for item in items:
        name = item.strip()
        if not name:
            continue
        if name not in FAULTS:
            known = ", ".join(FAULTS)
            raise UsageError(f"unknown fault {name!r} for --inject (known: {known})")
        if name not in faults:
            faults.append(name)
    return tuple(faults)


def _check_options(scale: float, seed: int) -> None:
    if not scale > 0 or scale > MAX_SCALE or scale != scale:
        raise UsageError(f"--scale must be a number above 0 and at most {MAX_SCALE:g}, got {scale!r}")
    if seed < 0 or seed >= 2**31:
        raise UsageError(f"--seed must be between 0 and {2**31 - 1}, got {seed}")


def _check_history(origin: dt.date, as_of: dt.date) -> None:
    if origin >= as_of:
        raise UsageError(f"--history-start {origin} must be before --as-of {as_of}")
    if (as_of - origin).days > MAX_HISTORY_DAYS:
        raise UsageError(
            f"--history-start {origin} is {(as_of - origin).days} days before --as-of {as_of}; "
            f"at most {MAX_HISTORY_DAYS}"
        )


@dataclass(frozen=True)
class _Volumes:
    """Event rates at a scale: each a count per period, spread evenly from a start day."""

    n_orders: int  # per ORDER_DAYS, from the origin
    n_customers: int  # per SIGNUP_DAYS, from SIGNUP_LEAD_DAYS before the origin
    n_requests: int  # per TELEMETRY_DAYS, from TELEMETRY_START_DAYS after the origin
    n_background_errors: int  # likewise

    @classmethod
    def at(cls, scale: float) -> _Volumes:
        n_requests = max(round(300_000 * scale), 300)
        return cls(
            n_orders=max(round(100_000 * scale), 2 * ORDER_DAYS),  # at least two orders every day
            n_customers=max(round(25_000 * scale), 20),
            n_requests=n_requests,
            n_background_errors=max(n_requests // 500, 1),
        )


def _events_before(day: dt.date, start: dt.date, n: int, period_days: int) -> int:
    """How many of n events per period, event i at start + (i - 1) * period // n, fall before ``day``:
    ceil((day - start) * n / period) in integer arithmetic, 0 before the start."""
    days = (day - start).days
    return -(-days * n // period_days) if days > 0 else 0


@dataclass(frozen=True)
class _Plan:
    """One run: the time model's days, the key windows to compute and what an existing row becomes."""

    as_of: dt.date  # the load day (the day a late arrival lands)
    state_as_of: dt.date  # the day whose state the landing tables are brought to (as_of - 3 under `late`)
    previous: dt.date  # versions that should have landed by this day but are missing arrive late
    append: bool  # the landing tables hold data: update what changed
    reset: bool  # set the windows back to exactly state(state_as_of): withdraw what landed since
    window_from: dt.date | None  # the recorded as-of day the windows are counted back from (None: all keys)
    origin: dt.date
    seed: int
    scale: float


def _parameters(plan: _Plan) -> dict[str, object]:
    v = _Volumes.at(plan.scale)
    origin, state = plan.origin, plan.state_as_of
    signup_start = origin - dt.timedelta(days=SIGNUP_LEAD_DAYS)
    telemetry_start = origin + dt.timedelta(days=TELEMETRY_START_DAYS)

    def lowest(first_day: dt.date, n: int, period: int, window_days: int) -> int:
        """The first key of a window: the first event on or after window_days before the recorded day."""
        if plan.window_from is None:
            return 1
        return _events_before(plan.window_from - dt.timedelta(days=window_days), first_day, n, period) + 1

    params: dict[str, object] = {
        "as_of": plan.as_of,
        "state_as_of": state,
        "previous": plan.previous,
        "append": plan.append,
        "reset": plan.reset,
        "origin": origin,
        "seed": plan.seed,
        "scale": plan.scale,
        "generator_version": GENERATOR_VERSION,
        "signup_start": signup_start,
        "telemetry_start": dt.datetime.combine(telemetry_start, dt.time()),
        "n_customers": v.n_customers,
        "n_orders": v.n_orders,
        "n_requests": v.n_requests,
        "n_products": 500,
        "n_background_errors": v.n_background_errors,
        "daily_orders_target": max(round(v.n_orders / ORDER_DAYS), 1) * 0.8,
        "order_days": ORDER_DAYS,
        "signup_days": SIGNUP_DAYS,
        "telemetry_days": TELEMETRY_DAYS,
        "duplicate_offset": DUPLICATE_OFFSET,
        "background_offset": BACKGROUND_OFFSET,
        "customer_lo": lowest(signup_start, v.n_customers, SIGNUP_DAYS, ORDER_WINDOW_DAYS),
        "customer_hi": _events_before(state, signup_start, v.n_customers, SIGNUP_DAYS),
        "order_lo": lowest(origin, v.n_orders, ORDER_DAYS, ORDER_WINDOW_DAYS),
        "order_hi": _events_before(state, origin, v.n_orders, ORDER_DAYS),
        "request_lo": lowest(telemetry_start, v.n_requests, TELEMETRY_DAYS, TELEMETRY_WINDOW_DAYS),
        "request_hi": _events_before(state, telemetry_start, v.n_requests, TELEMETRY_DAYS),
        # background error k happens anywhere in its slot, up to 30 days long at the smallest scales
        "background_lo": lowest(
            telemetry_start, v.n_background_errors, TELEMETRY_DAYS, TELEMETRY_WINDOW_DAYS + TELEMETRY_DAYS
        ),
        "background_hi": _events_before(state, telemetry_start, v.n_background_errors, TELEMETRY_DAYS),
    }
    # the macros read the same values from a session variable (a macro cannot hold a parameter)
    return {**params, "run": dict(params)}


def _check_keys(scale: float, origin: dt.date, as_of: dt.date) -> None:
    orders = _events_before(as_of, origin, _Volumes.at(scale).n_orders, ORDER_DAYS)
    if orders > MAX_ORDERS:
        raise UsageError(
            f"--scale {scale:g} from {origin} to {as_of} means {orders:,} orders; the INTEGER keys below "
            f"the duplicates' key space allow {MAX_ORDERS:,}: use a smaller --scale or a later --history-start"
        )


def generate(
    warehouse: Path,
    *,
    scale: float | None = None,
    seed: int | None = None,
    as_of: dt.date,
    faults: Iterable[str] = (),
    append: bool = False,
    history_start: dt.date | None = None,
) -> GenerateResult:
    """Write the landing area as of ``as_of`` into ``warehouse`` (created if missing) and say what it holds.

    Fresh (the default): replace the landing schemas; ``scale`` and ``seed`` default to 1 and 42, the origin
    to 730 days before ``as_of``. ``append=True``: grow the recorded landing area to ``as_of``; ``scale``,
    ``seed`` and ``history_start`` default to the recorded ones and must equal them when given.
    """
    fault_set = parse_faults(list(faults))
    warehouse = Path(warehouse)
    if append:
        if not warehouse.is_file():
            raise UsageError(
                f"dp generate --append: no landing data in {warehouse} (no warehouse file); "
                "run dp generate without --append first"
            )
        if scale is not None or seed is not None:
            _check_options(DEFAULT_SCALE if scale is None else scale, DEFAULT_SEED if seed is None else seed)
    else:
        scale = DEFAULT_SCALE if scale is None else scale
        seed = DEFAULT_SEED if seed is None else seed
        _check_options(scale, seed)
        origin = history_start or as_of - dt.timedelta(days=ORDER_DAYS)
        _check_history(origin, as_of)
        _check_keys(scale, origin, as_of)
    started = time.perf_counter()
    limit = memory_limit()  # DP_MEMORY_LIMIT, as for every connection of the project
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(warehouse))
        if limit is not None:
            con.execute(f"set memory_limit = '{limit}'")
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {warehouse} for writing: {first_line(exc)}") from exc
    try:
        con.execute("begin transaction")
        before: dict[str, int] = {}
        previous_as_of: dt.date | None = None
        if append:
            recorded = _read_state(con, warehouse)
            _check_append(
                recorded, warehouse, as_of=as_of, scale=scale, seed=seed, history_start=history_start
            )
            scale, seed, origin = recorded.scale, recorded.seed, recorded.origin
            previous_as_of = recorded.as_of
            _check_keys(scale, origin, as_of)
            before = _row_counts(con)
            plan = _append_plan(recorded, as_of, fault_set)
            scripts = _append_scripts(fault_set, drifted=_signup_date_drifted(con))
        else:
            assert scale is not None and seed is not None
            plan = _fresh_plan(origin, as_of, fault_set, scale=scale, seed=seed)
            scripts = _fresh_scripts(fault_set)
        for statement, params in _statements(scripts, _parameters(plan)):
            con.execute(statement, params)
        counts = _row_counts(con)
        con.execute("commit")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        verb = "appending" if append else "generating"
        raise WarehouseError(f"{verb} landing data into {warehouse} failed: {first_line(exc)}") from exc
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise
    finally:
        con.close()
    return GenerateResult(
        warehouse=warehouse,
        as_of=as_of,
        scale=scale,
        seed=seed,
        faults=fault_set,
        row_counts=counts,
        seconds=time.perf_counter() - started,
        origin=origin,
        previous_as_of=previous_as_of,
        row_changes={name: count - before.get(name, 0) for name, count in counts.items()} if append else {},
    )


def _fresh_plan(
    origin: dt.date, as_of: dt.date, faults: tuple[str, ...], *, scale: float, seed: int
) -> _Plan:
    state_as_of = as_of - dt.timedelta(days=LATE_DAYS) if "late" in faults else as_of
    return _Plan(
        as_of=as_of,
        state_as_of=state_as_of,
        previous=origin - dt.timedelta(days=1),  # nothing is late: every version lands on its own day
        append=False,
        reset=False,
        window_from=None,
        origin=origin,
        seed=seed,
        scale=scale,
    )


def _append_plan(recorded: LandingState, as_of: dt.date, faults: tuple[str, ...]) -> _Plan:
    late = "late" in faults
    return _Plan(
        as_of=as_of,
        # `late` sets the windows back to exactly state(as_of - 3): what landed since is withdrawn
        state_as_of=as_of - dt.timedelta(days=LATE_DAYS) if late else as_of,
        previous=recorded.origin - dt.timedelta(days=1) if late else recorded.as_of,
        append=True,
        reset=late,
        window_from=recorded.as_of,
        origin=recorded.origin,
        seed=recorded.seed,
        scale=recorded.scale,
    )


def _read_state(con: duckdb.DuckDBPyConnection, warehouse: Path) -> LandingState:
    found = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_meta' and table_name = 'landing_state'"
    ).fetchone()
    row = (
        con.execute(
            "select origin, as_of, seed, scale, generator_version from raw_meta.landing_state"
        ).fetchall()
        if found and found[0]
        else []
    )
    if len(row) != 1:
        raise UsageError(
            f"dp generate --append: no landing data in {warehouse} ({STATE_TABLE} is missing); "
            "run dp generate without --append first"
        )
    origin, recorded_as_of, seed, scale, version = row[0]
    if version != GENERATOR_VERSION:
        raise UsageError(
            f"dp generate --append: the landing data in {warehouse} (as of {recorded_as_of}) was written by "
            f"generator version {version}, this is version {GENERATOR_VERSION}; run dp generate without --append"
        )
    return LandingState(
        origin=origin, as_of=recorded_as_of, seed=int(seed), scale=float(scale), generator_version=version
    )


def _check_append(
    recorded: LandingState,
    warehouse: Path,
    *,
    as_of: dt.date,
    scale: float | None,
    seed: int | None,
    history_start: dt.date | None,
) -> None:
    if as_of <= recorded.as_of:
        raise UsageError(
            f"dp generate --append: --as-of {as_of} is not after the landing data in {warehouse}, "
            f"which is as of {recorded.as_of}"
        )
    given: tuple[tuple[str, object, object], ...] = (
        ("--scale", scale, recorded.scale),
        ("--seed", seed, recorded.seed),
        ("--history-start", history_start, recorded.origin),
    )
    for option, value, kept in given:
        if value is not None and value != kept:
            shown = f"{value:g}" if isinstance(value, float) else value
            kept_shown = f"{kept:g}" if isinstance(kept, float) else kept
            raise UsageError(
                f"dp generate --append: {option} {shown} differs from the landing data's {kept_shown} in "
                f"{warehouse}; an append keeps the recorded scale, seed and origin"
            )


def _signup_date_drifted(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select data_type from information_schema.columns where table_schema = 'raw_crm' "
        "and table_name = 'customers' and column_name = 'signup_date'"
    ).fetchone()
    return bool(row) and row is not None and row[0] == "VARCHAR"


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw_crm', 'raw_shop', 'raw_telemetry') order by 1"
    ).fetchall()
    counts: dict[str, int] = {}
    for (name,) in rows:  # a table name cannot be a parameter; these come from the catalog, not from input
        result = con.execute(f"select count(*) from {name}").fetchone()
        counts[name] = int(result[0]) if result else 0
    return counts


# The generator's SQL (package data, linted by sqlfluff). A fresh generate creates the empty landing tables;
# an append first gives signup_date its type back when the schema_drift fault had changed it. Then both run
# one script per landing table, the landing state, and one script per fault, in this order. The `late` fault
# has no script of its own: it is the day built as of 3 days earlier, with the windows set back to that day.
# Every value is a DuckDB prepared-statement parameter ($name); only the schema and table names are written in
# the scripts, as DuckDB cannot take an identifier as a parameter.
_TABLE_SCRIPTS = (
    "setup",
    "crm_customers",
    "shop_products",
    "shop_exchange_rates",
    "shop_orders",
    "shop_order_items",
    "shop_payments",
    "telemetry_request_logs",
    "telemetry_error_events",
    "telemetry_kpi_targets",
    "landing_state",
)
_FAULT_ORDER = ("late", "volume_drop", "duplicates", "nulls", "schema_drift")
_FAULTS_IN_PARAMETERS = ("late",)


def _fault_scripts(faults: tuple[str, ...]) -> list[str]:
    return [f"fault_{name}" for name in _FAULT_ORDER if name in faults and name not in _FAULTS_IN_PARAMETERS]


def _fresh_scripts(faults: tuple[str, ...]) -> list[str]:
    return ["landing_tables", *_TABLE_SCRIPTS, *_fault_scripts(faults)]


def _append_scripts(faults: tuple[str, ...], *, drifted: bool) -> list[str]:
    return [*(["restore_signup_date"] if drifted else []), *_TABLE_SCRIPTS, *_fault_scripts(faults)]


def _script(name: str) -> str:
    return (resources.files("dataproducts") / "sql" / "generate" / f"{name}.sql").read_text(encoding="utf-8")


def _statements(scripts: Iterable[str], params: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    """Each statement of the scripts to run, in order, with the parameters it names."""
    return [
        (statement.query, {name: params[name] for name in statement.named_parameters})
        for script in scripts
        for statement in duckdb.extract_statements(_script(script))
    ]
