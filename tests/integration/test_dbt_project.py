"""The dbt project, built for real on small generated landing data.

Each scenario generates its own warehouse in a temporary directory (``python -m dataproducts generate``)
and runs the real ``dbt`` CLI from this interpreter's environment against it (``DP_WAREHOUSE``), with
target and log paths in the same directory: nothing touches the repository's own warehouse or target.
Every scenario is built once per module and shared by its tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-20"
SCALE = "0.02"
VARS = json.dumps({"as_of": AS_OF})


def _dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if found is None:
        pytest.skip("dbt is not installed in this environment")
    return found


@dataclass(frozen=True)
class Scenario:
    workdir: Path
    warehouse: Path
    build: subprocess.CompletedProcess[str]

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run_dbt(self.workdir, self.warehouse, *args)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def run_results(self) -> list[dict[str, object]]:
        data = json.loads((self.workdir / "target" / "run_results.json").read_text())
        return list(data["results"])


def _run_dbt(workdir: Path, warehouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DP_WAREHOUSE": str(warehouse), "DO_NOT_TRACK": "1", "DP_THREADS": "2"}
    command = [
        _dbt_executable(),
        *args,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--vars",
        VARS,
    ]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def _scenario(workdir: Path, *faults: str) -> Scenario:
    warehouse = workdir / "warehouse.duckdb"
    generate = [sys.executable, "-m", "dataproducts", "generate", "--scale", SCALE, "--as-of", AS_OF]
    generate += ["--warehouse", str(warehouse)]
    if faults:
        generate += ["--inject", ",".join(faults)]
    subprocess.run(generate, cwd=REPO, check=True, capture_output=True, text=True)
    build = _run_dbt(workdir, warehouse, "build")
    return Scenario(workdir=workdir, warehouse=warehouse, build=build)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield _scenario(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield _scenario(tmp_path_factory.mktemp("faulty"), "nulls", "duplicates")


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield _scenario(tmp_path_factory.mktemp("drifted"), "schema_drift")


# --- clean data -------------------------------------------------------------------------------------------


def test_build_succeeds_without_failures(clean: Scenario) -> None:
    assert clean.build.returncode == 0, clean.build.stdout[-4000:]
    statuses = {str(result["status"]) for result in clean.run_results()}
    assert statuses <= {"success", "pass", "warn", "no-op"}, statuses


def test_orders_has_one_row_per_raw_order(clean: Scenario) -> None:
    raw = clean.scalar("select count(*) from raw_shop.orders")
    rows, distinct_ids = clean.query("select count(*), count(distinct order_id) from sales.orders")[0]
    assert rows == raw
    assert distinct_ids == rows


def test_order_items_has_one_row_per_raw_line(clean: Scenario) -> None:
    raw = clean.scalar("select count(*) from raw_shop.order_items")
    assert clean.scalar("select count(distinct order_item_id) from sales.order_items") == raw


def test_order_amounts_add_up(clean: Scenario) -> None:
    mismatches = clean.scalar(
        """
        select count(*)
        from sales.orders as o
        left join (
            select order_id, sum(net_amount) as net_amount from sales.order_items group by order_id
        ) as i on o.order_id = i.order_id
        where o.net_amount <> i.net_amount or o.net_amount <> o.gross_amount - o.discount_amount
        """
    )
    assert mismatches == 0
    # clean data: every order's succeeded payment equals its net total
    assert clean.scalar("select count(*) from sales.orders where is_paid and paid_amount <> net_amount") == 0


def test_sales_daily_has_one_row_per_day(clean: Scenario) -> None:
    days, first, last, distinct_days = clean.query(
        "select count(*), min(order_date), max(order_date), count(distinct order_date) from sales.sales_daily"
    )[0]
    assert days == distinct_days == (last - first).days + 1
    assert clean.scalar("select count(distinct cast(ordered_at as date)) from raw_shop.orders") == days
    assert clean.scalar("select sum(order_count) from sales.sales_daily") == clean.scalar(
        "select count(*) from raw_shop.orders"
    )
    # the first 7 days have no prior week; every later day has a ratio
    assert clean.scalar("select count(*) from sales.sales_daily where order_count_vs_prior_7d is null") == 7


def test_customers_pointer_and_old_versions_show_the_latest_version(clean: Scenario) -> None:
    tables: dict[str, str] = dict(
        clean.query(
            "select table_name, table_type from information_schema.tables where table_schema = 'customers'"
        )
    )
    # v3 is the table; the relations of the product's old name stay until 2027-06-30 as views of it
    assert tables == {
        "customers": "BASE TABLE",
        "dim_customers": "VIEW",
        "dim_customers_v1": "VIEW",
        "dim_customers_v2": "VIEW",
    }

    def columns(relation: str) -> list[tuple[str, str]]:
        return [(str(row[0]), str(row[1])) for row in clean.query(f"describe customers.{relation}")]

    assert columns("dim_customers") == columns("dim_customers_v2") == columns("customers")
    assert [c for c, _ in columns("dim_customers_v1")] == [
        *("customer_id", "email", "phone", "city", "country_code", "signup_date", "updated_at"),
        *("full_name", "status"),
    ]
    raw = clean.scalar("select count(*) from raw_crm.customers")
    assert clean.scalar("select count(distinct customer_id) from customers.customers") == raw
    for old in ("dim_customers", "dim_customers_v2"):
        assert (
            clean.scalar(f"select count(*) from (from customers.{old} except all from customers.customers)")
            == 0
        )


def test_renamed_sales_products_keep_their_old_relations(clean: Scenario) -> None:
    tables: dict[str, str] = dict(
        clean.query(
            "select table_name, table_type from information_schema.tables where table_schema = 'sales'"
        )
    )
    for new, old in (
        ("orders", "fct_orders"),
        ("order_items", "fct_order_items"),
        ("products", "dim_products"),
    ):
        assert (tables[new], tables[old]) == ("BASE TABLE", "VIEW")
        assert clean.query(f"describe sales.{old}") == clean.query(f"describe sales.{new}")
        assert clean.scalar(f"select count(*) from (from sales.{old} except all from sales.{new})") == 0
        assert clean.scalar(f"select count(*) from sales.{old}") == clean.scalar(
            f"select count(*) from sales.{new}"
        )


def test_service_health_has_one_row_per_service_and_day(clean: Scenario) -> None:
    rows, keys = clean.query(
        "select count(*), count(distinct (service, activity_date)) from operations.service_health_daily"
    )[0]
    assert rows == keys > 0
    assert clean.scalar("select sum(request_count) from operations.service_health_daily") == clean.scalar(
        "select count(*) from raw_telemetry.request_logs"
    )


def test_kpi_status_covers_every_kpi(clean: Scenario) -> None:
    kpis = {row[0] for row in clean.query("select distinct kpi_name from operations.kpi_status_daily")}
    targets = {row[0] for row in clean.query("select kpi_name from raw_telemetry.kpi_targets")}
    assert kpis == targets
    statuses = {row[0] for row in clean.query("select distinct status from operations.kpi_status_daily")}
    assert statuses <= {"on_track", "at_risk", "off_track"}


def test_marketing_products_hold_no_personal_columns(clean: Scenario) -> None:
    columns = {
        str(row[0])
        for row in clean.query(
            "select column_name from information_schema.columns where table_schema = 'marketing'"
        )
    }
    assert columns
    assert not columns & {"email", "phone", "first_name", "last_name", "full_name", "street", "postal_code"}
    customers_with_orders = clean.scalar(
        "select count(distinct customer_id) from raw_shop.orders where customer_id is not null"
    )
    assert clean.scalar("select count(*) from marketing.customer_lifetime_value") == customers_with_orders


def test_source_freshness_passes_at_the_as_of_time(clean: Scenario) -> None:
    result = clean.dbt("source", "freshness")
    assert result.returncode == 0, result.stdout[-4000:]
    sources = json.loads((clean.workdir / "target" / "sources.json").read_text())["results"]
    assert {r["snapshotted_at"][:19] for r in sources} == {f"{AS_OF}T06:00:00"}
    assert {r["status"] for r in sources} == {"pass"}


# --- faults the products must carry, not fail on ----------------------------------------------------------


def test_nulls_and_duplicates_reach_the_products(faulty: Scenario) -> None:
    assert faulty.build.returncode == 0, faulty.build.stdout[-4000:]
    warned = {str(r["unique_id"]) for r in faulty.run_results() if r["status"] == "warn"}
    assert any("not_null_orders_v2_customer_id" in uid for uid in warned), warned
    raw_nulls = faulty.scalar("select count(*) from raw_shop.orders where customer_id is null")
    assert raw_nulls > 0
    assert faulty.scalar("select count(*) from sales.orders where customer_id is null") == raw_nulls
    # re-registered customers: same email under a second customer_id
    assert (
        faulty.scalar(
            "select count(*) from (select email from customers.customers where email is not null "
            "group by email having count(*) > 1)"
        )
        > 0
    )
    # double-submitted orders: distinct order_id, same customer and timestamp
    assert (
        faulty.scalar(
            "select count(*) from (select customer_id, ordered_at from sales.orders "
            "where customer_id is not null group by all having count(*) > 1)"
        )
        > 0
    )


# --- schema drift breaks the build on the contract --------------------------------------------------------


def test_schema_drift_fails_on_the_customers_contract(drifted: Scenario) -> None:
    assert drifted.build.returncode != 0
    output = drifted.build.stdout
    assert "contract" in output.lower()
    assert "signup_date" in output
    errors = [r for r in drifted.run_results() if r["status"] == "error"]
    assert errors
    # the latest version's table fails; the old versions, views of it, are skipped
    assert {str(r["unique_id"]) for r in errors} == {"model.dataproducts.customers.v3"}
    assert all("signup_date" in str(r["message"]) for r in errors)
    tables = {
        row[0]
        for row in drifted.query(
            "select table_name from information_schema.tables where table_schema = 'customers'"
        )
    }
    assert not tables & {"customers", "dim_customers_v1", "dim_customers_v2"}
