"""dp diff's classification and changelog on the trimmed manifest fixture and mutated copies of it."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataproducts.artifacts import Manifest
from dataproducts.errors import ArtifactError
from dataproducts.governance.diff import DiffReport, Kind, diff_manifests, load_state_manifest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifest_small.json"
FCT = "model.dataproducts.fct_orders"
V1 = "model.dataproducts.dim_customers.v1"
V2 = "model.dataproducts.dim_customers.v2"
BEFORE_DEPRECATION = dt.date(2026, 11, 20)  # dim_customers v1 is deprecated on 2027-06-30


@pytest.fixture(scope="module")
def old() -> dict[str, Any]:
    data = json.loads(FIXTURE.read_text())
    data["exposures"]["exposure.dataproducts.sales_dashboard"] = {
        "unique_id": "exposure.dataproducts.sales_dashboard",
        "name": "sales_dashboard",
        "type": "dashboard",
        "url": "https://bi.example.com/sales",
        "owner": {"name": "Sales Leadership", "email": "sales-lead@example.com"},
        "depends_on": {"nodes": [FCT], "macros": []},
    }
    return data


def _diff(
    old: dict[str, Any], mutate: Callable[[dict[str, Any]], None], as_of: dt.date = BEFORE_DEPRECATION
) -> DiffReport:
    new = copy.deepcopy(old)
    mutate(new)
    return diff_manifests(
        Manifest.model_validate(old), Manifest.model_validate(new), as_of=as_of, state="prod"
    )


def _changes(report: DiffReport, product: str) -> list[tuple[str, str, str]]:
    (d,) = [d for d in report.diffs if d.product == product]
    return [(str(c.kind), c.what, c.detail) for c in d.changes]


def _columns(d: dict[str, Any], uid: str = FCT) -> dict[str, Any]:
    return d["nodes"][uid]["columns"]


def test_no_change(old: dict[str, Any]) -> None:
    report = _diff(old, lambda d: None)
    assert report.diffs == () and report.exit_code == 0
    assert "sales.fct_orders" in report.unchanged
    assert "No data product changed." in report.render_markdown()


def test_removed_column_is_breaking_and_names_exposures_and_owners(old: dict[str, Any]) -> None:
    report = _diff(old, lambda d: _columns(d).pop("shipping_country_code"))
    assert report.exit_code == 1
    assert _changes(report, "sales.fct_orders") == [("breaking", "column removed", "`shipping_country_code`")]
    (d,) = report.breaking
    assert [e.name for e in d.exposures] == ["sales_dashboard"]
    assert d.owners_to_tell == (
        "Sales Analytics <sales-analytics@example.com>",
        "Sales Leadership <sales-lead@example.com>",
    )
    md = report.render_markdown()
    assert "**Breaking changes to public products not released as a new version: `sales.fct_orders`.**" in md
    assert "| `sales.fct_orders` | breaking (changed) | sales_dashboard |" in md
    # owners' "<email>" is escaped text, not raw HTML (nor an autolink)
    assert "- `sales_dashboard` (dashboard), owned by Sales Leadership \\<sales-lead@example.com\\>" in md
    assert "| breaking | column removed | `shipping_country_code` |" in md


def test_retyped_column_is_breaking(old: dict[str, Any]) -> None:
    report = _diff(old, lambda d: _columns(d)["customer_id"].update(data_type="bigint"))
    assert report.exit_code == 1
    assert _changes(report, "sales.fct_orders") == [
        ("breaking", "type changed", "`customer_id`: integer -> bigint")
    ]


def test_same_type_spelled_differently_is_no_change(old: dict[str, Any]) -> None:
    report = _diff(old, lambda d: _columns(d)["customer_id"].update(data_type="INT"))
    assert report.diffs == ()


def test_renamed_column_is_breaking(old: dict[str, Any]) -> None:
    def rename(d: dict[str, Any]) -> None:
        columns = _columns(d)
        d["nodes"][FCT]["columns"] = {
            ("order_status" if k == "status" else k): ({**v, "name": "order_status"} if k == "status" else v)
            for k, v in columns.items()
        }

    report = _diff(old, rename)
    assert _changes(report, "sales.fct_orders") == [
        ("breaking", "column renamed", "`status` is now `order_status`")
    ]


def test_added_column_is_non_breaking(old: dict[str, Any]) -> None:
    def add(d: dict[str, Any]) -> None:
        _columns(d)["channel"] = {"name": "channel", "data_type": "varchar", "description": "Sales channel."}

    report = _diff(old, add)
    assert report.exit_code == 0 and report.breaking == ()
    assert _changes(report, "sales.fct_orders") == [("non-breaking", "column added", "`channel` (varchar)")]
    assert "dp diff OK" in report.render_text()


def test_constraints_and_contract(old: dict[str, Any]) -> None:
    def drop_not_null(d: dict[str, Any]) -> None:
        column = _columns(d)["status"]
        column["constraints"] = [c for c in column["constraints"] if c["type"] != "not_null"]
        _columns(d)["shipping_country_code"]["constraints"] = [{"type": "not_null"}]

    changes = _changes(_diff(old, drop_not_null), "sales.fct_orders")
    assert ("breaking", "constraint removed", "not_null on `status`") in changes
    assert ("non-breaking", "constraint added", "not_null on `shipping_country_code`") in changes
    report = _diff(old, lambda d: d["nodes"][FCT]["config"]["contract"].update(enforced=False))
    assert _changes(report, "sales.fct_orders") == [
        ("breaking", "contract dropped", "the contract is no longer enforced")
    ]


def test_removed_version_before_and_after_its_deprecation_date(old: dict[str, Any]) -> None:
    def drop_v1(d: dict[str, Any]) -> None:
        d["nodes"].pop(V1)

    report = _diff(old, drop_v1)
    assert report.exit_code == 1
    assert _changes(report, "customers.dim_customers") == [
        ("breaking", "version removed", "before its deprecation date 2027-06-30")
    ]
    (d,) = report.breaking
    assert [e.name for e in d.exposures] == ["newsletter_sync"]  # the reader of v1, not of v2
    after = _diff(old, drop_v1, as_of=dt.date(2027, 7, 1))
    assert after.exit_code == 0
    assert _changes(after, "customers.dim_customers") == [
        ("non-breaking", "version retired", "on or after its deprecation date 2027-06-30")
    ]


def test_breaking_shape_released_as_a_new_version_passes(old: dict[str, Any]) -> None:
    def add_v3(d: dict[str, Any]) -> None:
        v3 = copy.deepcopy(d["nodes"][V2])
        v3.update(unique_id="model.dataproducts.dim_customers.v3", version=3, alias="dim_customers_v3")
        v3["columns"].pop("email")
        d["nodes"][v3["unique_id"]] = v3
        for node in (d["nodes"][V1], d["nodes"][V2], v3):
            node["latest_version"] = 3

    report = _diff(old, add_v3)
    assert report.exit_code == 0
    assert _changes(report, "customers.dim_customers") == [("non-breaking", "new version", "v3 added")]


def test_documentation_and_logic_changes(old: dict[str, Any]) -> None:
    def docs(d: dict[str, Any]) -> None:
        d["nodes"][FCT]["description"] = "Orders, described better."
        _columns(d)["status"]["description"] = "The status."
        d["nodes"][FCT]["config"]["meta"]["data_product"]["owner"]["name"] = "Someone Else"

    report = _diff(old, docs)
    assert report.exit_code == 0 and report.diffs[0].kind is Kind.DOCUMENTATION
    assert {c[1] for c in _changes(report, "sales.fct_orders")} == {
        "description changed",
        "column description changed",
        "descriptor changed",
    }
    summed = copy.deepcopy(old)
    summed["nodes"][FCT]["checksum"] = {"name": "sha256", "checksum": "before"}
    report = _diff(summed, lambda d: d["nodes"][FCT]["checksum"].update(checksum="after"))
    assert _changes(report, "sales.fct_orders") == [
        ("non-breaking", "logic changed", "the SQL changed; the columns and types did not")
    ]


def test_removed_renamed_and_added_products(old: dict[str, Any]) -> None:
    report = _diff(old, lambda d: d["nodes"].pop(FCT))
    assert report.exit_code == 1
    assert _changes(report, "sales.fct_orders") == [
        ("breaking", "product removed", "without a deprecation date")
    ]

    def rename(d: dict[str, Any]) -> None:
        node = d["nodes"].pop(FCT)
        node.update(unique_id="model.dataproducts.orders", name="orders", alias="orders")
        d["nodes"][node["unique_id"]] = node

    report = _diff(old, rename)
    assert report.exit_code == 1
    assert _changes(report, "sales.fct_orders") == [
        ("breaking", "product renamed", "renamed to `sales.orders` (without a deprecation date)")
    ]
    assert _changes(report, "sales.orders") == [
        ("non-breaking", "product added", "renamed from `sales.fct_orders`")
    ]


def _rename_keeping_old_relation(d: dict[str, Any], *, formerly: bool = True) -> None:
    """fct_orders becomes orders v2 (relation sales.orders); v1 keeps the relation sales.fct_orders."""
    node = d["nodes"].pop(FCT)
    for version, alias in ((1, "fct_orders"), (2, "orders")):
        copy_ = copy.deepcopy(node)
        uid = f"model.dataproducts.orders.v{version}"
        copy_.update(unique_id=uid, name="orders", alias=alias, version=version, latest_version=2)
        if version == 1:
            copy_["deprecation_date"] = "2027-06-30T00:00:00+00:00"
        elif formerly:
            copy_["config"]["meta"]["data_product"]["formerly"] = ["sales.fct_orders"]
        d["nodes"][uid] = copy_


def test_rename_that_keeps_the_old_relation_until_a_deprecation_date_breaks_nobody(
    old: dict[str, Any],
) -> None:
    report = _diff(old, _rename_keeping_old_relation)
    assert report.exit_code == 0
    assert _changes(report, "sales.fct_orders") == [
        (
            "non-breaking",
            "product renamed",
            "renamed to `sales.orders`; `sales.fct_orders` kept as version 1 until 2027-06-30",
        )
    ]

    # the kept relation changes a column's type: consumers of the old address break
    def retyped(d: dict[str, Any]) -> None:
        _rename_keeping_old_relation(d)
        d["nodes"]["model.dataproducts.orders.v1"]["columns"]["status"]["data_type"] = "integer"

    report = _diff(old, retyped)
    assert report.exit_code == 1
    ((kind, what, _),) = _changes(report, "sales.fct_orders")
    assert (kind, what) == ("breaking", "product renamed")


def test_json_and_state_errors(old: dict[str, Any], tmp_path: Path) -> None:
    report = _diff(old, lambda d: _columns(d).pop("status"))
    data = json.loads(report.render_json())
    assert data["exit_code"] == 1 and data["products"][0]["kind"] == "breaking"
    assert data["products"][0]["affected_exposures"][0]["name"] == "sales_dashboard"
    with pytest.raises(ArtifactError, match="no manifest.json"):
        load_state_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    assert load_state_manifest(tmp_path).metadata.dbt_schema_version.endswith("v12.json")


def test_the_changelog_escapes_project_text_and_links_only_safe_urls(old: dict[str, Any]) -> None:
    hostile = copy.deepcopy(old)
    exposure = hostile["exposures"]["exposure.dataproducts.sales_dashboard"]
    exposure["url"] = "javascript:alert(1)"
    exposure["owner"]["name"] = "<img src=x onerror=alert(2)>"
    exposure["type"] = "<b>dashboard</b>"

    def mutate(d: dict[str, Any]) -> None:
        _columns(d).pop("shipping_country_code")
        d["nodes"][FCT]["description"] = "<script>alert(3)</script> [x](javascript:alert(4))"

    md = _diff(hostile, mutate).render_markdown()
    for raw in ("<script", "<img", "<b>", "<javascript:"):
        assert not re.search(rf"(?<!\\){re.escape(raw)}", md), raw  # only backslash-escaped
    assert "](javascript:" not in md
    assert "\\<img src=x onerror=alert(2)\\>" in md
    assert "- `sales_dashboard` (\\<b\\>dashboard\\</b\\>), owned by" in md
    assert md.rstrip().count("javascript:alert(1)") == 1  # shown as text, not an autolink <javascript:...>
    safe = copy.deepcopy(old)
    md = _diff(safe, lambda d: _columns(d).pop("shipping_country_code")).render_markdown()
    assert "owned by Sales Leadership \\<sales-lead@example.com\\> <https://bi.example.com/sales>" in md
