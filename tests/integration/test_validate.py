"""`dp validate` with real GX and real dbt on small generated warehouses: clean data passes, every injected
fault fails the suite it should, with ``unexpected_count`` matching SQL computed from the raw landing data."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import BuiltProject, record_of, scratch_record
from dataproducts.artifacts import load_manifest
from dataproducts.errors import ExitCode
from dataproducts.products import load_products
from dataproducts.validation.runner import SUMMARY_FILE, ValidationRun, run_validation

pytestmark = pytest.mark.integration

SEVERITIES = {"critical", "warning", "info"}
STATUSES = {"passed", "failed", "error"}


def _sql(warehouse: Path, query: str) -> Any:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(query).fetchone()
        assert row is not None
        return row[0]
    finally:
        con.close()


def _expectation(run_or_summary: Any, product: str, type_: str, **kwargs: Any) -> dict[str, Any]:
    summary = run_or_summary.summary() if isinstance(run_or_summary, ValidationRun) else run_or_summary
    entry = next(p for p in summary["products"] if p["id"] == product)
    matches = [
        e
        for e in entry["expectations"]
        if e["type"] == type_ and all(e["kwargs"].get(k) == v for k, v in kwargs.items())
    ]
    assert len(matches) == 1, f"{product}: {type_} {kwargs}: {len(matches)} matches"
    return matches[0]


# --- clean data ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_run(built_clean: BuiltProject) -> ValidationRun:
    return run_validation(built_clean.config, record_of(built_clean.config))


def test_clean_data_passes_every_suite(clean_run: ValidationRun) -> None:
    assert clean_run.exit_code == ExitCode.OK, clean_run.report()
    for product in clean_run.products:
        assert product.status == "passed", clean_run.report()
        assert all(e.status == "passed" for e in product.expectations), clean_run.report()


def test_a_result_for_every_public_product_loadable_by_gx(
    built_clean: BuiltProject, clean_run: ValidationRun
) -> None:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    products = load_products(load_manifest(built_clean.config.manifest_path))
    out = clean_run.output_dir
    assert {p.id for p in clean_run.products} == {p.id for p in products}
    for product in products:
        data = json.loads((out / f"{product.id}.json").read_text(encoding="utf-8"))
        result = ExpectationSuiteValidationResultSchema().load(data)
        assert isinstance(result, ExpectationSuiteValidationResult)
        assert result.success is True
        assert result.suite_name == product.id
        assert len(result.results) >= 6  # the grain and nullability are the contract's (DP018)
        meta: Mapping[str, Any] = result.meta  # GX's TypedDict leaves out the keys a caller adds
        assert meta["dataproducts"]["product"] == product.id
        for r in result.results:
            assert r.expectation_config is not None
            assert r.exception_info.get("raised_exception") is False, (product.id, r.expectation_config.type)


def test_summary_shape(built_clean: BuiltProject, clean_run: ValidationRun) -> None:
    manifest = load_manifest(built_clean.config.manifest_path)
    summary = json.loads((clean_run.output_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary["schema_version"] == 1
    assert summary["run_id"] == record_of(built_clean.config).run_id and summary["selection"] is None
    assert summary["invocation_id"] == manifest.metadata.invocation_id
    assert summary["as_of"] == built_clean.as_of.isoformat()
    assert summary["engine"] == "auto"
    dt.datetime.fromisoformat(summary["generated_at"].replace("Z", "+00:00"))
    for product in summary["products"]:
        assert set(product) >= {
            "id",
            "unique_id",
            "relation",
            "suite",
            "result_file",
            "success",
            "status",
            "statistics",
            "expectations",
        }
        assert product["suite"] == f"expectations/{product['id'].replace('.', '/')}.json"
        assert product["result_file"] == f"{product['id']}.json"
        for e in product["expectations"]:
            assert e["severity"] in SEVERITIES
            assert e["status"] in STATUSES
            assert e["exception"] is None
            if e["type"].startswith(("expect_column_values_", "expect_compound_", "expect_column_pair_")):
                # SUMMARY keeps counts for every map expectation
                assert isinstance(e["element_count"], int), e
                if "mostly" not in e["kwargs"]:
                    assert e["unexpected_count"] == 0, e


def test_data_docs_list_every_product(built_clean: BuiltProject, clean_run: ValidationRun) -> None:
    index = clean_run.output_dir / "data_docs" / "index.html"
    assert clean_run.data_docs_index == index
    html = index.read_text(encoding="utf-8")
    for product in clean_run.products:
        domain, name = product.id.split(".")
        pages = re.findall(rf'validations/{domain}/{name}/[^"]+\.html', html)
        assert pages, f"{product.id} missing from the Data Docs index"
        assert (index.parent / pages[0]).is_file()


def test_warehouse_is_released_after_the_run(built_clean: BuiltProject, clean_run: ValidationRun) -> None:
    # Every connection is closed: this process (or dbt) can open the file read-write again.
    con = duckdb.connect(str(built_clean.config.warehouse))
    con.close()


def test_compiled_run_never_imports_great_expectations(built_clean: BuiltProject, tmp_path: Path) -> None:
    """Every project suite is compiled and evaluated natively: without Data Docs, a `--engine sql` run does
    not pay GX's import; its results are still GX's JSON, equal to a GX run's (test_engine_differential)."""
    import subprocess
    import sys

    cfg = built_clean.config
    record = scratch_record(cfg, tmp_path)
    code = (
        "import sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from dataproducts.config import load_config\n"
        "from dataproducts.runs import read_record\n"
        "from dataproducts.validation.runner import run_validation\n"
        f"cfg = load_config(Path({str(cfg.project_dir)!r}), warehouse={str(cfg.warehouse)!r}, "
        f"target_dir={str(cfg.target_dir)!r})\n"
        f"run = run_validation(cfg, read_record(Path({str(record.path)!r})), engine='sql', data_docs=False)\n"
        "print(int(run.exit_code), 'great_expectations' in sys.modules, run.output_dir)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == ["0", "False"]
    result = json.loads((Path(proc.stdout.split()[2]) / "sales.orders.json").read_text())
    assert result["meta"]["engine"] == "sql" and result["statistics"]["unsuccessful_expectations"] == 0


def test_select_validates_only_the_selection(built_clean: BuiltProject, tmp_path: Path) -> None:
    run = run_validation(
        built_clean.config,
        scratch_record(built_clean.config, tmp_path),
        select=["orders", "operations"],
        data_docs=False,
    )
    assert [p.id for p in run.products] == [
        "operations.kpi_status_daily",
        "operations.service_health_daily",
        "sales.orders",
    ]
    assert sorted(p.name for p in run.output_dir.iterdir()) == [
        "operations.kpi_status_daily.json",
        "operations.service_health_daily.json",
        "sales.orders.json",
        SUMMARY_FILE,
    ]


def test_samples_are_kept_on_request(built_clean: BuiltProject, tmp_path: Path) -> None:
    # Judged as of 10 days earlier, the last 10 days lie after the last data day: the samples show them.
    run = run_validation(
        built_clean.config,
        scratch_record(built_clean.config, tmp_path, as_of=built_clean.as_of - dt.timedelta(days=10)),
        select=["sales.sales_daily"],
        samples=3,
        data_docs=False,
    )
    assert run.exit_code == ExitCode.FAILED
    days = _expectation(run, "sales.sales_daily", "expect_column_values_to_be_between", column="order_date")
    assert days["status"] == "failed"
    assert days["unexpected_count"] == 10
    assert len(days["partial_unexpected_list"]) == 3


# --- faults ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty(built_faulty: BuiltProject) -> tuple[Any, ValidationRun, dict[str, int]]:
    warehouse = built_faulty.config.warehouse
    d1 = (built_faulty.as_of - dt.timedelta(days=1)).isoformat()
    expected = {
        "null_customers": _sql(warehouse, "select count(*) from raw_shop.orders where customer_id is null"),
        "null_customers_by_rule": _sql(
            warehouse,
            f"select count(*) from raw_shop.orders where order_id % 4 = 0 and ordered_at::date = date '{d1}'",
        ),
        "duplicate_emails": _sql(
            warehouse,
            """
            with emails as (
                select nullif(lower(trim(email)), '') as email from raw_crm.customers
            )
            select count(*) from emails
            where email in (select email from emails group by email having count(*) > 1)
            """,
        ),
        "duplicate_orders": _sql(
            warehouse,
            """
            with keyed as (
                select customer_id, ordered_at from raw_shop.orders
                where customer_id is not null or ordered_at is not null
            )
            select coalesce(sum(n), 0) from (
                select count(*) as n from keyed group by customer_id, ordered_at having count(*) > 1
            )
            """,
        ),
        "volume_days": _sql(
            warehouse,
            """
            with days as (
                select ordered_at::date as d, count(*) as n from raw_shop.orders group by 1
            ),
            compared as (
                select days.d, days.n / (
                    select coalesce(sum(p.n), 0) / 7.0 from days as p where p.d < days.d and p.d >= days.d - 7
                ) as ratio
                from days
                where days.d >= (select min(d) from days) + 7
            )
            select count(*) from compared where ratio < 0.5 or ratio > 3.0
            """,
        ),
        "last_day_ratio": _sql(
            warehouse,
            f"""
            select
                (select count(*) from raw_shop.orders where ordered_at::date = date '{d1}')
                / ((select count(*) from raw_shop.orders
                    where ordered_at::date between date '{d1}' - 7 and date '{d1}' - 1) / 7.0)
            """,
        ),
    }
    run = run_validation(built_faulty.config, record_of(built_faulty.config), data_docs=False)
    return built_faulty, run, expected


def test_faults_fail_validation(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    _, run, _ = faulty
    assert run.exit_code == ExitCode.FAILED
    status = {p.id: p.status for p in run.products}
    assert status["sales.orders"] == "failed"
    assert status["customers.customers"] == "failed"
    assert status["sales.sales_daily"] == "failed"
    assert "error" not in status.values(), run.report()


def test_nulls_fault_counted(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    _, run, expected = faulty
    assert expected["null_customers"] == expected["null_customers_by_rule"] > 0
    e = _expectation(run, "sales.orders", "expect_column_values_to_not_be_null", column="customer_id")
    assert e["status"] == "failed" and e["severity"] == "critical"
    assert e["unexpected_count"] == expected["null_customers"]


def test_duplicate_emails_counted(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    _, run, expected = faulty
    assert expected["duplicate_emails"] > 0
    e = _expectation(run, "customers.customers", "expect_column_values_to_be_unique", column="email")
    assert e["status"] == "failed" and e["severity"] == "critical"
    assert e["unexpected_count"] == expected["duplicate_emails"]


def test_duplicate_orders_counted(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    _, run, expected = faulty
    assert expected["duplicate_orders"] > 0
    e = _expectation(
        run,
        "sales.orders",
        "expect_compound_columns_to_be_unique",
        column_list=["customer_id", "ordered_at"],
    )
    assert e["status"] == "failed"
    assert e["unexpected_count"] == expected["duplicate_orders"]


def test_volume_drop_counted(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    _, run, expected = faulty
    assert expected["last_day_ratio"] < 0.5
    e = _expectation(
        run, "sales.sales_daily", "expect_column_values_to_be_between", column="order_count_vs_prior_7d"
    )
    assert e["status"] == "failed" and e["severity"] == "critical"
    assert e["unexpected_count"] == expected["volume_days"] >= 1


def test_faulty_results_written_and_loadable(faulty: tuple[Any, ValidationRun, dict[str, int]]) -> None:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    _, run, expected = faulty
    data = json.loads((run.output_dir / "sales.orders.json").read_text(encoding="utf-8"))
    result = ExpectationSuiteValidationResultSchema().load(data)
    assert result.success is False
    not_null = next(
        r
        for r in result.results
        if r.expectation_config.type == "expect_column_values_to_not_be_null"
        and r.expectation_config.kwargs["column"] == "customer_id"
    )
    assert not_null.result["unexpected_count"] == expected["null_customers"]


@pytest.fixture(scope="module")
def late(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ValidationRun, str]:
    from conftest import build_project

    built = build_project(tmp_path_factory.mktemp("late"), faults=("late",))
    assert built.build_returncode == 0
    newest = str(_sql(built.config.warehouse, "select max(ordered_at) from raw_shop.orders"))
    run = run_validation(built.config, record_of(built.config), data_docs=False)
    return built, run, newest


def test_late_data_fails_recency(late: tuple[Any, ValidationRun, str]) -> None:
    built, run, newest = late
    assert run.exit_code == ExitCode.FAILED
    stall = dt.datetime.combine(built.as_of - dt.timedelta(days=3), dt.time())
    assert dt.datetime.fromisoformat(newest) < stall
    e = _expectation(run, "sales.orders", "expect_column_max_to_be_between", column="ordered_at")
    assert e["status"] == "failed" and e["severity"] == "critical"
    assert dt.datetime.fromisoformat(str(e["observed_value"])) == dt.datetime.fromisoformat(newest)
    daily = _expectation(run, "sales.sales_daily", "expect_column_max_to_be_between", column="order_date")
    assert daily["status"] == "failed"
    assert daily["observed_value"] == (built.as_of - dt.timedelta(days=4)).isoformat()
