"""The access policy: roles.yml, the matrix `dp access` prints, and the DP019-DP023 rules of `dp check`."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataproducts.artifacts import Manifest
from dataproducts.errors import ConfigError
from dataproducts.governance.access import (
    PORTS,
    AccessRow,
    Roles,
    build_matrix,
    load_roles,
    parse_roles,
    render_json,
    render_table,
)
from dataproducts.governance.check import Finding, evaluate
from dataproducts.governance.standards import build_standards
from dataproducts.products import load_products

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
DIM_V1 = "model.dataproducts.dim_customers.v1"
DIM_V2 = "model.dataproducts.dim_customers.v2"
FCT = "model.dataproducts.fct_orders"
ROLES = load_roles(REPO)


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def _matrix(data: dict[str, Any], roles: Roles = ROLES) -> list[AccessRow]:
    return build_matrix(load_products(Manifest.model_validate(data)), roles)


def _row(rows: list[AccessRow], product: str, version: int | None, role: str, port: str) -> AccessRow:
    (row,) = (r for r in rows if (r.product, r.version, r.role, r.port) == (product, version, role, port))
    return row


# --- roles.yml --------------------------------------------------------------------------------------------


def test_the_project_roles_are_declared_with_one_domain_role_per_domain() -> None:
    assert ROLES.file == "roles.yml"
    kinds = {r.name: r.kind for r in ROLES.roles}
    assert {n for n, k in kinds.items() if k == "domain"} == {
        "domain_customers",
        "domain_sales",
        "domain_operations",
        "domain_marketing",
    }
    assert kinds["analysts"] == "broad" and ROLES.domain_role("sales") == "domain_sales"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "expected a mapping with one key `roles`"),
        ({"roles": "x"}, "roles: expected a list"),
        ({"roles": [{"name": "Bad", "kind": "broad", "description": "d"}]}, "roles[0] (Bad).name"),
        ({"roles": [{"name": "a", "kind": "team", "description": "d"}]}, "roles[0] (a).kind"),
        ({"roles": [{"name": "a", "kind": "broad"}]}, "roles[0] (a).description"),
        (
            {"roles": [{"name": "sales", "kind": "domain", "domain": "sales", "description": "d"}]},
            "a domain role is named domain_sales, not sales",
        ),
        (
            {"roles": [{"name": "a", "kind": "application", "domain": "sales", "description": "d"}]},
            "only a domain role has `domain`",
        ),
        (
            {"roles": [{"name": "a", "kind": "broad", "description": "d"}] * 2},
            "roles[1] (a): role 'a' is declared twice",
        ),
    ],
)
def test_a_wrong_roles_file_is_a_config_error_naming_the_entry(data: Any, message: str) -> None:
    with pytest.raises(ConfigError, match="^roles.yml") as caught:
        parse_roles(data)
    assert message in str(caught.value)


def test_a_project_without_roles_yml_has_no_roles(tmp_path: Path) -> None:
    roles = load_roles(tmp_path)
    assert roles.roles == () and roles.file is None


# --- the matrix -------------------------------------------------------------------------------------------


def test_matrix_rows_cover_every_version_role_and_port(base: dict[str, Any]) -> None:
    rows = _matrix(base)
    versions = sum(len(p.versions) for p in load_products(Manifest.model_validate(base)))
    assert len(rows) == versions * len(ROLES.roles) * len(PORTS)
    assert len({(r.product, r.version, r.role, r.port) for r in rows}) == len(rows)


def test_owning_domain_reads_in_clear_masked_readers_read_the_masked_view(base: dict[str, Any]) -> None:
    rows = _matrix(base)
    own = _row(rows, "customers.dim_customers", 2, "domain_customers", "postgres")
    assert own.allowed and own.masked_columns == () and own.relation == "customers.dim_customers_v2"
    sales = _row(rows, "customers.dim_customers", 2, "domain_sales", "postgres")
    assert sales.allowed and sales.relation == "customers.dim_customers_v2_masked"
    assert set(sales.masked_columns) == {"first_name", "last_name", "email", "phone", "street", "postal_code"}
    files = _row(rows, "customers.dim_customers", 2, "domain_sales", "files")
    assert files.relation == "roles/domain_sales/customers/dim_customers_v2"
    assert files.masked_columns == sales.masked_columns
    # v1 has its own policy: the newsletter sync reads it in clear, sales not at all
    sync = _row(rows, "customers.dim_customers", 1, "app_newsletter_sync", "postgres")
    assert sync.allowed and sync.masked_columns == () and sync.relation == "customers.dim_customers_v1"
    refused = _row(rows, "customers.dim_customers", 1, "domain_sales", "postgres")
    assert not refused.allowed and refused.relation == "customers.dim_customers_v1"
    assert refused.masked_columns == ()
    # a product without personal data has no masked relation
    analysts = _row(rows, "sales.fct_orders", None, "analysts", "postgres")
    assert analysts.allowed and analysts.relation == "sales.fct_orders" and analysts.version is None


def test_without_a_policy_only_the_owner_reads_and_marked_columns_stay_masked(base: dict[str, Any]) -> None:
    data = copy.deepcopy(base)
    for node in (data["nodes"][DIM_V2]["config"]["meta"], data["nodes"][DIM_V2]["meta"]):
        node["data_product"]["access"] = {"readers": ["domain_sales"], "personal_columns": []}
    for node in (data["nodes"][FCT]["config"]["meta"], data["nodes"][FCT]["meta"]):
        del node["data_product"]["access"]
    rows = _matrix(data)
    owner_only = [r.role for r in rows if r.product == "sales.fct_orders" and r.allowed]
    assert owner_only == ["domain_sales"] * len(PORTS)
    # the policy forgot the personal columns: the column meta still masks them (dp check reports it)
    sales = _row(rows, "customers.dim_customers", 2, "domain_sales", "postgres")
    assert "email" in sales.masked_columns


def test_undeclared_roles_read_nothing(base: dict[str, Any]) -> None:
    rows = _matrix(base, Roles())
    assert rows == []
    only_analysts = parse_roles({"roles": [{"name": "analysts", "kind": "broad", "description": "d"}]})
    rows = _matrix(base, only_analysts)
    assert {r.product for r in rows if r.allowed} == {"sales.fct_orders", "marketing.cohort_retention"}


def test_json_and_table_renderings(base: dict[str, Any]) -> None:
    rows = _matrix(base)
    data = json.loads(render_json(rows))
    assert set(data[0]) == {"product", "version", "role", "port", "relation", "allowed", "masked_columns"}
    assert all(isinstance(d["masked_columns"], list) for d in data)
    table = render_table(rows).splitlines()
    assert table[0].split() == ["product", "version", "role", "port", "allowed", "relation", "masked_columns"]
    assert table[-1].startswith(f"{len(rows)} rows: ")


# --- dp check: DP019-DP023 --------------------------------------------------------------------------------

STANDARDS = build_standards([])


def _findings(base: dict[str, Any], mutate: Callable[[dict[str, Any]], None]) -> list[Finding]:
    data = copy.deepcopy(base)
    mutate(data)
    _, findings, _ = evaluate(
        Manifest.model_validate(data), project_dir=REPO, standards=STANDARDS, roles=ROLES
    )
    return [f for f in findings if f[1] in {"DP019", "DP020", "DP021", "DP022", "DP023"}]


def _policy(uid: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        for meta in (data["nodes"][uid]["config"]["meta"], data["nodes"][uid]["meta"]):
            if changes.get("drop"):
                del meta["data_product"]["access"]
            else:
                meta["data_product"]["access"].update(changes)

    return mutate


def test_the_fixture_policies_pass(base: dict[str, Any]) -> None:
    assert _findings(base, lambda d: None) == []


@pytest.mark.parametrize(
    ("uid", "changes", "expected"),
    [
        (
            FCT,
            {"readers": ["analysts", "finance"]},
            [("DP019", "access.readers[1]: names role 'finance', not declared in roles.yml")],
        ),
        (
            DIM_V2,
            {"personal_columns": ["first_name", "last_name", "email", "street", "postal_code", "nickname"]},
            [
                ("DP020", "access.personal_columns needs phone (marked meta.personal_data: true)"),
                ("DP020", "access.personal_columns[5]: names nickname, not a column of the version"),
            ],
        ),
        (
            DIM_V1,
            {"unmasked": ["app_newsletter_sync", "domain_sales"]},
            [("DP021", "access.unmasked[1]: names domain_sales, not one of access.readers")],
        ),
        (
            DIM_V2,
            {"readers": ["domain_sales", "analysts"]},
            [
                (
                    "DP022",
                    "access.readers[1]: names analysts, a broad role, in a product classified restricted",
                )
            ],
        ),
        (
            DIM_V2,
            {"drop": True},
            [
                ("DP020", "access.personal_columns is missing: personal_data is true"),
                ("DP023", "config.meta.data_product.access is missing"),
            ],
        ),
    ],
)
def test_each_policy_rule_names_file_model_and_key(
    base: dict[str, Any], uid: str, changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    findings = _findings(base, _policy(uid, **changes))
    assert [f[1] for f in findings] == [e[0] for e in expected]
    for (_, _, message), (_, text) in zip(findings, expected, strict=True):
        assert text in message
        assert message.startswith("models/")  # the YAML file, then the model and version
        assert (" dim_customers v" in message) or (" fct_orders:" in message)


def test_without_roles_yml_every_named_role_is_a_violation(base: dict[str, Any]) -> None:
    _, findings, _ = evaluate(
        Manifest.model_validate(base), project_dir=REPO, standards=STANDARDS, roles=Roles()
    )
    messages = [f[2] for f in findings if f[1] == "DP019"]
    assert messages and all("the project has no roles.yml to declare it" in m for m in messages)


# --- the catalog and the dbt docs product cards: who may read, what is masked, how to ask ---------------------


def test_catalog_shows_readers_masked_columns_and_how_to_request_access(base: dict[str, Any]) -> None:
    from dataproducts.governance.catalog import build_catalog
    from dataproducts.render.catalog import render_docs_blocks, render_html, render_json, render_markdown

    catalog = build_catalog(Manifest.model_validate(base), ROLES)
    entry = next(e for e in catalog.products if e.id == "customers.dim_customers")
    assert entry.access is not None
    assert entry.access.readers == ("domain_customers", "domain_sales", "domain_marketing")
    assert entry.access.unmasked == ("domain_customers",)
    assert "email" in entry.access.masked_columns
    assert entry.access.request == "Ask Customer Data (customer-data@example.com)."
    data = json.loads(render_json(catalog))
    as_json = next(p for p in data["products"] if p["id"] == "customers.dim_customers")["access"]
    assert as_json["readers"] == ["domain_customers", "domain_sales", "domain_marketing"]
    assert "how to request access: Ask Customer Data" in render_markdown(catalog)
    html = render_html(catalog)
    assert "how to request access" in html and "<code>domain_sales</code>" in html
    cards = render_docs_blocks(catalog)
    assert "| How to request access | Ask Customer Data (customer-data@example.com). |" in cards
