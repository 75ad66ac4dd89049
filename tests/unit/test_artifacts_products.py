"""Typed artifact readers and the shared data product model, on a trimmed real manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataproducts.artifacts import load_manifest, load_run_results, load_sources, schema_version
from dataproducts.errors import ArtifactError, ConfigError, UsageError
from dataproducts.products import descriptor_problems, load_products, parse_descriptor, select_products

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifest_small.json"


@pytest.fixture(scope="module")
def products():
    return {p.id: p for p in load_products(load_manifest(FIXTURE))}


def _write(tmp_path: Path, data: object, name: str = "manifest.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_schema_version_parsing() -> None:
    assert schema_version(
        {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}}
    ) == (
        "manifest",
        12,
    )
    assert schema_version({"metadata": {}}) is None
    assert schema_version([]) is None


def test_missing_truncated_wrong_kind_and_unsupported_version(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        load_manifest(tmp_path / "nope.json")
    text = FIXTURE.read_text()
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_manifest(_write(tmp_path, text[: len(text) // 2]))
    data = json.loads(text)
    with pytest.raises(ArtifactError, match="expected a dbt run-results artifact, found manifest"):
        load_run_results(_write(tmp_path, data))
    data["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v11.json"
    with pytest.raises(ArtifactError, match="unsupported manifest schema v11"):
        load_manifest(_write(tmp_path, data))
    with pytest.raises(ArtifactError, match="no metadata.dbt_schema_version"):
        load_sources(_write(tmp_path, {"results": []}))


def test_shape_errors_name_the_field(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    first = next(iter(data["nodes"]))
    data["nodes"][first]["columns"] = "oops"
    with pytest.raises(ArtifactError, match=f"nodes.{first}.columns"):
        load_manifest(_write(tmp_path, data))


def test_products_are_public_models_grouped_by_version(products) -> None:
    assert set(products) == {"customers.dim_customers", "sales.fct_orders", "marketing.cohort_retention"}
    dim = products["customers.dim_customers"]
    assert [v.version for v in dim.versions] == ["1", "2"]
    assert dim.latest.version == "2" and dim.relation == "customers.dim_customers_v2"
    assert dim.versions[0].deprecation_date is not None
    assert dim.is_versioned and not products["sales.fct_orders"].is_versioned
    assert all(v.contract_enforced for v in dim.versions)


def test_product_details(products) -> None:
    orders = products["sales.fct_orders"]
    assert orders.domain == "sales" and orders.owner.email
    assert {c.name for c in orders.columns} >= {"order_id", "customer_id"}
    order_id = next(c for c in orders.columns if c.name == "order_id")
    assert "primary_key" in order_id.constraints or "not_null" in order_id.constraints
    assert "source.dataproducts.shop.orders" in orders.upstream_sources
    assert any(t.startswith("test.") for t in orders.tests)
    retention = products["marketing.cohort_retention"]
    assert set(retention.upstream_products) == {"customers.dim_customers", "sales.fct_orders"}
    assert retention.exposures and retention.exposures[0].owner.email
    dim = products["customers.dim_customers"]
    assert any(c.personal_data for c in dim.columns)
    assert dim.descriptor.slo.freshness_max_age_hours and dim.descriptor.slo.availability.objective


def test_suite_path_defaults_to_expectations_domain_name(products, tmp_path: Path) -> None:
    orders = products["sales.fct_orders"]
    assert orders.suite_path(tmp_path).relative_to(tmp_path).as_posix() == (
        orders.descriptor.suite or "expectations/sales/fct_orders.json"
    )


def test_descriptor_never_coerces_a_wrong_value_into_a_default() -> None:
    assert parse_descriptor({}).raw == {} and parse_descriptor({}).problems == ()
    d = parse_descriptor(
        {"data_product": {"slo": {"window_days": "x", "freshness": {"max_age_hours": "12"}}}},
        file="models/x/_x__models.yml",
        model="x",
    )
    assert [p.key for p in d.problems] == ["slo.window_days", "slo.freshness.max_age_hours"]
    assert str(d.problems[1]) == (
        "models/x/_x__models.yml: x: config.meta.data_product.slo.freshness.max_age_hours: "
        'expected a number, got "12"'
    )
    assert d.slo.freshness_max_age_hours is None  # left out, not read as 12


def _with_descriptor_change(key: str, value: object) -> dict:
    data = json.loads(FIXTURE.read_text())
    node = data["nodes"]["model.dataproducts.fct_orders"]
    node["patch_path"] = "dataproducts://models/sales/marts/_sales__models.yml"
    target = node["config"]["meta"]["data_product"]
    *parents, last = key.split(".")
    for part in parents:
        target = target[part]
    target[last] = value
    return data


def test_load_products_refuses_a_wrong_descriptor_naming_file_and_key(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, _with_descriptor_change("owner.email", 42)))
    with pytest.raises(ConfigError) as caught:
        load_products(manifest)
    assert str(caught.value) == (
        "models/sales/marts/_sales__models.yml: fct_orders: config.meta.data_product.owner.email: "
        "expected a string, got 42"
    )
    # dp check's way: the product is loaded, the problem kept, the wrong value left out
    (orders,) = [p for p in load_products(manifest, strict=False) if p.name == "fct_orders"]
    assert [p.key for p in orders.descriptor_problems] == ["owner.email"]
    assert orders.descriptor.owner.email is None
    assert [p.key for p in descriptor_problems(manifest)] == ["owner.email"]


def test_a_wrong_domain_is_no_internal_error(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, _with_descriptor_change("domain", 123)))
    with pytest.raises(
        ConfigError, match=r"_sales__models.yml: fct_orders: config.meta.data_product.domain: "
    ):
        load_products(manifest)
    (orders,) = [p for p in load_products(manifest, strict=False) if p.name == "fct_orders"]
    assert orders.id == "sales.fct_orders"  # the group's domain, not 123


def test_a_descriptor_problem_names_the_versions_yaml_file(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    node = data["nodes"]["model.dataproducts.dim_customers.v1"]
    node["patch_path"] = "dataproducts://models/customers/marts/_customers__models.yml"
    node["config"]["meta"]["data_product"]["slo"]["window_days"] = "7"
    node["config"]["meta"]["data_product"]["slo"]["validity"]["min_pass_rate"] = "0.5"
    with pytest.raises(ConfigError) as caught:
        load_products(load_manifest(_write(tmp_path, data)))
    assert str(caught.value) == (
        "models/customers/marts/_customers__models.yml: dim_customers v1: "
        'config.meta.data_product.slo.window_days: expected an integer, got "7" (and 1 more; dp check lists them)'
    )


def test_select_products(products) -> None:
    items = sorted(products.values(), key=lambda p: p.id)
    assert [p.id for p in select_products(items, ["fct_orders"])] == ["sales.fct_orders"]
    assert [p.id for p in select_products(items, ["customers.dim_customers,marketing"])] == [
        "customers.dim_customers",
        "marketing.cohort_retention",
    ]
    assert len(select_products(items, None)) == 3
    with pytest.raises(UsageError, match="nope"):
        select_products(items, ["nope"])


def test_own_description_drops_the_generated_card() -> None:
    from dataproducts.products import CARD_MARKER, own_description

    text = f"**Grain: one row per order**.\n\n{CARD_MARKER}\n\n**Data product `sales.fct_orders`** ..."
    assert own_description(text) == "**Grain: one row per order**."
    assert own_description("plain") == "plain"


def test_product_description_is_the_products_own(products) -> None:
    assert all("Data product `" not in p.description for p in products.values())
