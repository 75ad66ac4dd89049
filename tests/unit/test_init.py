"""The pure parts of `dp init`: domains, personal-data guesses, bounds, suites from a manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataproducts.artifacts import Node, load_manifest
from dataproducts.init import NOT_PERSONAL, PERSONAL_DATA, Profile, _domain, _nice, _standards_text, _suite
from dataproducts.validation.registry import EXPECTATIONS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _node(path: str, **extra: object) -> Node:
    return Node.model_validate(
        {"unique_id": "model.p.x", "resource_type": "model", "name": "x", "original_file_path": path, **extra}
    )


@pytest.mark.parametrize(
    ("path", "extra", "domain"),
    [
        ("models/marts/finance/revenue.sql", {}, "finance"),
        ("models/marts/revenue.sql", {}, "shop"),
        ("models/sales/marts/orders.sql", {}, "sales"),
        ("models/marts/finance/revenue.sql", {"config": {"group": "Money Team"}}, "money_team"),
        ("models/marts/x.sql", {"config": {"meta": {"domain": "ops"}}}, "ops"),
    ],
)
def test_the_domain_is_group_meta_folder_or_project(path: str, extra: dict[str, object], domain: str) -> None:
    assert _domain(_node(path, **extra), "Shop") == domain


@pytest.mark.parametrize(
    "name",
    ["email", "customer_email", "first_name", "lastname", "phone_number", "street", "birth_date", "iban"],
)
def test_personal_names_are_guessed(name: str) -> None:
    assert PERSONAL_DATA.search(name) and not NOT_PERSONAL.search(name)


@pytest.mark.parametrize(
    "name", ["credit_card_amount", "email_count", "order_id", "amount", "status", "emailed"]
)
def test_measures_and_ordinary_names_are_not_personal(name: str) -> None:
    assert not PERSONAL_DATA.search(name) or NOT_PERSONAL.search(name)


@pytest.mark.parametrize(
    ("value", "up", "nice"),
    [
        (0, True, 0),
        (1234, True, 1300),
        (1234, False, 1200),
        (-37, False, -37),
        (-372, False, -380),
        (0.123, True, 0.13),
    ],
)
def test_bounds_are_rounded_outwards_to_two_digits(value: float, up: bool, nice: float) -> None:
    assert _nice(value, up) == pytest.approx(nice)


def test_a_suite_takes_the_tests_and_the_profile_and_only_types_the_engine_compiles() -> None:
    manifest = load_manifest(FIXTURES / "manifest_small.json")
    tested = {
        t.attached_node
        for t in manifest.tests()
        if t.test_metadata is not None and t.test_metadata.name in ("not_null", "accepted_values")
    }
    node = next(n for n in manifest.models() if n.unique_id in tested and n.columns)
    columns = list(node.columns)
    profile = Profile(
        rows=100,
        types=dict.fromkeys(columns, "INTEGER"),
        non_null={c: (100 if i % 2 == 0 else 80) for i, c in enumerate(columns)},
        minimum={columns[-1]: 5.0},
        maximum={columns[-1]: 420.0},
    )
    suite, origin = _suite(manifest, node, "d.x", profile)
    kinds = [e["type"] for e in suite["expectations"]]
    assert set(kinds) <= set(EXPECTATIONS), "every expectation is one the registry knows"
    assert origin["dbt tests"] > 0 and origin["profiled"] > 0
    band = next(e for e in suite["expectations"] if e["type"] == "expect_table_row_count_to_be_between")
    assert band["kwargs"] == {"min_value": 50, "max_value": 200}
    half_filled = [
        e
        for e in suite["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null" and e["kwargs"].get("mostly") is not None
    ]
    assert all(e["kwargs"]["mostly"] == 0.72 and e["severity"] == "warning" for e in half_filled)
    assert all(e["severity"] in ("critical", "warning") and e["description"] for e in suite["expectations"])
    # one expectation per check: a not_null test and a profiled "no nulls" are not both written
    keys = [(e["type"], str(e["kwargs"].get("column"))) for e in suite["expectations"]]
    nulls = [k for k in keys if k[0] == "expect_column_values_to_not_be_null"]
    assert len(nulls) == len(set(nulls))


def test_the_standards_proposal_lists_shared_columns_and_type_conflicts() -> None:
    text = _standards_text(
        {
            "customer_id": [
                ("a.x", "integer", "The customer."),
                ("b.y", "bigint", ""),
                ("c.z", "integer", ""),
            ],
            "only_here": [("a.x", "varchar", "")],
        }
    )
    assert text is not None and "Types differ between products for: customer_id (bigint, integer)" in text
    data = yaml.safe_load(text)
    assert data["columns"] == [
        {"name": "customer_id", "data_type": "integer", "description": "The customer."}
    ]
    assert _standards_text({"a": [("a.x", "int", "")]}) is None


@pytest.mark.parametrize(("enforced", "materialized"), [(True, "table"), (False, "table"), (True, "view")])
def test_constraints_become_expectations_only_where_nothing_enforces_them(
    enforced: bool, materialized: str
) -> None:
    """An enforced contract on a table checks not_null and primary_key at insert: restating them in the suite
    (or a not_null/unique test on those columns) is a dead check (DP018); on a view or without an enforced
    contract the suite is where they get checked."""
    manifest = load_manifest(FIXTURES / "manifest_small.json")
    node = Node.model_validate(
        {
            "unique_id": "model.p.orders",
            "resource_type": "model",
            "name": "orders",
            "original_file_path": "models/marts/orders.sql",
            "config": {"contract": {"enforced": enforced}, "materialized": materialized},
            "columns": {
                "order_id": {"name": "order_id", "constraints": [{"type": "primary_key"}]},
                "status": {"name": "status", "constraints": [{"type": "not_null"}]},
                "note": {"name": "note"},
            },
        }
    )
    suite, _ = _suite(manifest, node, "d.orders", None)
    stated = {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]}
    restated = {
        ("expect_column_values_to_not_be_null", "order_id"),
        ("expect_column_values_to_be_unique", "order_id"),
        ("expect_column_values_to_not_be_null", "status"),
    }
    if enforced and materialized == "table":
        assert not stated & restated
    else:
        assert restated <= stated
