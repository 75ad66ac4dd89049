"""The landing data generator on real DuckDB: determinism, scale, the time model, appends and every fault."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dataproducts.errors import UsageError, WarehouseError
from dataproducts.generate import DUPLICATE_OFFSET, FAULTS, generate, parse_faults

AS_OF = dt.date(2026, 11, 20)
LAST_DAY = AS_OF - dt.timedelta(days=1)
ORIGIN = AS_OF - dt.timedelta(days=730)  # a fresh generate's default origin
DAYS = 7  # the day-by-day history: a fresh generate at AS_OF, then 7 appends


def _day(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


def _gen(tmp_path: Path, name: str = "w", **kwargs: object) -> Path:
    path = tmp_path / f"{name}.duckdb"
    options: dict = {"scale": 0.02, "seed": 3, "as_of": AS_OF, **kwargs}
    generate(path, **options)
    return path


def _append(path: Path, day: dt.date, **kwargs: Any) -> Path:
    generate(path, as_of=day, append=True, **kwargs)
    return path


def _copy(path: Path, target: Path) -> Path:
    shutil.copyfile(path, target)
    return target


def _q(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _one(path: Path, sql: str):
    return _q(path, sql)[0][0]


@contextlib.contextmanager
def _both(a: Path, b: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection with ``a`` and ``b`` attached (read-only) as ``a`` and ``b``."""
    with duckdb.connect() as con:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        yield con


def _row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row


TABLES = [
    "raw_crm.customers",
    "raw_shop.products",
    "raw_shop.orders",
    "raw_shop.order_items",
    "raw_shop.payments",
    "raw_shop.exchange_rates",
    "raw_telemetry.request_logs",
    "raw_telemetry.error_events",
    "raw_telemetry.kpi_targets",
]
KEYS = {
    "raw_crm.customers": "customer_id",
    "raw_shop.products": "product_id",
    "raw_shop.orders": "order_id",
    "raw_shop.order_items": "order_item_id",
    "raw_shop.payments": "payment_id",
    "raw_shop.exchange_rates": "currency_code",
    "raw_telemetry.request_logs": "request_id",
    "raw_telemetry.error_events": "error_id",
    "raw_telemetry.kpi_targets": "kpi_name",
}
EXTRACTS = ["raw_crm.customers", "raw_shop.products", "raw_shop.exchange_rates", "raw_telemetry.kpi_targets"]


def _fingerprint(path: Path) -> dict[str, tuple]:
    out = {}
    for table in TABLES:
        out[table] = _q(path, f"select count(*), sum(hash(t)) from {table} as t")[0]
    return out


def _differences(a: Path, b: Path, tables: list[str] | None = None, exclude: str = "") -> dict[str, tuple]:
    """Per table, (rows of a not in b, rows of b not in a) by EXCEPT ALL, and both row counts: only tables
    that differ. ``exclude``: columns left out of the comparison (``* exclude (...)``)."""
    columns = f"* exclude ({exclude})" if exclude else "*"
    out = {}
    with _both(a, b) as con:
        for table in tables or [*TABLES, "raw_meta.landing_state"]:
            a_only, b_only, a_rows, b_rows = _row(
                con,
                f"select (select count(*) from (select {columns} from a.{table} except all "
                f"select {columns} from b.{table})), (select count(*) from (select {columns} from b.{table} "
                f"except all select {columns} from a.{table})), "
                f"(select count(*) from a.{table}), (select count(*) from b.{table})",
            )
            if a_only or b_only or a_rows != b_rows:
                out[table] = (a_only, b_only, a_rows, b_rows)
    return out


def _load_days(path: Path, table: str) -> set[dt.date]:
    return {row[0] for row in _q(path, f"select distinct cast(_loaded_at as date) from {table}")}


# --- a fresh generate ----------------------------------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = _fingerprint(_gen(tmp_path, "a"))
    b = _fingerprint(_gen(tmp_path, "b"))
    c = _fingerprint(_gen(tmp_path, "c", seed=4))
    assert a == b
    assert a["raw_shop.orders"] != c["raw_shop.orders"]


