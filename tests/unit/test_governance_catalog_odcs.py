"""Catalog and ODCS contracts built from the trimmed manifest fixture (no dbt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dataproducts.artifacts import load_manifest
from dataproducts.errors import SuiteError
from dataproducts.governance.catalog import build_catalog, write_catalog
from dataproducts.governance.odcs import (
    ContractError,
    Ports,
    PostgresPort,
    build_contract,
    export_contracts,
    logical_type,
    postgres_port,
    quality_rule,
    validation_errors,
)
from dataproducts.products import load_products
from dataproducts.render.catalog import render_html, render_json, render_markdown

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(FIXTURE)


def test_catalog_lists_every_product_with_lineage(manifest, tmp_path: Path) -> None:
    catalog = build_catalog(manifest)
    entries = {e.id: e for e in catalog.products}
    assert set(entries) == {"customers.dim_customers", "marketing.cohort_retention", "sales.fct_orders"}
    dim = entries["customers.dim_customers"]
    assert dim.owner == "Customer Data" and dim.owner_email == "customer-data@example.com"
    assert [(v.version, v.deprecation_date) for v in dim.versions] == [("1", "2027-06-30"), ("2", None)]
    assert dim.table == "customers.dim_customers_v2" and dim.address == "customers.dim_customers"
    assert dim.downstream_products == ("marketing.cohort_retention",)
    assert {c.name: c.reads for c in dim.consumers}["newsletter_sync"] == ("v1",)
    assert dim.slo["availability"]["objective"] == 0.99 and dim.refresh_cycle == "daily"
    assert entries["marketing.cohort_retention"].upstream_products == (
        "customers.dim_customers",
        "sales.fct_orders",
    )
    data = json.loads(render_json(catalog))
    assert [d["name"] for d in data["domains"]] == ["customers", "marketing", "sales"]
    md = render_markdown(catalog)
    assert "## customers.dim_customers" in md and "- v1: `customers.dim_customers_v1`" in md
    assert "deprecated on 2027-06-30" in md and "availability: 99% of runs" in md
    page = render_html(catalog)
    assert (
        '<section id="customers-dim-customers">' in page
        and "Customer Data &lt;customer-data@example.com&gt;" in page
    )
    paths = write_catalog(catalog, tmp_path / "catalog")
    assert [p.name for p in paths] == ["catalog.json", "catalog.md", "catalog.html"]
    assert not list((tmp_path / "catalog").glob(".*.tmp"))


@pytest.mark.parametrize(
    ("data_type", "logical"),
    [
        ("integer", "integer"),
        ("BIGINT", "integer"),
        ("decimal(12,2)", "number"),
        ("double", "number"),
        ("varchar", "string"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("boolean", "boolean"),
        (None, "string"),
    ],
)
def test_logical_types(data_type: str | None, logical: str) -> None:
    assert logical_type(data_type) == logical


def test_quality_rules_from_gx_expectations() -> None:
    column, rule = quality_rule(
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "id", "mostly": 0.99},
            "severity": "warning",
        }
    )
    assert column == "id" and rule["metric"] == "nullValues" and rule["mustBeLessOrEqualTo"] == 1.0
    assert rule["unit"] == "percent" and rule["severity"] == "warning"
    _, rule = quality_rule(
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["a"]}}
    )
    assert (
        rule["metric"] == "invalidValues"
        and rule["arguments"] == {"validValues": ["a"]}
        and rule["mustBe"] == 0
    )
    column, rule = quality_rule({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}})
    assert column is None and rule["mustBeGreaterOrEqualTo"] == 1
    _, rule = quality_rule(
        {"type": "expect_column_pair_values_a_to_be_greater_than_b", "kwargs": {"column_A": "a"}}
    )
    assert rule["type"] == "custom" and rule["engine"] == "great-expectations"


def test_contracts_validate_and_carry_the_product(manifest, tmp_path: Path) -> None:
    products = {p.id: p for p in load_products(manifest)}
    contract = build_contract(
        products["customers.dim_customers"], project_dir=REPO, warehouse="warehouse/x.duckdb"
    )
    assert validation_errors(contract) == []
    assert contract["id"] == "customers.dim_customers" and contract["version"] == "2.0.0"
    assert [s["name"] for s in contract["schema"]] == ["dim_customers_v2", "dim_customers_v1"]
    assert contract["schema"][1]["deprecated"] is True
    key = next(p for p in contract["schema"][0]["properties"] if p["name"] == "customer_id")
    assert key["primaryKey"] and key["primaryKeyPosition"] == 1 and key["required"] and key["unique"]
    email = next(p for p in contract["schema"][0]["properties"] if p["name"] == "email")
    assert email["classification"] == "restricted" and email["tags"] == ["personal_data"]
    assert contract["servers"] == [
        {
            "id": "duckdb_customers",
            "server": "duckdb-customers",
            "type": "duckdb",
            "environment": "prod",
            "description": "The project's DuckDB warehouse, built nightly by dbt.",
            "database": "warehouse/x.duckdb",
            "schema": "customers",
        }
    ]
    sla = {s["property"]: s for s in contract["slaProperties"]}
    assert sla["latency"]["value"] == 30 and sla["availabilityObjective"]["value"] == 99.0
    assert sla["endOfSupport"]["value"] == "2027-06-30" and sla["frequency"]["schedule"] == "0 6 * * *"
    assert contract["team"]["members"][0]["username"] == "customer-data@example.com"
    result = export_contracts(
        list(products.values()), project_dir=REPO, warehouse="w.duckdb", output=tmp_path
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in result.paths) == [
        "customers/dim_customers.odcs.yaml",
        "marketing/cohort_retention.odcs.yaml",
        "sales/fct_orders.odcs.yaml",
    ]
    assert validation_errors(yaml.safe_load(result.paths[0].read_text())) == []


def test_an_invalid_contract_is_an_error_and_nothing_is_written(
    manifest, tmp_path: Path, monkeypatch
) -> None:
    from dataproducts.governance import odcs

    monkeypatch.setattr(odcs, "API_VERSION", "v9.9.9")
    with pytest.raises(ContractError, match="does not validate: apiVersion"):
        export_contracts(
            load_products(manifest), project_dir=REPO, warehouse="w.duckdb", output=tmp_path / "out"
        )
    assert not (tmp_path / "out").exists()


def test_an_unreadable_suite_is_an_error_and_nothing_is_written(manifest, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(REPO / "expectations", tmp_path / "expectations")
    suite_path = tmp_path / "expectations" / "sales" / "orders.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"][0]["type"] = "expect_column_values_to_be_purple"
    suite_path.write_text(json.dumps(suite))
    with pytest.raises(
        SuiteError, match=r"orders.json: expectation #1 \(expect_column_values_to_be_purple\)"
    ):
        export_contracts(
            load_products(manifest), project_dir=tmp_path, warehouse="w.duckdb", output=tmp_path / "out"
        )
    assert not (tmp_path / "out").exists()


def test_every_port_is_a_server_and_the_contract_still_validates(manifest) -> None:
    products = {p.id: p for p in load_products(manifest)}
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:  # an access matrix row (governance.access.AccessRow)
        product: str
        version: int | None
        role: str
        port: str
        relation: str
        allowed: bool
        masked_columns: tuple[str, ...] = ()

    product = "customers.dim_customers"
    ports = Ports(
        postgres=PostgresPort(host="127.0.0.1", port="${DP_PG_PORT}", database="dataproducts"),
        files_run="files/runs/20261120T060312Z-5b7e9c1a",
        access=[
            Row(product, 2, "domain_customers", "postgres", "customers.dim_customers_v2", True),
            Row(product, 2, "analysts", "postgres", "customers.dim_customers_v2_masked", True, ("email",)),
            Row(product, 2, "domain_sales", "postgres", "customers.dim_customers_v2", False),
            Row(
                product, 2, "analysts", "files", "roles/analysts/customers/dim_customers_v2", True, ("email",)
            ),
        ],
    )
    contract = build_contract(
        products["customers.dim_customers"], project_dir=REPO, warehouse="warehouse/x.duckdb", ports=ports
    )
    assert validation_errors(contract) == []
    servers = {s["id"]: s for s in contract["servers"]}
    assert set(servers) == {"duckdb_customers", "postgres_customers", "files_customers"}
    pg = servers["postgres_customers"]
    assert (pg["type"], pg["host"], pg["port"], pg["database"], pg["schema"]) == (
        "postgres",
        "127.0.0.1",
        "${DP_PG_PORT}",
        "dataproducts",
        "customers",
    )
    assert pg["roles"] == [
        {
            "role": "domain_customers",
            "access": "read",
            "description": "reads customers.dim_customers_v2",
            "firstLevelApprovers": "customer-data@example.com",
        },
        {
            "role": "analysts",
            "access": "read, personal data masked",
            "description": "reads customers.dim_customers_v2_masked (email NULL)",
            "firstLevelApprovers": "customer-data@example.com",
        },
    ]
    files = servers["files_customers"]
    assert [r["role"] for r in files["roles"]] == ["analysts"]
    assert "roles" not in servers["duckdb_customers"]
    assert files["type"] == "local" and files["format"] == "parquet"
    assert files["path"] == "files/runs/20261120T060312Z-5b7e9c1a/data/clear/customers/{model}/*.parquet"


def test_the_postgres_server_comes_from_the_profile_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataproducts.config import load_config

    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    profile = {
        "shop": {
            "target": "local",
            "outputs": {
                "local": {"type": "duckdb", "path": "warehouse/shop.duckdb"},
                "postgres": {
                    "type": "postgres",
                    "host": "{{ env_var('DP_PG_HOST', '127.0.0.1') }}",
                    "port": "{{ env_var('DP_PG_PORT') | as_number }}",
                    "user": "{{ env_var('DP_PG_USER') }}",
                    "password": "{{ env_var('DP_PG_PASSWORD') }}",
                    "dbname": "{{ env_var('DP_PG_DATABASE', 'shop') }}",
                    "schema": "public",
                },
            },
        }
    }
    (tmp_path / "profiles.yml").write_text(yaml.safe_dump(profile))
    for name in ("DP_PG_HOST", "DP_PG_PORT", "DP_PG_DATABASE", "DBT_PROFILES_DIR", "DBT_TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DP_PG_PASSWORD", "s3cret")
    assert postgres_port(load_config(tmp_path)) == PostgresPort("127.0.0.1", "${DP_PG_PORT}", "shop")
    monkeypatch.setenv("DP_PG_PORT", "55432")
    monkeypatch.setenv("DP_PG_HOST", "db.internal")
    assert postgres_port(load_config(tmp_path)) == PostgresPort("db.internal", 55432, "shop")
    (tmp_path / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                "shop": {
                    "target": "local",
                    "outputs": {"local": {"type": "duckdb", "path": "warehouse/shop.duckdb"}},
                }
            }
        )
    )
    assert postgres_port(load_config(tmp_path)) is None
