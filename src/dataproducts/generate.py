"""Deterministic landing data for the three source systems (CRM, web shop, telemetry).

Everything is set-based DuckDB SQL: rows come from ``range()`` and pseudo-random numbers are hashes of
(row key, salt, seed), so a given ``seed``/``scale``/``as_of`` always yields the same data, whatever the
number of threads. The schemas ``raw_crm``, ``raw_shop`` and ``raw_telemetry`` are replaced in one
transaction: a failed run leaves the previous landing data as it was. The SQL is package data in
``dataproducts/sql/generate/``, run with prepared-statement parameters. See ``docs/landing.md``.
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

FAULTS: dict[str, str] = {
    "late": "the feed stalled 3 days before the as-of day",
    "nulls": "a burst of NULL customer_id in raw_shop.orders on the last data day",
    "duplicates": "CRM re-registers customers; the shop double-submits orders",
    "schema_drift": "raw_crm.customers.signup_date arrives as VARCHAR (DD/MM/YYYY)",
    "volume_drop": "only 10% of the last data day's orders and requests arrive",
}

RAW_SCHEMAS = ("raw_crm", "raw_shop", "raw_telemetry")

ORDER_DAYS = 730  # orders cover the two years before the as-of day
SIGNUP_DAYS = 1095  # customers signed up over the three years before the as-of day
TELEMETRY_DAYS = 30  # request logs are kept for 30 days
LATE_DAYS = 3  # the `late` fault stops the feed this many days before the as-of day
MAX_SCALE = 1000.0


@dataclass(frozen=True)
class GenerateResult:
    warehouse: Path
    as_of: dt.date
    scale: float
    seed: int
    faults: tuple[str, ...]
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{name} {count:,}" for name, count in self.row_counts.items())
        faults = ",".join(self.faults) or "none"
        return (
            f"generated landing data as of {self.as_of} (scale {self.scale:g}, seed {self.seed}, "
            f"faults {faults}) in {self.seconds:.1f}s into {self.warehouse}: {counts}"
        )


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


def generate(
    warehouse: Path,
    *,
    scale: float = 1.0,
    seed: int = 42,
    as_of: dt.date,
    faults: Iterable[str] = (),
) -> GenerateResult:
    """Write the landing schemas into ``warehouse`` (created if missing) and return what was written."""
    _check_options(scale, seed)
    fault_set = parse_faults(list(faults))
    started = time.perf_counter()
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(warehouse))
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {warehouse} for writing: {first_line(exc)}") from exc
    try:
        con.execute("begin transaction")
        for statement, params in _statements(scale=scale, seed=seed, as_of=as_of, faults=fault_set):
            con.execute(statement, params)
        counts = _row_counts(con)
        con.execute("commit")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise WarehouseError(f"generating landing data into {warehouse} failed: {first_line(exc)}") from exc
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
    )


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


# The generator's SQL: one script per landing table, then one per fault, in this order (package data, linted
# by sqlfluff). Every value is a DuckDB prepared-statement parameter ($name); only the schema and table names
# are written in the scripts, as DuckDB cannot take an identifier as a parameter.
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
)
_FAULT_ORDER = ("late", "volume_drop", "duplicates", "nulls", "schema_drift")


def _script(name: str) -> str:
    return (resources.files("dataproducts") / "sql" / "generate" / f"{name}.sql").read_text(encoding="utf-8")


def _parameters(*, scale: float, seed: int, as_of: dt.date) -> dict[str, object]:
    n_orders = max(round(100_000 * scale), 2 * ORDER_DAYS)  # at least two orders every day
    n_requests = max(round(300_000 * scale), 300)
    return {
        "as_of": as_of,
        "seed": seed,
        "n_customers": max(round(25_000 * scale), 20),
        "n_orders": n_orders,
        "n_requests": n_requests,
        "n_products": 500,
        "n_background_errors": max(n_requests // 500, 1),
        "daily_orders_target": max(round(n_orders / ORDER_DAYS), 1) * 0.8,
        "order_days": ORDER_DAYS,
        "signup_days": SIGNUP_DAYS,
        "telemetry_days": TELEMETRY_DAYS,
        "late_days": LATE_DAYS,
    }


def _statements(
    *, scale: float, seed: int, as_of: dt.date, faults: tuple[str, ...]
) -> list[tuple[str, dict[str, object]]]:
    """Each statement of the scripts to run, in order, with the parameters it names."""
    params = _parameters(scale=scale, seed=seed, as_of=as_of)
    scripts = [*_TABLE_SCRIPTS, *(f"fault_{name}" for name in _FAULT_ORDER if name in faults)]
    return [
        (statement.query, {name: params[name] for name in statement.named_parameters})
        for script in scripts
        for statement in duckdb.extract_statements(_script(script))
    ]