def test_tiny_scales_still_have_orders_every_day(tmp_path: Path) -> None:
    path = _gen(tmp_path, "tiny", scale=0.0001)
    assert _one(path, "select count(*) from raw_shop.orders") == 1460
    assert _one(path, "select count(distinct cast(ordered_at as date)) from raw_shop.orders") == 730


def test_scale_sets_volumes(tmp_path: Path) -> None:
    small = _gen(tmp_path, "small", scale=0.02)
    big = _gen(tmp_path, "big", scale=0.1)
    assert _one(small, "select count(*) from raw_shop.orders") == 2_000
    assert _one(big, "select count(*) from raw_shop.orders") == 10_000
    assert _one(big, "select count(*) from raw_crm.customers") == 2_500
    assert _one(big, "select count(*) from raw_telemetry.request_logs") == 30_000
    items_per_order = _one(big, "select count(*) / 10000 from raw_shop.order_items")
    assert 2.2 < items_per_order < 2.8


def test_history_start_sets_the_origin(tmp_path: Path) -> None:
    path = _gen(tmp_path, history_start=AS_OF - dt.timedelta(days=365))
    # the same rate (n_orders per 730 days) over half the history
    assert _one(path, "select count(*) from raw_shop.orders") == 1_000
    assert _one(path, "select min(cast(ordered_at as date)) from raw_shop.orders") == AS_OF - dt.timedelta(
        365
    )
    assert _q(path, "select origin, as_of, seed, scale, generator_version from raw_meta.landing_state") == [
        (AS_OF - dt.timedelta(days=365), AS_OF, 3, 0.02, 2)
    ]


def test_clean_data_invariants(tmp_path: Path) -> None:
    path = _gen(tmp_path, scale=0.05)
    # events end before the as-of day; an order lands the day after it, and again on each status change
    assert _one(path, "select max(ordered_at) < timestamp '2026-11-20' from raw_shop.orders")
    assert (
        _one(
            path,
            "select count(*) from raw_shop.orders where cast(_loaded_at as date) "
            "not between cast(ordered_at as date) + 1 and cast(ordered_at as date) + 15",
        )
        == 0
    )
    assert max(_load_days(path, "raw_shop.orders")) == AS_OF
    for extract in EXTRACTS:  # full daily extracts: loaded on the as-of day
        assert _load_days(path, extract) == {AS_OF}, extract
    assert _one(path, "select count(*) from raw_shop.orders where customer_id is null") == 0
    assert (
        _one(
            path,
            "select count(*) from raw_shop.orders o left join raw_crm.customers c using (customer_id) "
            "where c.customer_id is null or c.signup_date > cast(o.ordered_at as date)",
        )
        == 0
    )
    assert (
        _one(
            path,
            "select count(*) - count(distinct lower(trim(email))) from raw_crm.customers where email is not null",
        )
        == 0
    )
    assert (
        _one(
            path,
            "select count(*) from raw_shop.orders where order_id not in "
            "(select order_id from raw_shop.order_items)",
        )
        == 0
    )
    assert (
        _one(
            path,
            "select max(n) from (select count(*) n from raw_shop.payments where status = 'succeeded' "
            "group by order_id)",
        )
        == 1
    )
    # a refund only after a succeeded payment, for returned orders; amounts equal the order's net total
    assert (
        _one(
            path,
            "select count(*) from raw_shop.payments r join raw_shop.orders o using (order_id) "
            "where r.status = 'refunded' and (o.status <> 'returned' or not exists (select 1 from "
            "raw_shop.payments s where s.order_id = r.order_id and s.status = 'succeeded' and s.paid_at < r.paid_at))",
        )
        == 0
    )
    assert (
        _one(
            path,
            "select count(*) from raw_shop.payments p join (select order_id, sum(quantity * unit_price - "
            "discount_amount) as net from raw_shop.order_items group by all) t using (order_id) where p.amount <> t.net",
        )
        == 0
    )
    # no two orders share a timestamp, so a double submit (same customer and time) is always a fault
    assert _one(path, "select count(*) - count(distinct ordered_at) from raw_shop.orders") == 0
    # every day of the two-year window has orders, evenly spread
    per_day = _q(
        path,
        "select min(n), max(n), count(*) from (select cast(ordered_at as date), count(*) n "
        "from raw_shop.orders group by 1)",
    )[0]
    assert per_day[2] == 730 and per_day[1] - per_day[0] <= 1
    # messy CRM values a real CRM has
    assert (
        _one(path, "select count(*) from raw_crm.customers where country_code <> upper(trim(country_code))")
        > 0
    )
    assert _one(path, "select count(distinct currency_code) from raw_shop.orders") == 3


