"""`dp check` on the project and on copies of it that each break one governance rule.

Each test parses a mutated copy with real dbt (about 5-10 s; twice when dbt refuses a private reference).
The pass-through proof on data builds the mutated copy (generate + dbt build).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import build_project, dp

SALES_MODELS = Path("models/sales/marts/_sales__models.yml")
MARKETING_MODELS = Path("models/marketing/marts/_marketing__models.yml")
CUSTOMERS_MODELS = Path("models/customers/marts/_customers__models.yml")
SALES_EXPOSURES = Path("models/sales/marts/_sales__exposures.yml")
# the contract of sales_daily, an unversioned product (a versioned one has a finding per version)
SALES_DAILY_CONTRACT = (
    "{{ doc('dp_card_sales_daily') }}\n    config:\n      access: public\n      contract: {enforced: true}"
)


def _check(project: Path, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = dp(
        "check",
        "--project-dir",
        str(project),
        "--target-dir",
        str(tmp_path / "target"),
        "--format",
        "json",
        *extra,
    )
    data = json.loads(proc.stdout) if proc.returncode in (0, 1) and proc.stdout.strip() else {}
    return proc.returncode, data, proc.stderr


def _found(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v["product"], v["rule"]) for v in data["violations"] if not v["waived"]}


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count))


def _append_exposure(project: Path, name: str, ref: str) -> None:
    with (project / SALES_EXPOSURES).open("a") as handle:
        handle.write(
            f"\n  - name: {name}\n    type: dashboard\n    owner: {{name: Finance, email: finance@example.com}}\n"
            f"    depends_on:\n      - {ref}\n"
        )


def test_the_project_passes(project_copy: Path, tmp_path: Path) -> None:
    code, data, err = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 0, (data, err)
    assert data["status"] == "ok" and data["violations"] == []
    assert len(data["products"]) >= 9 and "sales.orders" in data["products"]


def test_text_output_names_product_rule_and_fix(project_copy: Path, tmp_path: Path) -> None:
    _edit(project_copy / SALES_MODELS, SALES_DAILY_CONTRACT, SALES_DAILY_CONTRACT.replace("true", "false"))
    proc = dp(
        "check", "--project-dir", str(project_copy), "--target-dir", str(tmp_path / "t"), "--no-warehouse"
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "sales.sales_daily: DP003 contract-enforced: contract not enforced "
        "(fix: set config.contract.enforced: true and give every column a data_type)"
    )
    # without the contract the table no longer enforces its key, and no test checks it (DP004)
    assert lines[1].startswith(
        "sales.sales_daily: DP004 primary-key: the primary key (order_date) is not enforced"
    )
    assert lines[-1].startswith("dp check FAILED: 2 violation(s) in 1 product(s)")


def test_removed_contract(project_copy: Path, tmp_path: Path) -> None:
    _edit(project_copy / SALES_MODELS, SALES_DAILY_CONTRACT, SALES_DAILY_CONTRACT.replace("true", "false"))
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("sales.sales_daily", "DP003"), ("sales.sales_daily", "DP004")}


def test_removed_contract_of_a_versioned_product_names_each_version(
    project_copy: Path, tmp_path: Path
) -> None:
    _edit(project_copy / SALES_MODELS, "contract: {enforced: true}", "contract: {enforced: false}")  # orders
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("sales.orders", "DP003"), ("sales.orders", "DP004")}
    unguarded = "the primary key (order_id) is not enforced (contract not enforced) and no uniqueness test guarantees it"
    assert sorted(v["message"] for v in data["violations"]) == [
        "v1: contract not enforced",
        f"v1: {unguarded}",
        "v2: contract not enforced",
        f"v2: {unguarded}",
    ]


def test_retyped_conformed_column(project_copy: Path, tmp_path: Path) -> None:
    _edit(
        project_copy / MARKETING_MODELS,
        "- name: customer_id\n        data_type: integer",
        "- name: customer_id\n        data_type: bigint",
    )
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("marketing.customer_lifetime_value", "DP011")}
    (violation,) = data["violations"]
    assert violation["rule_name"] == "conformed-column-type" and "bigint" in violation["message"]


def test_exposure_on_a_private_model_is_reported_not_a_parse_error(
    project_copy: Path, tmp_path: Path
) -> None:
    _append_exposure(project_copy, "finance_board", "ref('int_payments_pivoted_to_orders')")
    code, data, err = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1, err
    assert _found(data) == {("exposure.finance_board", "DP009")}
    (violation,) = data["violations"]
    assert (
        "int_payments_pivoted_to_orders" in violation["message"]
        and violation["rule_name"] == "exposure-on-public-only"
    )
    assert any("dbt parse refused the project" in n for n in data["notes"])


def test_private_model_referenced_from_another_group(project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "models/marketing/marts/order_item_margins.sql").write_text(
        "select order_id, paid_amount from {{ ref('int_payments_pivoted_to_orders') }}\n"
    )
    code, data, err = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1, err
    assert _found(data) == {("marketing.order_item_margins", "DP010")}
    assert "sales.int_payments_pivoted_to_orders" in data["violations"][0]["message"]


def test_personal_data_column_in_an_internal_product(project_copy: Path, tmp_path: Path) -> None:
    _edit(
        project_copy / MARKETING_MODELS,
        "      - name: country_code\n",
        "      - name: email\n        data_type: varchar\n        description: The customer's email.\n"
        "      - name: country_code\n",
    )
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("marketing.customer_lifetime_value", "DP014")}
    messages = " ".join(v["message"] for v in data["violations"])
    assert "column email is personal data" in messages and "classified internal" in messages


def _add_copy_product(project: Path, *, select_star: bool) -> list[str]:
    """A public product `sales.products_copy` that only republishes `products`, complete otherwise."""
    entries = yaml.safe_load((project / SALES_MODELS).read_text())["models"]
    entry = next(e for e in entries if e["name"] == "products")
    entry["name"] = "products_copy"
    # one unversioned copy, carrying the latest version's descriptor (not the old relation names again)
    latest = next(v for v in entry.pop("versions") if v["v"] == entry.pop("latest_version"))
    entry["config"]["meta"] = {"data_product": latest["config"]["meta"]["data_product"]}
    descriptor = entry["config"]["meta"]["data_product"]
    descriptor["interfaces"] = [{"type": "sql", "address": "sales.products_copy"}]
    descriptor["suite"] = "expectations/sales/products_copy.json"
    (project / "models/sales/marts/_sales__copy.yml").write_text(yaml.safe_dump({"models": [entry]}))
    columns = [c["name"] for c in entry["columns"]]
    select = "*" if select_star else ",\n    ".join(columns)
    (project / "models/sales/marts/products_copy.sql").write_text(
        f"with products as (\n    select * from {{{{ ref('products') }}}}\n)\n\nselect\n    {select}\nfrom products\n"
    )
    suite = (project / "expectations/sales/products.json").read_text()
    (project / "expectations/sales/products_copy.json").write_text(suite)
    _append_exposure(project, "catalog_feed", "ref('products_copy')")
    return columns


def test_select_star_pass_through_without_a_warehouse(project_copy: Path, tmp_path: Path) -> None:
    _add_copy_product(project_copy, select_star=True)
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("sales.products_copy", "DP013")}
    assert "SQL text only" in data["violations"][0]["message"]
    assert any("DP013" in n and "SQL text only" in n for n in data["notes"])


@pytest.mark.integration
def test_pass_through_is_proven_on_the_data(project_copy: Path, tmp_path: Path) -> None:
    # explicit columns, no `select *`: only the data shows it is a copy
    _add_copy_product(project_copy, select_star=False)
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 0, data["violations"]
    built = build_project(tmp_path / "built", project_dir=project_copy)
    assert built.build_returncode == 0
    code, data, _ = _check(project_copy, tmp_path, "--warehouse", str(built.config.warehouse))
    assert code == 1 and _found(data) == {("sales.products_copy", "DP013")}
    assert "proven on the data" in data["violations"][0]["message"]


def test_waivers_accept_a_violation_with_a_reason(project_copy: Path, tmp_path: Path) -> None:
    _edit(project_copy / SALES_MODELS, SALES_DAILY_CONTRACT, SALES_DAILY_CONTRACT.replace("true", "false"))
    (project_copy / "waivers.yml").write_text(
        "waivers:\n"
        "  - {product: sales.sales_daily, rule: DP003, reason: 'migrating to v2', expires: 2999-01-01}\n"
        "  - {product: sales.sales_daily, rule: DP004, reason: 'migrating to v2', expires: 2999-01-01}\n"
    )
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 0 and data["summary"]["waived"] == 2
    assert data["violations"][0]["waiver_reason"] == "migrating to v2"


def test_config_errors_exit_2_in_one_line(project_copy: Path, tmp_path: Path) -> None:
    (project_copy / "waivers.yml").write_text("waivers:\n  - {product: sales.sales_daily, rule: DP003}\n")
    code, _, err = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 2 and re.fullmatch(r"dp: error: .*needs a reason\n", err)
    (project_copy / "waivers.yml").unlink()
    code, _, err = _check(project_copy, tmp_path, "--standards", "nope.yml")
    assert code == 2 and "standards file not found" in err


def test_unexplained_parse_error_is_an_input_error(project_copy: Path, tmp_path: Path) -> None:
    _edit(project_copy / SALES_MODELS, "models:\n", "models:\n  - name: [broken\n")
    code, _, err = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 2 and err.startswith("dp: error: dbt parse failed") and len(err.splitlines()) == 1


def test_refresh_method_must_say_what_the_model_does(project_copy: Path, tmp_path: Path) -> None:
    """DP017: an incremental model whose descriptor says otherwise, or a lookback that disagrees."""
    operations = Path("models/operations/marts/_operations__models.yml")
    _edit(
        project_copy / operations,
        "method: incremental, event_time: activity_date, lookback_days: 7",
        "method: full",
    )
    _edit(project_copy / SALES_MODELS, "lookback_days: 21}", "lookback_days: 14}")
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1
    assert _found(data) == {
        ("operations.service_health_daily", "DP017"),
        ("sales.orders", "DP017"),
        ("sales.order_items", "DP017"),
        ("sales.sales_daily", "DP017"),
    }
    messages = {v["product"]: v["message"] for v in data["violations"]}
    assert (
        "built incrementally (event_time activity_date, lookback 7)"
        in messages["operations.service_health_daily"]
    )
    assert messages["sales.sales_daily"] == "refresh.lookback_days is 14, the model's lookback 21"


def test_an_old_version_that_derives_its_rows_keeps_a_uniqueness_test(
    project_copy: Path, tmp_path: Path
) -> None:
    """DP004: customers v3's table enforces the key, v2 only `select *`s it; v1 derives its columns, so its key
    needs the test its YAML gives it."""
    _edit(
        project_copy / CUSTOMERS_MODELS,
        "          - unique:\n              arguments: {column_name: customer_id}\n",
        "",
    )
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("customers.customers", "DP004")}
    assert [v["message"] for v in data["violations"]] == [
        "v1: the primary key (customer_id) is not enforced (materialized as a view) and no uniqueness test "
        "guarantees it"
    ]


def test_a_test_or_expectation_restating_an_enforced_constraint_is_dead(
    project_copy: Path, tmp_path: Path
) -> None:
    """DP018: the copies issue 12 removed, put back: a key test, a not_null test, the order status three times."""
    _edit(
        project_copy / SALES_MODELS,
        "          - type: primary_key\n      - name: order_count\n",
        "          - type: primary_key\n        data_tests: [unique, not_null]\n      - name: order_count\n",
    )
    _edit(
        project_copy / SALES_MODELS,
        "expression: \"status in ('placed', 'shipped', 'delivered', 'cancelled', 'returned')\"\n",
        "expression: \"status in ('placed', 'shipped', 'delivered', 'cancelled', 'returned')\"\n"
        "        data_tests:\n          - accepted_values:\n              arguments:\n"
        "                values: [placed, shipped, delivered, cancelled, returned]\n",
    )
    suite_path = project_copy / "expectations/sales/orders.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"].append(
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {
                "column": "status",
                "value_set": ["placed", "shipped", "delivered", "cancelled", "returned"],
            },
            "severity": "critical",
            "description": "Order status is one of the shop's five.",
        }
    )
    suite_path.write_text(json.dumps(suite, indent=2))
    code, data, _ = _check(project_copy, tmp_path, "--no-warehouse")
    assert code == 1 and _found(data) == {("sales.orders", "DP018"), ("sales.sales_daily", "DP018")}
    status = "the check constraint status in ('placed', 'shipped', 'delivered', 'cancelled', 'returned')"
    # the status test exists once per version of orders (v1 is a view of v2): reported once
    assert sorted(v["message"] for v in data["violations"]) == [
        "order_date: not_null test restates the not_null constraint",
        "order_date: unique test restates the primary_key constraint (order_date)",
        f"status: accepted_values test restates {status}",
        f"status: expectations/sales/orders.json expectation #{len(suite['expectations'])} "
        f"(expect_column_values_to_be_in_set) restates {status}",
    ]
