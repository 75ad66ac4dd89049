"""`dp catalog` and `dp export odcs` on the real project (dbt parse), contracts validated against ODCS v3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import REPO, dp
from dataproducts.governance.odcs import odcs_schema, validation_errors


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("governance")
    common = [
        "--project-dir",
        str(REPO),
        "--target-dir",
        str(tmp / "target"),
        "--reports-dir",
        str(tmp / "reports"),
    ]
    catalog = dp("catalog", *common)
    assert catalog.returncode == 0, catalog.stderr
    assert not (tmp / "target").exists(), "dp catalog parses into a private folder, never the target"
    export = dp("export", "odcs", *common)
    assert export.returncode == 0, export.stderr
    assert export.stdout.splitlines()[-1].startswith("dp export odcs: ")
    return tmp / "reports"


def _products(outputs: Path) -> list[dict]:
    return json.loads((outputs / "catalog" / "catalog.json").read_text())["products"]


def test_catalog_lists_every_product(outputs: Path) -> None:
    products = _products(outputs)
    ids = {p["id"] for p in products}
    assert {"customers.customers", "sales.orders", "operations.service_health_daily"} <= ids
    for product in products:
        assert product["owner"] and product["owner_email"] and product["description"]
        assert product["address"] == product["id"] and product["table"]
        assert product["interfaces"] and product["refresh_cycle"] and product["slo"]["window_days"]
        assert product["consumers"], product["id"]
    orders = next(p for p in products if p["id"] == "sales.orders")
    assert "sales.sales_daily" in orders["downstream_products"]
    md = (outputs / "catalog" / "catalog.md").read_text()
    page = (outputs / "catalog" / "catalog.html").read_text()
    for product in products:
        assert f"## {product['id']}" in md
        assert f"<h2>{product['id']}</h2>" in page


def test_every_product_has_a_valid_odcs_contract(outputs: Path) -> None:
    schema = odcs_schema()
    products = _products(outputs)
    for product in products:
        path = outputs / "contracts" / product["domain"] / f"{product['name']}.odcs.yaml"
        contract = yaml.safe_load(path.read_text())
        assert validation_errors(contract, schema) == [], path
        assert contract["apiVersion"].startswith("v3.") and contract["id"] == product["id"]
        (server, *_) = contract["servers"]
        assert server["type"] == "duckdb" and server["database"].endswith(".duckdb")
        assert server["schema"] == product["table"].split(".")[0]
        properties = contract["schema"][0]["properties"]
        keys = [p for p in properties if p.get("primaryKey")]
        assert keys and all(p["required"] for p in keys), path
        quality = [q for p in properties for q in p.get("quality", [])] + contract["schema"][0].get(
            "quality", []
        )
        assert quality, f"{path}: no quality rules from the suite"
        sla = {s["property"] for s in contract["slaProperties"]}
        assert {"frequency", "latency", "availabilityObjective"} <= sla, path
        assert contract["team"]["members"][0]["role"] == "owner"


def test_the_dbt_docs_product_cards_are_up_to_date(outputs: Path) -> None:
    """models/docs/_product_cards.md is generated; a descriptor or exposure change must regenerate it."""
    from dataproducts.artifacts import load_manifest
    from dataproducts.config import load_config
    from dataproducts.dbt import run_dbt
    from dataproducts.governance.access import load_roles
    from dataproducts.governance.catalog import build_catalog
    from dataproducts.render.catalog import render_docs_blocks

    parsed = outputs.parent / "parsed"
    parse = run_dbt(load_config(REPO), ["parse", "--quiet"], quiet=True, target_dir=parsed)
    assert parse.returncode == 0, parse.output
    manifest = load_manifest(parsed / "manifest.json")
    committed = (REPO / "models" / "docs" / "_product_cards.md").read_text()
    assert committed == render_docs_blocks(build_catalog(manifest, load_roles(REPO))), (
        "models/docs/_product_cards.md is stale: run `dp catalog --docs-blocks models/docs/_product_cards.md`"
    )