def test_order_status_timeline(tmp_path: Path) -> None:
    path = _gen(tmp_path, scale=0.05)
    ages = {
        status: (first, last)
        for status, first, last in _q(
            path,
            "select status, min(date '2026-11-20' - cast(ordered_at as date)), "
            "max(date '2026-11-20' - cast(ordered_at as date)) from raw_shop.orders group by all",
        )
    }
    # placed until shipped (or cancelled) on age 2 or 3, shipped until delivered on age 4-8, returned 3-7 days
    # later: the first day only placed orders, from age 16 on only final statuses
    assert ages["placed"] == (1, 2)
    assert ages["shipped"][0] >= 2 and ages["shipped"][1] <= 7
    assert ages["cancelled"][0] >= 2 and ages["delivered"][0] >= 4 and ages["returned"][0] >= 7
    assert ages["returned"][1] > 15 and ages["delivered"][1] > 15 and ages["cancelled"][1] > 15
    shares = dict(
        _q(
            path,
            "select status, count(*) / sum(count(*)) over () from raw_shop.orders "
            "where ordered_at < timestamp '2026-11-01' group by all",
        )
    )
    assert shares.keys() == {"delivered", "returned", "cancelled"}
    assert 0.03 < shares["cancelled"] < 0.07 and 0.06 < shares["returned"] < 0.10
    # refunds land on the day the order becomes 'returned', the day after they were paid
    refunds = _q(
        path,
        "select cast(p.paid_at as date), cast(p._loaded_at as date), cast(o._loaded_at as date), "
        "cast(o.ordered_at as date) from raw_shop.payments p join raw_shop.orders o using (order_id) "
        "where p.status = 'refunded'",
    )
    assert refunds
    for paid, loaded, order_loaded, ordered in refunds:
        assert loaded == paid + dt.timedelta(days=1) == order_loaded
        assert dt.timedelta(days=7) <= loaded - ordered <= dt.timedelta(days=15)


# --- fresh faults ----------------------------------------------------------------------------------------------


def test_fault_late(tmp_path: Path) -> None:
    path = _gen(tmp_path, faults=["late"])
    assert _one(path, "select max(ordered_at) < timestamp '2026-11-17' from raw_shop.orders")
    assert _one(path, "select max(requested_at) < timestamp '2026-11-17' from raw_telemetry.request_logs")
    assert _one(path, "select max(cast(_loaded_at as date)) from raw_shop.orders") == AS_OF - dt.timedelta(
        days=3
    )
    assert _load_days(path, "raw_crm.customers") == {AS_OF - dt.timedelta(days=3)}
    # exactly the landing area as of three days earlier (with the same origin), but recorded as of today
    earlier = _gen(tmp_path, "earlier", as_of=AS_OF - dt.timedelta(days=3), history_start=ORIGIN)
    assert _differences(path, earlier, TABLES) == {}
    assert _one(path, "select as_of from raw_meta.landing_state") == AS_OF


def test_fault_nulls(tmp_path: Path) -> None:
    clean = _gen(tmp_path, "clean")
    path = _gen(tmp_path, faults=["nulls"])
    expected = _one(
        clean,
        f"select count(*) from raw_shop.orders where order_id % 4 = 0 "
        f"and cast(ordered_at as date) = date '{LAST_DAY}'",
    )
    assert expected > 0
    assert _one(path, "select count(*) from raw_shop.orders where customer_id is null") == expected
    assert (
        _one(
            path,
            f"select count(*) from raw_shop.orders where customer_id is null "
            f"and cast(ordered_at as date) <> date '{LAST_DAY}'",
        )
        == 0
    )


