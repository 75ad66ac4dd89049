"""Deterministic landing data for the three source systems (CRM, web shop, telemetry).

Everything is set-based DuckDB SQL: rows come from ``range()`` and pseudo-random numbers are hashes of
(row key, salt, seed), so a given ``seed``/``scale``/``as_of`` always yields the same data, whatever the
number of threads. The schemas ``raw_crm``, ``raw_shop`` and ``raw_telemetry`` are replaced in one
transaction: a failed run leaves the previous landing data as it was. See ``docs/landing.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
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
        for statement in _statements(scale=scale, seed=seed, as_of=as_of, faults=fault_set):
            con.execute(statement)
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
    for (name,) in rows:
        result = con.execute(f"select count(*) from {name}").fetchone()
        counts[name] = int(result[0]) if result else 0
    return counts


def _statements(*, scale: float, seed: int, as_of: dt.date, faults: tuple[str, ...]) -> list[str]:
    n_customers = max(round(25_000 * scale), 20)
    n_orders = max(round(100_000 * scale), 2 * ORDER_DAYS)  # at least two orders every day
    n_requests = max(round(300_000 * scale), 300)
    n_products = 500
    d = f"date '{as_of.isoformat()}'"
    load_ts = f"(cast({d} as timestamp) + to_seconds(cast(rnd(%s, 'load') * 3600 as bigint)))"

    stmts: list[str] = [
        # u(k, salt): a uniform number in [0, 1) from a hash of the key, a salt and the seed.
        f"create or replace temp macro rnd(k, salt) as "
        f"(hash(k, salt, {int(seed)}) % 4294967296)::double / 4294967296.0",
        "create or replace temp macro pick(lst, u) as lst[1 + least(floor(u * len(lst))::int, len(lst) - 1)]",
    ]
    stmts += [f"drop schema if exists {s} cascade" for s in RAW_SCHEMAS]
    stmts += [f"create schema {s}" for s in RAW_SCHEMAS]

    # --- CRM ------------------------------------------------------------------------------------------------
    first_names = (
        "['Anna','Ben','Clara','David','Emma','Felix','Greta','Hugo','Ines','Jonas','Karla','Leon','Mia',"
        "'Noah','Olivia','Paul','Quentin','Rosa','Sofia','Tom','Ute','Victor','Wen','Xavier','Yara','Zoe',"
        "'José','Zoë','Łukasz','Søren']"
    )
    last_names = (
        "['Müller','Schmidt','Dubois','Martin','de Vries','Jansen','Smith','Jones','García','López',"
        "'Rossi','Bianchi','Novak','Nowak','O''Brien','Fischer','Weber','Meyer','Wagner','Becker',"
        "'Bernard','Moreau','Taylor','Brown','Lefèvre','Visser','Silva','Costa','Kowalski','Andersen']"
    )
    countries = "['DE','DE','DE','FR','FR','NL','GB','GB','US','US','ES','IT','AT','BE','PL','DK']"
    cities = (
        "map {'DE': ['Berlin','Hamburg','München','Köln'], 'FR': ['Paris','Lyon','Marseille'], "
        "'NL': ['Amsterdam','Utrecht'], 'GB': ['London','Manchester','Leeds'], 'US': ['New York','Austin',"
        "'Seattle'], 'ES': ['Madrid','Barcelona'], 'IT': ['Roma','Milano'], 'AT': ['Wien','Graz'], "
        "'BE': ['Bruxelles','Antwerpen'], 'PL': ['Warszawa','Kraków'], 'DK': ['København','Aarhus']}"
    )
    stmts.append(
        f"""
        create table raw_crm.customers as
        with base as (
            select
                cast(i as integer) as customer_id,
                pick({first_names}, rnd(i, 'first')) as first_name,
                pick({last_names}, rnd(i, 'last')) as last_name,
                pick({countries}, rnd(i, 'country')) as country,
                {d} - {SIGNUP_DAYS} + cast(floor((i - 1) * {SIGNUP_DAYS}.0 / {n_customers}) as integer)
                    as signup_date,
                rnd(i, 'mess') as mess,
                rnd(i, 'phone') as u_phone,
                rnd(i, 'status') as u_status
            from range(1, {n_customers} + 1) as t(i)
        )
        select
            customer_id,
            case when mess < 0.02 then '  ' || first_name || ' ' else first_name end as first_name,
            case when mess between 0.02 and 0.04 then upper(last_name) else last_name end as last_name,
            case
                when mess between 0.05 and 0.06 then null
                when mess between 0.06 and 0.08
                    then upper(lower(replace(first_name || '.' || last_name, ' ', '')) || '.'
                        || customer_id || '@example.com')
                when mess between 0.08 and 0.09
                    then ' ' || lower(replace(first_name || '.' || last_name, ' ', '')) || '.'
                        || customer_id || '@example.com '
                else lower(replace(first_name || '.' || last_name, ' ', '')) || '.' || customer_id
                    || '@example.com'
            end as email,
            case
                when u_phone < 0.10 then null
                when u_phone < 0.40 then '+49 30 ' || lpad(cast(customer_id % 10000000 as varchar), 7, '0')
                when u_phone < 0.70 then '0' || lpad(cast(customer_id * 7 % 1000000000 as varchar), 10, '0')
                else '(555) ' || lpad(cast(customer_id % 1000 as varchar), 3, '0') || '-'
                    || lpad(cast(customer_id % 10000 as varchar), 4, '0')
            end as phone,
            cast(1 + customer_id % 199 as varchar) || ' '
                || pick(['Main St','Hauptstraße','Rue de la Paix','Kerkstraat','High Street','Via Roma'],
                    rnd(customer_id, 'street')) as street,
            pick({cities}[country], rnd(customer_id, 'city')) as city,
            lpad(cast(cast(rnd(customer_id, 'zip') * 99999 as integer) as varchar), 5, '0') as postal_code,
            case
                when mess between 0.10 and 0.12 then lower(country)
                when mess between 0.12 and 0.13 then ' ' || country || ' '
                else country
            end as country_code,
            signup_date,
            case
                when u_status < 0.85 then 'active'
                when u_status < 0.95 then 'inactive'
                when u_status < 0.98 then 'ACTIVE'
                else ' active'
            end as status,
            cast(signup_date as timestamp) + to_seconds(cast(rnd(customer_id, 'upd') * 86400 as bigint))
                as updated_at,
            {load_ts % "customer_id"} as _loaded_at
        from base
        """
    )

    # --- web shop ------------------------------------------------------------------------------------------
    categories = "['apparel','shoes','electronics','home','garden','toys','books','beauty']"
    stmts.append(
        f"""
        create table raw_shop.products as
        select
            cast(i as integer) as product_id,
            'SKU-' || lpad(cast(i as varchar), 6, '0') as sku,
            pick(['Classic','Eco','Pro','Mini','Deluxe','Urban','Smart','Vintage'], rnd(i, 'adj')) || ' '
                || pick(['Shirt','Sneaker','Lamp','Speaker','Planter','Puzzle','Notebook','Serum',
                         'Backpack','Kettle'], rnd(i, 'noun')) || ' ' || cast(i as varchar) as product_name,
            pick({categories}, rnd(i, 'cat')) as category,
            cast(round(4.99 + rnd(i, 'price') * 195, 2) as decimal(10, 2)) as list_price,
            rnd(i, 'active') >= 0.08 as is_active,
            cast({d} - {SIGNUP_DAYS} as timestamp) + to_seconds(cast(rnd(i, 'created') * 86400 * 300 as bigint))
                as created_at,
            {load_ts % "i"} as _loaded_at
        from range(1, {n_products} + 1) as t(i)
        """
    )
    stmts.append(
        f"""
        create table raw_shop.exchange_rates as
        select
            currency_code,
            cast(rate_to_eur as decimal(12, 6)) as rate_to_eur,
            {d} - {SIGNUP_DAYS} as valid_from,
            {load_ts % "currency_code"} as _loaded_at
        from (values ('EUR', 1.0), ('USD', 0.92), ('GBP', 1.17)) as t(currency_code, rate_to_eur)
        """
    )
    # Orders: order i falls on day floor((i - 1) * days / n) of the window, so every day has the same
    # volume (+-1) at any scale; the customer is one who had signed up by then.
    stmts.append(
        f"""
        create table raw_shop.orders as
        with base as (
            select
                cast(i as integer) as order_id,
                {d} - {ORDER_DAYS} + cast(floor((i - 1) * {ORDER_DAYS}.0 / {n_orders}) as integer) as order_date,
                -- where the order falls within its day, in [0, 1): strictly increasing with the order id
                (i - 1) * {ORDER_DAYS}.0 / {n_orders} - floor((i - 1) * {ORDER_DAYS}.0 / {n_orders}) as day_position
            from range(1, {n_orders} + 1) as t(i)
        ),
        with_customer as (
            select
                order_id,
                order_date,
                day_position,
                cast(1 + floor(rnd(order_id, 'cust') * least({n_customers},
                    floor(((order_date - ({d} - {SIGNUP_DAYS})) + 1) * {n_customers}.0 / {SIGNUP_DAYS})))
                    as integer) as customer_id
            from base
        )
        select
            o.order_id,
            o.customer_id,
            -- between 08:00 and 23:00, in order-id order, jittered by less than the gap between two orders:
            -- no two orders share a timestamp, so (customer_id, ordered_at) is unique on clean data.
            cast(o.order_date as timestamp) + to_microseconds(cast(
                (28800 + (o.day_position + rnd(o.order_id, 'time') * 0.5 * {ORDER_DAYS} / {n_orders}) * 54000)
                * 1000000 as bigint)) as ordered_at,
            case
                when {d} - o.order_date <= 2 then pick(['placed','placed','shipped'], rnd(o.order_id, 'st'))
                when {d} - o.order_date <= 7 then pick(['shipped','shipped','delivered'], rnd(o.order_id, 'st'))
                when rnd(o.order_id, 'st') < 0.05 then 'cancelled'
                when rnd(o.order_id, 'st') < 0.13 then 'returned'
                else 'delivered'
            end as status,
            case
                when upper(trim(c.country_code)) = 'US' then 'USD'
                when upper(trim(c.country_code)) = 'GB' then 'GBP'
                else 'EUR'
            end as currency_code,
            upper(trim(c.country_code)) as shipping_country_code,
            {load_ts % "o.order_id"} as _loaded_at
        from with_customer as o
        inner join raw_crm.customers as c on o.customer_id = c.customer_id
        """
    )
    stmts.append(
        f"""
        create table raw_shop.order_items as
        with lines as (
            select o.order_id, o.currency_code, unnest(range(1 + floor(rnd(o.order_id, 'n') * 4)::int)) as line
            from raw_shop.orders as o
        )
        select
            -- at most 4 lines per order: a stable key without a sort over all lines
            cast((l.order_id - 1) * 4 + l.line + 1 as integer) as order_item_id,
            l.order_id,
            p.product_id,
            cast(pick([1, 1, 1, 1, 2, 2, 3, 4, 5], rnd(l.order_id * 8 + l.line, 'qty')) as integer) as quantity,
            cast(round(p.list_price / r.rate_to_eur, 2) as decimal(10, 2)) as unit_price,
            cast(case when rnd(l.order_id * 8 + l.line, 'disc') < 0.1
                then round(p.list_price / r.rate_to_eur * 0.1, 2) else 0 end as decimal(10, 2))
                as discount_amount,
            {load_ts % "l.order_id * 8 + l.line"} as _loaded_at
        from lines as l
        inner join raw_shop.products as p
            on p.product_id = 1 + floor(rnd(l.order_id * 8 + l.line, 'prod') * {n_products})::int
        inner join raw_shop.exchange_rates as r on l.currency_code = r.currency_code
        """
    )
    stmts.append(
        f"""
        create table raw_shop.payments as
        with totals as (
            select order_id, sum(quantity * unit_price - discount_amount) as net_amount
            from raw_shop.order_items group by order_id
        ),
        attempts as (
            select
                o.order_id, o.ordered_at, o.status, o.currency_code, t.net_amount,
                rnd(o.order_id, 'pay') as u,
                pick(['card','card','card','paypal','paypal','bank_transfer','gift_card'],
                    rnd(o.order_id, 'method')) as payment_method
            from raw_shop.orders as o inner join totals as t on o.order_id = t.order_id
        ),
        rows as (
            -- a failed attempt first for 8% of orders, and the only attempt of cancelled ones
            select order_id, 1 as seq, 'failed' as status, payment_method, net_amount, currency_code,
                ordered_at + to_seconds(30) as paid_at
            from attempts where u < 0.08 or status = 'cancelled'
            union all
            select order_id, 2, 'succeeded', payment_method, net_amount, currency_code,
                ordered_at + to_seconds(120)
            from attempts where status <> 'cancelled'
            union all
            select order_id, 3, 'refunded', payment_method, net_amount, currency_code,
                ordered_at + to_seconds(86400 * 5)
            from attempts where status = 'returned'
        )
        select
            cast((order_id - 1) * 3 + seq as integer) as payment_id,
            order_id,
            payment_method,
            status,
            cast(net_amount as decimal(12, 2)) as amount,
            currency_code,
            paid_at,
            {load_ts % "order_id * 4 + seq"} as _loaded_at
        from rows
        """
    )

    # --- telemetry -----------------------------------------------------------------------------------------
    stmts.append(
        f"""
        create table raw_telemetry.request_logs as
        with base as (
            select
                cast(i as bigint) as request_id,
                cast({d} - {TELEMETRY_DAYS} as timestamp)
                    + to_seconds(cast(floor((i - 1) * {TELEMETRY_DAYS * 86400}.0 / {n_requests}) as bigint))
                    as requested_at,
                pick(['catalog','catalog','catalog','search','search','checkout','auth','payments'],
                    rnd(i, 'svc')) as service,
                rnd(i, 'code') as u_code,
                rnd(i, 'lat') as u_lat
            from range(1, {n_requests} + 1) as t(i)
        )
        select
            request_id,
            requested_at,
            service,
            case service
                when 'checkout' then pick(['/checkout','/cart','/checkout/confirm'], rnd(request_id, 'ep'))
                when 'catalog' then pick(['/products','/products/{{id}}','/categories'], rnd(request_id, 'ep'))
                when 'search' then pick(['/search','/suggest'], rnd(request_id, 'ep'))
                when 'auth' then pick(['/login','/logout','/token'], rnd(request_id, 'ep'))
                else pick(['/payments','/payments/{{id}}/capture','/refunds'], rnd(request_id, 'ep'))
            end as endpoint,
            case when service in ('checkout','payments') then pick(['POST','GET'], rnd(request_id, 'm'))
                else 'GET' end as http_method,
            cast(case
                when u_code < case when service = 'payments' then 0.02 else 0.006 end
                    then pick([500, 502, 503, 504], rnd(request_id, 'c5'))
                when u_code < 0.04 then pick([400, 401, 404, 404, 429], rnd(request_id, 'c4'))
                else pick([200, 200, 200, 200, 201, 204, 304], rnd(request_id, 'c2'))
            end as integer) as status_code,
            round(-ln(1 - u_lat) * case service when 'search' then 120 when 'payments' then 250
                when 'checkout' then 180 else 60 end + 5, 1) as latency_ms,
            {load_ts % "request_id"} as _loaded_at
        from base
        """
    )
    stmts.append(
        f"""
        create table raw_telemetry.error_events as
        with from_requests as (
            select request_id, requested_at + to_seconds(1) as occurred_at, service,
                case when status_code = 503 then 'ServiceUnavailable' when status_code = 504 then 'Timeout'
                    else pick(['UpstreamError','DatabaseError','NullPointer'], rnd(request_id, 'et')) end
                    as error_type,
                case when rnd(request_id, 'sev') < 0.15 then 'critical' else 'error' end as severity
            from raw_telemetry.request_logs where status_code >= 500
        ),
        background as (
            select null::bigint as request_id,
                cast({d} - {TELEMETRY_DAYS} as timestamp)
                    + to_seconds(cast(rnd(i, 'bg') * {TELEMETRY_DAYS * 86400} as bigint)) as occurred_at,
                pick(['checkout','catalog','search','auth','payments'], rnd(i, 'bgs')) as service,
                pick(['CacheMiss','SlowQuery','RetryExhausted'], rnd(i, 'bgt')) as error_type,
                'warning' as severity
            from range(1, {max(n_requests // 500, 1)} + 1) as t(i)
        ),
        all_errors as (select * from from_requests union all select * from background)
        select
            cast(row_number() over (order by occurred_at, request_id nulls last, service, error_type)
                as bigint) as error_id,
            request_id,
            occurred_at,
            service,
            error_type,
            severity,
            error_type || ' in ' || service || coalesce(' (request ' || request_id || ')', '') as message,
            {load_ts % "occurred_at"} as _loaded_at
        from all_errors
        """
    )
    daily_orders = max(round(n_orders / ORDER_DAYS), 1)
    stmts.append(
        f"""
        create table raw_telemetry.kpi_targets as
        select kpi_name, service, description, cast(target_value as double) as target_value, comparison,
            unit, {d} - {ORDER_DAYS} as valid_from, {load_ts % "kpi_name"} as _loaded_at
        from (values
            ('checkout_availability', 'checkout', 'Share of checkout requests without a 5xx', 0.99, '>=',
                'ratio'),
            ('payments_availability', 'payments', 'Share of payment requests without a 5xx', 0.97, '>=',
                'ratio'),
            ('catalog_availability', 'catalog', 'Share of catalog requests without a 5xx', 0.99, '>=', 'ratio'),
            ('search_p95_latency_ms', 'search', '95th percentile search latency', 400.0, '<=', 'ms'),
            ('checkout_p95_latency_ms', 'checkout', '95th percentile checkout latency', 600.0, '<=', 'ms'),
            ('daily_orders', null, 'Orders placed per day', {daily_orders * 0.8}, '>=', 'orders'),
            ('payment_failure_rate', null, 'Share of payment attempts that failed', 0.15, '<=', 'ratio')
        ) as t(kpi_name, service, description, target_value, comparison, unit)
        """
    )

    stmts += _fault_statements(d=d, faults=faults, load_ts=load_ts)
    return stmts


def _fault_statements(*, d: str, faults: tuple[str, ...], load_ts: str) -> list[str]:
    stmts: list[str] = []
    last_day = f"({d} - 1)"
    if "late" in faults:
        cutoff = f"cast({d} - {LATE_DAYS} as timestamp)"
        stall_load = f"({cutoff} + to_seconds(cast(rnd(%s, 'load') * 3600 as bigint)))"
        stmts += [
            f"delete from raw_shop.payments where paid_at >= {cutoff} "
            f"or order_id in (select order_id from raw_shop.orders where ordered_at >= {cutoff})",
            f"delete from raw_shop.order_items where order_id in "
            f"(select order_id from raw_shop.orders where ordered_at >= {cutoff})",
            f"delete from raw_shop.orders where ordered_at >= {cutoff}",
            f"delete from raw_crm.customers where signup_date >= {d} - {LATE_DAYS} "
            f"and customer_id not in (select customer_id from raw_shop.orders where customer_id is not null)",
            f"update raw_crm.customers set updated_at = least(updated_at, {cutoff} - interval 1 second)",
            f"delete from raw_telemetry.error_events where occurred_at >= {cutoff}",
            f"delete from raw_telemetry.request_logs where requested_at >= {cutoff}",
        ]
        for table, key in (
            ("raw_crm.customers", "customer_id"),
            ("raw_shop.products", "product_id"),
            ("raw_shop.exchange_rates", "currency_code"),
            ("raw_shop.orders", "order_id"),
            ("raw_shop.order_items", "order_item_id"),
            ("raw_shop.payments", "payment_id"),
            ("raw_telemetry.request_logs", "request_id"),
            ("raw_telemetry.error_events", "error_id"),
            ("raw_telemetry.kpi_targets", "kpi_name"),
        ):
            stmts.append(f"update {table} set _loaded_at = {stall_load % key}")
    if "volume_drop" in faults:
        dropped = (
            f"select order_id from raw_shop.orders where cast(ordered_at as date) = {last_day} "
            f"and order_id % 10 <> 0"
        )
        stmts += [
            f"delete from raw_shop.payments where order_id in ({dropped})",
            f"delete from raw_shop.order_items where order_id in ({dropped})",
            f"delete from raw_shop.orders where order_id in ({dropped})",
            f"delete from raw_telemetry.error_events where request_id in (select request_id from "
            f"raw_telemetry.request_logs where cast(requested_at as date) = {last_day} and request_id % 10 <> 0)",
            f"delete from raw_telemetry.request_logs where cast(requested_at as date) = {last_day} "
            f"and request_id % 10 <> 0",
        ]
    if "duplicates" in faults:
        stmts += [
            # The CRM re-registers a customer: a new customer_id with the same person's data.
            """
            insert into raw_crm.customers
            select
                cast((select max(customer_id) from raw_crm.customers)
                    + row_number() over (order by customer_id) as integer),
                first_name, last_name, email, phone, street, city, postal_code, country_code,
                signup_date, status, updated_at, _loaded_at
            from raw_crm.customers where customer_id % 200 = 7
            """,
            f"""
            create temp table dup_orders as
            select order_id as original_id,
                cast((select max(order_id) from raw_shop.orders)
                    + row_number() over (order by order_id) as integer) as order_id
            from raw_shop.orders
            where order_id % 10 = 3 and ordered_at >= cast({d} - 7 as timestamp)
            """,
            """
            insert into raw_shop.orders
            select d.order_id, o.customer_id, o.ordered_at, o.status, o.currency_code,
                o.shipping_country_code, o._loaded_at
            from dup_orders as d inner join raw_shop.orders as o on o.order_id = d.original_id
            """,
            """
            insert into raw_shop.order_items
            select
                cast((select max(order_item_id) from raw_shop.order_items)
                    + row_number() over (order by i.order_item_id) as integer),
                d.order_id, i.product_id, i.quantity, i.unit_price, i.discount_amount, i._loaded_at
            from dup_orders as d inner join raw_shop.order_items as i on i.order_id = d.original_id
            """,
            """
            insert into raw_shop.payments
            select
                cast((select max(payment_id) from raw_shop.payments)
                    + row_number() over (order by p.payment_id) as integer),
                d.order_id, p.payment_method, p.status, p.amount, p.currency_code, p.paid_at, p._loaded_at
            from dup_orders as d inner join raw_shop.payments as p on p.order_id = d.original_id
            """,
            "drop table dup_orders",
        ]
    if "nulls" in faults:
        stmts.append(
            f"update raw_shop.orders set customer_id = null "
            f"where order_id % 4 = 0 and cast(ordered_at as date) = {last_day}"
        )
    if "schema_drift" in faults:
        stmts.append(
            "alter table raw_crm.customers alter signup_date set data type varchar "
            "using strftime(signup_date, '%d/%m/%Y')"
        )
    return stmts
