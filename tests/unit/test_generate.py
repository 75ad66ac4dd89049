"""The landing data generator: determinism, scale, options and every fault, on real DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dataproducts.errors import UsageError
from dataproducts.generate import FAULTS, generate, parse_faults

AS_OF = dt.date(2026, 11, 20)
LAST_DAY = AS_OF - dt.timedelta(days=1)


def _gen(tmp_path: Path, name: str = "w", **kwargs: object) -> Path:
    path = tmp_path / f"{name}.duckdb"
    options: dict = {"scale": 0.02, "seed": 3, "as_of": AS_OF, **kwargs}
    generate(path, **options)
    return path


def _q(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _one(path: Path, sql: str):
    return _q(path, sql)[0][0]


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


def _fingerprint(path: Path) -> dict[str, tuple]:
    out = {}
    for table in TABLES:
        out[table] = _q(path, f"select count(*), sum(hash(t)) from {table} as t")[0]
    return out


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


def test_clean_data_invariants(tmp_path: Path) -> None:
    path = _gen(tmp_path)
    # events end before the as-of day, loads happen on it
    assert _one(path, "select max(ordered_at) < timestamp '2026-11-20' from raw_shop.orders")
    assert _q(
        path, "select min(cast(_loaded_at as date)), max(cast(_loaded_at as date)) from raw_shop.orders"
    )[0] == (AS_OF, AS_OF)
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


def test_fault_late(tmp_path: Path) -> None:
    path = _gen(tmp_path, faults=["late"])
    assert _one(path, "select max(ordered_at) < timestamp '2026-11-17' from raw_shop.orders")
    assert _one(path, "select max(requested_at) < timestamp '2026-11-17' from raw_telemetry.request_logs")
    assert _one(path, "select max(cast(_loaded_at as date)) from raw_shop.orders") == AS_OF - dt.timedelta(
        days=3
    )
    assert _one(path, "select max(cast(_loaded_at as date)) from raw_crm.customers") == AS_OF - dt.timedelta(
        days=3
    )


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
    assert _one(path, "select count(*) - count(distinct order_id) from raw_shop.orders") == 0


def test_fault_schema_drift(tmp_path: Path) -> None:
    path = _gen(tmp_path, faults=["schema_drift"])
    dtype = _one(
        path,
        "select data_type from information_schema.columns where table_schema = 'raw_crm' "
        "and table_name = 'customers' and column_name = 'signup_date'",
    )
    assert dtype == "VARCHAR"
    assert (
        _one(
            path,
            "select count(*) from raw_crm.customers where not regexp_matches(signup_date, "
            "'^\\d{2}/\\d{2}/\\d{4}$')",
        )
        == 0
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
    from dataproducts import generate as gen_module
    from dataproducts.errors import WarehouseError

    path = _gen(tmp_path)
    before = _fingerprint(path)
    real = gen_module._statements

    def failing(**kwargs: Any) -> list[tuple[str, dict[str, object]]]:  # dies after replacing the schemas
        return [*real(**kwargs), ("select * from no_such_table", {})]

    monkeypatch.setattr(gen_module, "_statements", failing)
    with pytest.raises(WarehouseError, match="no_such_table"):
        generate(path, scale=0.05, seed=9, as_of=AS_OF)
    assert _fingerprint(path) == before


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

        result = dp("generate", "--scale", "0.02", "--as-of", "2026-11-20", "--warehouse", str(path))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and str(path) in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_generator_sql_is_package_data_with_every_parameter_bound() -> None:
    """Every script exists, every fault has one, and each statement gets exactly the parameters it names."""
    from dataproducts import generate as gen_module

    assert sorted(gen_module._FAULT_ORDER) == sorted(FAULTS)
    statements = gen_module._statements(scale=0.01, seed=7, as_of=AS_OF, faults=tuple(FAULTS))
    scripts = [*gen_module._TABLE_SCRIPTS, *(f"fault_{name}" for name in gen_module._FAULT_ORDER)]
    assert len(statements) == sum(len(duckdb.extract_statements(gen_module._script(s))) for s in scripts)
    for sql, params in statements:
        assert set(params) == set(duckdb.extract_statements(sql)[0].named_parameters)