def test_fault_duplicates(tmp_path: Path) -> None:
    clean = _gen(tmp_path, "clean")
    path = _gen(tmp_path, faults=["duplicates"])
    dup_customers = _one(clean, "select count(*) from raw_crm.customers where customer_id % 200 = 7")
    assert dup_customers > 0
    assert (
        _one(path, "select count(*) from raw_crm.customers")
        == _one(clean, "select count(*) from raw_crm.customers") + dup_customers
    )
    # still unique keys, but duplicate people (same email) and double-submitted orders
    assert _one(path, "select count(*) - count(distinct customer_id) from raw_crm.customers") == 0
    assert _one(
        path,
        "select count(*) - count(distinct lower(trim(email))) from raw_crm.customers where email is not null",
    ) == _one(
        clean, "select count(*) from raw_crm.customers where customer_id % 200 = 7 and email is not null"
    )
    doubled = _one(
        path,
        "select count(*) from (select customer_id, ordered_at from raw_shop.orders "
        "group by all having count(*) > 1)",
    )
    assert doubled > 0
    for table in ("raw_shop.orders", "raw_shop.order_items", "raw_shop.payments"):
        key = KEYS[table]
        assert _one(path, f"select count(*) - count(distinct {key}) from {table}") == 0
    # the duplicates' keys live in a key space of their own
    assert _one(path, f"select min(order_id) from raw_shop.orders where order_id > {DUPLICATE_OFFSET}") > (
        DUPLICATE_OFFSET
    )
    assert (
        _one(
            path,
            f"select count(*) from raw_shop.order_items where order_id >= {DUPLICATE_OFFSET} "
            f"and order_item_id < {DUPLICATE_OFFSET}",
        )
        == 0
    )


def test_fault_schema_drift(tmp_path: Path) -> None:
    path = _gen(tmp_path, faults=["schema_drift"])
    assert _signup_date_type(path) == "VARCHAR"
    assert (
        _one(
            path,
            "select count(*) from raw_crm.customers where not regexp_matches(signup_date, "
            "'^\\d{2}/\\d{2}/\\d{4}$')",
        )
        == 0
    )


def _signup_date_type(path: Path) -> str:
    return str(
        _one(
            path,
            "select data_type from information_schema.columns where table_schema = 'raw_crm' "
            "and table_name = 'customers' and column_name = 'signup_date'",
        )
    )


def test_fault_volume_drop(tmp_path: Path) -> None:
    clean = _gen(tmp_path, "clean", scale=0.2)
    path = _gen(tmp_path, scale=0.2, faults=["volume_drop"])
    day = f"cast(ordered_at as date) = date '{LAST_DAY}'"
    before, after = (
        _one(clean, f"select count(*) from raw_shop.orders where {day}"),
        _one(path, f"select count(*) from raw_shop.orders where {day}"),
    )
    assert before > 20 and after <= before * 0.2
    prev = f"cast(ordered_at as date) = date '{LAST_DAY - dt.timedelta(days=1)}'"
    assert _one(path, f"select count(*) from raw_shop.orders where {prev}") == _one(
        clean, f"select count(*) from raw_shop.orders where {prev}"
    )
    assert (
        _one(
            path,
            "select count(*) from raw_shop.order_items where order_id not in "
            "(select order_id from raw_shop.orders)",
        )
        == 0
    )


def test_faults_all_known_and_combinable(tmp_path: Path) -> None:
    path = _gen(tmp_path, faults=list(FAULTS))
    assert _one(path, "select count(*) from raw_shop.orders") > 0
    _append(path, _day(1), faults=list(FAULTS))
    assert _one(path, "select count(*) from raw_shop.orders") > 0


# --- day by day ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The landing area of each day: a fresh generate at AS_OF (day 0), then one append a day up to day 7,
    a copy kept after each."""
    tmp = tmp_path_factory.mktemp("history")
    path = _gen(tmp, "landing", scale=0.05)
    days = {0: _copy(path, tmp / "day0.duckdb")}
    for n in range(1, DAYS + 1):
        _append(path, _day(n))
        days[n] = _copy(path, tmp / f"day{n}.duckdb")
    return days


def test_day_by_day_equals_a_fresh_generate_with_the_same_origin(
    history: dict[int, Path], tmp_path: Path
) -> None:
    fresh = _gen(tmp_path, "fresh", scale=0.05, as_of=_day(DAYS), history_start=ORIGIN)
    assert _differences(history[DAYS], fresh) == {}
    assert _fingerprint(history[DAYS]) == _fingerprint(fresh)


def test_an_append_over_several_days_equals_day_by_day(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[0], tmp_path / "jump.duckdb")
    _append(path, _day(3))  # three days at once
    assert _differences(path, history[3]) == {}
    _append(path, _day(DAYS))
    assert _differences(path, history[DAYS]) == {}


def test_each_append_adds_the_day_and_keeps_every_row_key_stable(history: dict[int, Path]) -> None:
    for n in range(1, DAYS + 1):
        today, yesterday = _day(n), _day(n - 1)
        with _both(history[n - 1], history[n]) as con:
            for table in TABLES:
                # a row never changes once it landed, but for an order's status and the load time of its
                # version, and the daily extracts' load time
                exclude = "_loaded_at" if table in EXTRACTS else ""
                exclude = "status, _loaded_at" if table == "raw_shop.orders" else exclude
                columns = f"* exclude ({exclude})" if exclude else "*"
                lost = _row(
                    con,
                    f"select count(*) from (select {columns} from a.{table} except all "
                    f"select {columns} from b.{table})",
                )
                assert lost == (0,), (table, n)
                # what the append added landed today
                added = con.execute(
                    f"select distinct cast(_loaded_at as date) from b.{table} where {KEYS[table]} not in "
                    f"(select {KEYS[table]} from a.{table})"
                ).fetchall()
                assert {day for (day,) in added} <= {today}, (table, n)
                if table in EXTRACTS:
                    assert _row(
                        con, f"select min(_loaded_at)::date, max(_loaded_at)::date from b.{table}"
                    ) == (
                        today,
                        today,
                    ), table
            # the orders added are the last day's, loaded today, all 'placed'
            assert con.execute(
                "select distinct cast(ordered_at as date), cast(_loaded_at as date), status "
                "from b.raw_shop.orders where order_id not in (select order_id from a.raw_shop.orders)"
            ).fetchall() == [(yesterday, today, "placed")]


def test_a_status_change_moves_the_orders_load_time(history: dict[int, Path]) -> None:
    moves = 0
    allowed = {
        ("placed", "shipped"),
        ("placed", "cancelled"),
        ("shipped", "delivered"),
        ("delivered", "returned"),
    }
    for n in range(1, DAYS + 1):
        with _both(history[n - 1], history[n]) as con:
            rows = con.execute(
                "select a.status, b.status, a._loaded_at = b._loaded_at, cast(b._loaded_at as date) "
                "from a.raw_shop.orders as a join b.raw_shop.orders as b using (order_id)"
            ).fetchall()
        for old, new, same_load, load_day in rows:
            if old == new:
                assert same_load
            else:
                moves += 1
                assert (old, new) in allowed and load_day == _day(n)
    assert moves > 10
    # refunds are late-arriving payments: each lands with its order's change to 'returned', days after the
    # order's other payments, and was not there the day before
    refunds = _q(
        history[DAYS],
        "select p.payment_id, cast(p._loaded_at as date), cast(o._loaded_at as date), o.status "
        "from raw_shop.payments as p join raw_shop.orders as o using (order_id) "
        f"where p.status = 'refunded' and p._loaded_at > timestamp '{AS_OF}'",
    )
    assert refunds
    for payment_id, landed, order_landed, status in refunds:
        assert landed == order_landed and status == "returned"
        n = (landed - AS_OF).days
        assert (
            _one(history[n - 1], f"select count(*) from raw_shop.payments where payment_id = {payment_id}")
            == 0
        )
        assert (
            _one(history[n], f"select count(*) from raw_shop.payments where payment_id = {payment_id}") == 1
        )


def test_source_freshness_sees_every_table_loaded_on_the_as_of_day(history: dict[int, Path]) -> None:
    for table in TABLES:
        assert _one(history[DAYS], f"select max(cast(_loaded_at as date)) from {table}") == _day(DAYS), table


# --- faults when appending -------------------------------------------------------------------------------------


def test_late_when_appending(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[3], tmp_path / "late.duckdb")
    result = generate(path, as_of=_day(4), append=True, faults=["late"])
    assert result.previous_as_of == _day(3) and result.summary().startswith(
        f"appended landing data from {_day(3)} to {_day(4)} (origin {ORIGIN}, scale 0.05, seed 3, faults late)"
    )
    # set back to exactly the landing area as of day 1 (what landed since is withdrawn), as a fresh late does
    fresh_late = _gen(
        tmp_path, "fresh_late", scale=0.05, as_of=_day(4), history_start=ORIGIN, faults=["late"]
    )
    assert _differences(path, fresh_late) == {}
    assert _differences(path, history[1], TABLES) == {}
    # the next clean append delivers the held-back rows and status changes, loaded that day
    _append(path, _day(5))
    assert _differences(path, history[5], TABLES, "_loaded_at") == {}
    late = _late_rows(path, history[5])
    assert late["raw_shop.orders"] > 0 and late["raw_telemetry.request_logs"] > 0
    with _both(path, history[5]) as con:
        for table in TABLES:
            days = con.execute(
                f"select distinct cast(a._loaded_at as date), cast(b._loaded_at as date) from a.{table} as a "
                f"join b.{table} as b using ({KEYS[table]}) where a._loaded_at <> b._loaded_at"
            ).fetchall()
            # loaded on day 5 instead of their own day, which fell in the stall (after day 1)
            assert all(late_day == _day(5) and _day(1) < own <= _day(4) for late_day, own in days), table


def _late_rows(a: Path, b: Path) -> dict[str, int]:
    with _both(a, b) as con:
        return {
            table: _row(
                con,
                f"select count(*) from a.{table} as a join b.{table} as b using ({KEYS[table]}) "
                "where a._loaded_at <> b._loaded_at",
            )[0]
            for table in TABLES
        }


def test_volume_drop_when_appending(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[3], tmp_path / "drop.duckdb")
    _append(path, _day(4), faults=["volume_drop"])
    yesterday = f"cast(ordered_at as date) = date '{_day(3)}'"
    assert _one(path, f"select count(*) from raw_shop.orders where {yesterday} and order_id % 10 <> 0") == 0
    missing = _differences(history[4], path, ["raw_shop.orders", "raw_shop.order_items", "raw_shop.payments"])
    assert missing and all(a_only > 0 and b_only == 0 for a_only, b_only, _, _ in missing.values())
    _append(path, _day(5))
    assert _differences(path, history[5], TABLES, "_loaded_at") == {}
    late = _late_rows(path, history[5])
    assert late["raw_shop.orders"] > 0 and late["raw_shop.order_items"] > 0
    assert late["raw_telemetry.request_logs"] > 0
    assert (
        _one(
            path,
            f"select count(*) from raw_shop.orders where {yesterday} and order_id % 10 <> 0 "
            f"and cast(_loaded_at as date) <> date '{_day(5)}' and status = 'placed'",
        )
        == 0
    )


def test_nulls_persist_through_later_appends(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[2], tmp_path / "nulls.duckdb")
    _append(path, _day(3), faults=["nulls"])
    nulled = _q(path, "select order_id from raw_shop.orders where customer_id is null order by 1")
    assert nulled and all(order_id % 4 == 0 for (order_id,) in nulled)
    for n in range(4, DAYS + 1):
        _append(path, _day(n))
    assert _q(path, "select order_id from raw_shop.orders where customer_id is null order by 1") == nulled
    # everything else is as day by day: the statuses of the nulled orders moved on too
    others = [table for table in TABLES if table != "raw_shop.orders"]
    assert _differences(path, history[DAYS], others) == {}
    assert _differences(path, history[DAYS], ["raw_shop.orders"], "customer_id") == {}


def test_duplicates_are_not_doubled_and_are_left_alone(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[2], tmp_path / "dups.duckdb")
    _append(path, _day(3), faults=["duplicates"])
    first = {table: _dup_keys(path, table) for table in ("raw_crm.customers", "raw_shop.orders")}
    assert all(first.values())
    _append(path, _day(4), faults=["duplicates"])  # the fault again: no second copy
    for table in KEYS_WITH_DUPLICATES:
        assert _one(path, f"select count(*) - count(distinct {KEYS[table]}) from {table}") == 0, table
    second = {table: _dup_keys(path, table) for table in first}
    assert all(first[table] <= second[table] for table in first)
    orders_then = _q(path, f"select * from raw_shop.orders where order_id >= {DUPLICATE_OFFSET} order by 1")
    for n in range(5, DAYS + 1):
        _append(path, _day(n))
    # later appends leave the duplicates as they were, and everything else as day by day
    assert (
        _q(path, f"select * from raw_shop.orders where order_id >= {DUPLICATE_OFFSET} order by 1")
        == orders_then
    )
    others = [table for table in TABLES if table not in KEYS_WITH_DUPLICATES]
    assert _differences(path, history[DAYS], others) == {}
    with _both(path, history[DAYS]) as con:
        for table in KEYS_WITH_DUPLICATES:
            originals = f"(select * from a.{table} where {KEYS[table]} < {DUPLICATE_OFFSET})"
            assert _row(
                con,
                f"select (select count(*) from (from {originals} except all from b.{table})), "
                f"(select count(*) from (from b.{table} except all from {originals}))",
            ) == (0, 0), table


KEYS_WITH_DUPLICATES = ["raw_crm.customers", "raw_shop.orders", "raw_shop.order_items", "raw_shop.payments"]


def _dup_keys(path: Path, table: str) -> set[int]:
    key = KEYS[table]
    return {row[0] for row in _q(path, f"select {key} from {table} where {key} >= {DUPLICATE_OFFSET}")}


def test_schema_drift_is_restored_by_the_next_append(history: dict[int, Path], tmp_path: Path) -> None:
    path = _copy(history[3], tmp_path / "drift.duckdb")
    _append(path, _day(4), faults=["schema_drift"])
    assert _signup_date_type(path) == "VARCHAR"
    _append(path, _day(5))
    assert _signup_date_type(path) == "DATE"
    assert _differences(path, history[5]) == {}


# --- usage errors and failures ---------------------------------------------------------------------------------


def test_append_without_landing_data_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(UsageError, match=f"no landing data in {missing}"):
        generate(missing, as_of=AS_OF, append=True)
    assert not missing.exists()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(UsageError, match=f"no landing data in {empty}.*raw_meta.landing_state"):
        generate(empty, as_of=AS_OF, append=True)


def test_append_to_another_generator_version_is_a_usage_error(
    history: dict[int, Path], tmp_path: Path
) -> None:
    path = _copy(history[0], tmp_path / "old.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("update raw_meta.landing_state set generator_version = 1")
    with pytest.raises(UsageError, match=f"in {path} .as of {AS_OF}. was written by generator version 1"):
        generate(path, as_of=_day(1), append=True)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"as_of": AS_OF}, f"--as-of {AS_OF} is not after .* as of {AS_OF}"),
        ({"as_of": AS_OF - dt.timedelta(days=1)}, f"as of {AS_OF}"),
        ({"as_of": _day(1), "scale": 0.5}, "--scale 0.5 differs from the landing data's 0.05"),
        ({"as_of": _day(1), "seed": 4}, "--seed 4 differs from the landing data's 3"),
        (
            {"as_of": _day(1), "history_start": ORIGIN + dt.timedelta(days=1)},
            f"--history-start {ORIGIN + dt.timedelta(days=1)} differs from the landing data's {ORIGIN}",
        ),
    ],
)
def test_bad_append_is_a_usage_error_and_changes_nothing(
    history: dict[int, Path], tmp_path: Path, options: dict[str, Any], needle: str
) -> None:
    path = _copy(history[0], tmp_path / "bad.duckdb")
    before = _fingerprint(path)
    with pytest.raises(UsageError, match=needle) as caught:
        generate(path, append=True, **options)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    assert _fingerprint(path) == before


def test_append_with_the_recorded_options_given_is_fine(tmp_path: Path) -> None:
    path = _gen(tmp_path)
    result = generate(path, as_of=_day(1), append=True, scale=0.02, seed=3, history_start=ORIGIN)
    assert result.appended and result.previous_as_of == AS_OF and result.origin == ORIGIN
    assert result.summary().startswith(f"appended landing data from {AS_OF} to {_day(1)} (origin {ORIGIN}, ")
    assert "raw_shop.orders 2,003 (+3)" in result.summary()


@pytest.mark.parametrize(
    ("history_start", "needle"),
    [(AS_OF, "must be before --as-of"), (AS_OF - dt.timedelta(days=3651), "3651 days .* at most 3650")],
)
def test_bad_history_start_is_a_usage_error(tmp_path: Path, history_start: dt.date, needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        generate(tmp_path / "x.duckdb", as_of=AS_OF, history_start=history_start)
    assert not (tmp_path / "x.duckdb").exists()


def test_keys_beyond_the_integer_key_space_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="orders; the INTEGER keys"):
        generate(
            tmp_path / "x.duckdb", scale=1000, as_of=AS_OF, history_start=AS_OF - dt.timedelta(days=3650)
        )


@pytest.mark.parametrize("bad", ["late,bogus", "NULLS"])
def test_unknown_fault_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match="unknown fault"):
        parse_faults(bad)


@pytest.mark.parametrize("scale", [0, -1, float("nan"), 5000])
def test_bad_scale_is_a_usage_error(tmp_path: Path, scale: float) -> None:
    with pytest.raises(UsageError, match="--scale"):
        generate(tmp_path / "x.duckdb", scale=scale, as_of=AS_OF)
    assert not (tmp_path / "x.duckdb").exists()


def test_failed_generate_keeps_previous_landing_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _gen(tmp_path)
    before = _fingerprint(path)
    with monkeypatch.context() as patch:
        from dataproducts import generate as gen_module

        real = gen_module._statements
        patch.setattr(
            gen_module, "_statements", lambda *a, **k: [*real(*a, **k), ("select * from no_such_table", {})]
        )
        with pytest.raises(WarehouseError, match="generating landing data .* no_such_table"):
            generate(path, scale=0.05, seed=9, as_of=AS_OF)
        assert _fingerprint(path) == before
        with pytest.raises(WarehouseError, match="appending landing data .* no_such_table"):
            generate(path, as_of=_day(1), append=True, faults=["late", "duplicates", "schema_drift"])
    assert _fingerprint(path) == before
    assert _one(path, "select as_of from raw_meta.landing_state") == AS_OF
    assert _signup_date_type(path) == "DATE"


def test_locked_warehouse_is_a_one_line_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = _gen(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        from conftest import dp

        for extra in ([], ["--append"]):
            result = dp(
                "generate",
                *("--scale", "0.02", "--as-of", "2026-11-21", "--warehouse", str(path)),
                *("--runs-dir", str(tmp_path / "runs"), *extra),
            )
            assert result.returncode == 2
            assert result.stderr.count("\n") == 1 and str(path) in result.stderr
            assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_generator_sql_is_package_data_with_every_parameter_bound() -> None:
    """Every script exists, every fault has one or is a parameter, and each statement gets exactly the
    parameters it names, fresh and appending."""
    from dataproducts import generate as gen_module

    assert sorted(gen_module._FAULT_ORDER) == sorted(FAULTS)
    recorded = gen_module.LandingState(ORIGIN, AS_OF, 3, 0.02, gen_module.GENERATOR_VERSION)
    plans = [
        (
            gen_module._fresh_plan(ORIGIN, AS_OF, tuple(FAULTS), scale=0.01, seed=7),
            gen_module._fresh_scripts(tuple(FAULTS)),
        ),
        (
            gen_module._append_plan(recorded, _day(1), tuple(FAULTS)),
            gen_module._append_scripts(tuple(FAULTS), drifted=True),
        ),
    ]
    for plan, scripts in plans:
        statements = gen_module._statements(scripts, gen_module._parameters(plan))
        assert len(statements) == sum(len(duckdb.extract_statements(gen_module._script(s))) for s in scripts)
        for sql, params in statements:
            assert set(params) == set(duckdb.extract_statements(sql)[0].named_parameters)
    shipped = {p.stem for p in (Path(gen_module.__file__).parent / "sql" / "generate").glob("*.sql")}
    assert shipped == set(plans[0][1]) | set(plans[1][1])
