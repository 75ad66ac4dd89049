"""dp check's rules on the trimmed manifest fixture, each broken on purpose in a copy of it."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataproducts.artifacts import Manifest
from dataproducts.governance.access import load_roles
from dataproducts.governance.check import CheckReport, Finding, apply_waivers, evaluate
from dataproducts.governance.rules import RULES
from dataproducts.governance.standards import ConformedColumn, build_standards
from dataproducts.governance.waivers import Waiver

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
FCT = "model.dataproducts.fct_orders"
DIM_V2 = "model.dataproducts.dim_customers.v2"
COHORT = "model.dataproducts.cohort_retention"
DIM_V1 = "model.dataproducts.dim_customers.v1"
UNIQUE_ORDER_ID = "test.dataproducts.unique_fct_orders_order_id.523ddb6ce5"
STATUS_VALUES = "test.dataproducts.accepted_values_fct_orders_status__placed__shipped__delivered__cancelled__returned.379847e441"
UNIQUE_DIM_V1 = "test.dataproducts.unique_dim_customers_v1_customer_id.cea60a0517"
UNIQUE_DIM_V2 = "test.dataproducts.unique_dim_customers_v2_customer_id.f52bb79f08"
# tests the trimmed manifest still has that only restate a constraint the table enforces (DP018)
RESTATED = (
    UNIQUE_ORDER_ID,
    STATUS_VALUES,
    "test.dataproducts.unique_combination_of_columns_cohort_retention_cohort_month__months_since_signup.e9c716317a",
    UNIQUE_DIM_V1,
    UNIQUE_DIM_V2,
)

ROLES = load_roles(REPO)
STANDARDS = build_standards(
    [
        ConformedColumn("customer_id", "integer", "The customer's key.", ("CustomerID", "cust_id")),
        ConformedColumn("order_id", "integer", "The order's key.", ("ord_id",)),
        ConformedColumn("email", "varchar", "Email.", ("email_address",), personal_data=True),
    ]
)


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """The fixture made clean: fct_orders gets the consumer the trimmed manifest left out, and the tests that
    restate an enforced constraint (the project removed them in issue 12) go."""
    data = json.loads(FIXTURE.read_text())
    for test_id in RESTATED:
        data["nodes"].pop(test_id)
    data["exposures"]["exposure.dataproducts.sales_dashboard"] = {
        "unique_id": "exposure.dataproducts.sales_dashboard",
        "name": "sales_dashboard",
        "type": "dashboard",
        "owner": {"name": "Sales Analytics", "email": "sales-analytics@example.com"},
        "depends_on": {"nodes": [FCT], "macros": []},
    }
    data["child_map"].setdefault(FCT, []).append("exposure.dataproducts.sales_dashboard")
    return data


def _run(data: dict[str, Any], project_dir: Path = REPO) -> list[Finding]:
    manifest = Manifest.model_validate(data)
    # the repository's roles.yml, whatever folder holds the suites
    _, findings, _ = evaluate(manifest, project_dir=project_dir, standards=STANDARDS, roles=ROLES)
    return findings


def _mutated(base: dict[str, Any], mutate: Callable[[dict[str, Any]], None]) -> list[Finding]:
    data = copy.deepcopy(base)
    mutate(data)
    return _run(data)


def test_fixture_is_clean(base: dict[str, Any]) -> None:
    assert _run(base) == []


def _drop_contract(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["config"]["contract"]["enforced"] = False


def _untype(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["columns"]["status"]["data_type"] = None


def _no_group_owner(d: dict[str, Any]) -> None:
    d["groups"]["group.dataproducts.sales"]["owner"] = {"name": None, "email": None}


def _undocument(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["description"] = ""
    d["nodes"][FCT]["columns"]["status"]["description"] = ""


def _drop_pk_constraint(d: dict[str, Any]) -> None:
    column = d["nodes"][FCT]["columns"]["order_id"]
    column["constraints"] = [c for c in column["constraints"] if c["type"] != "primary_key"]


def _restore(d: dict[str, Any], *test_ids: str) -> None:
    original = json.loads(FIXTURE.read_text())["nodes"]
    for test_id in test_ids:
        d["nodes"][test_id] = original[test_id]


def _as_view(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["config"]["materialized"] = "view"


def _restore_pk_test(d: dict[str, Any]) -> None:
    _restore(d, UNIQUE_ORDER_ID)


def _incomplete_descriptor(d: dict[str, Any]) -> None:
    descriptor = d["nodes"][FCT]["config"]["meta"]["data_product"]
    descriptor.pop("refresh")
    descriptor["classification"] = "top-secret"
    descriptor["domain"] = "marketing"


def _suite_elsewhere(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["config"]["meta"]["data_product"]["suite"] = "expectations/sales/nope.json"


def _no_consumer(d: dict[str, Any]) -> None:
    d["exposures"].pop("exposure.dataproducts.sales_dashboard")


def _stale_source(d: dict[str, Any]) -> None:
    source = d["sources"]["source.dataproducts.shop.orders"]
    source["freshness"] = None
    source["config"]["freshness"] = None


def _exposure_on_private(d: dict[str, Any]) -> None:
    private = copy.deepcopy(d["nodes"]["model.dataproducts.stg_shop__orders"])
    private.update(unique_id="model.dataproducts.int_orders_enriched", name="int_orders_enriched")
    private.update(access="private", group="sales")
    private["config"].update(access="private", group="sales")
    d["nodes"][private["unique_id"]] = private
    d["exposures"]["exposure.dataproducts.sales_dashboard"]["depends_on"]["nodes"].append(
        private["unique_id"]
    )


def _private_ref(d: dict[str, Any]) -> None:
    staging = d["nodes"]["model.dataproducts.stg_crm__customers"]
    staging["access"] = "private"
    staging["config"]["access"] = "private"
    d["nodes"][FCT]["depends_on"]["nodes"].append("model.dataproducts.stg_crm__customers")


def _retype_conformed(d: dict[str, Any]) -> None:
    d["nodes"][FCT]["columns"]["customer_id"]["data_type"] = "bigint"


def _misspell_conformed(d: dict[str, Any]) -> None:
    columns = d["nodes"][FCT]["columns"]
    column = columns.pop("customer_id")
    column["name"] = "CustomerID"
    columns["CustomerID"] = column


def _personal_column(d: dict[str, Any]) -> None:
    # an internal product takes the customer's email (personal in dim_customers upstream)
    d["nodes"][COHORT]["columns"]["email"] = {
        "name": "email",
        "description": "Email.",
        "data_type": "varchar",
    }


def _undated_old_version(d: dict[str, Any]) -> None:
    d["nodes"]["model.dataproducts.dim_customers.v1"]["deprecation_date"] = None


F, D, C, M = (
    "sales.fct_orders",
    "customers.dim_customers",
    "marketing.cohort_retention",
    "marketing.fct_orders",
)
# mutation -> every (product, rule) it must produce, and nothing else
MUTATIONS = [
    (_no_group_owner, {(F, "DP001")}),
    (_undocument, {(F, "DP002")}),
    (_drop_contract, {(F, "DP003"), (F, "DP004")}),  # the key is no longer enforced and nothing tests it
    (_untype, {(F, "DP003")}),
    (_drop_pk_constraint, {(F, "DP004")}),
    (_as_view, {(F, "DP004")}),
    (_restore_pk_test, {(F, "DP018")}),
    (_incomplete_descriptor, {(M, "DP005")}),  # the product id follows the descriptor's domain
    (_suite_elsewhere, {(F, "DP006")}),
    (_no_consumer, {(F, "DP007")}),
    (_stale_source, {(F, "DP008"), (C, "DP008")}),  # cohort_retention reads the orders too
    (_exposure_on_private, {("exposure.sales_dashboard", "DP009")}),
    (_private_ref, {(F, "DP010"), (D, "DP010")}),  # dim_customers reads the now-private staging model
    (_retype_conformed, {(F, "DP011")}),
    (_misspell_conformed, {(F, "DP012"), (F, "DP006")}),  # the suite still names customer_id
    (_personal_column, {(C, "DP014")}),
    (_undated_old_version, {(D, "DP015")}),
]


@pytest.mark.parametrize(("mutate", "expected"), MUTATIONS, ids=[m[0].__name__.strip("_") for m in MUTATIONS])
def test_each_rule_catches_its_mutation(base: dict[str, Any], mutate, expected: set[tuple[str, str]]) -> None:
    findings = _mutated(base, mutate)
    assert {(f[0], f[1]) for f in findings} == expected, findings


def test_messages_say_what_is_wrong(base: dict[str, Any]) -> None:
    (finding,) = _mutated(base, _retype_conformed)
    assert "customer_id is bigint, the conformed customer_id is integer" in finding[2]
    (finding,) = [f for f in _mutated(base, _misspell_conformed) if f[1] == "DP012"]
    assert "CustomerID spells the conformed column customer_id" in finding[2]
    messages = [f[2] for f in _mutated(base, _incomplete_descriptor)]
    assert any("config.meta.data_product.refresh is missing" in m for m in messages)
    assert any(
        "config.meta.data_product.classification: expected one of 'public', 'internal', 'confidential' or "
        "'restricted', got \"top-secret\"" in m
        for m in messages
    )
    assert any(
        "config.meta.data_product.domain: 'marketing' is not the owning group 'sales'" in m for m in messages
    )
    column, descriptor = (f[2] for f in _mutated(base, _personal_column))
    assert "column email is personal data (as in customers.dim_customers)" in column
    assert "classified internal (needs confidential)" in column
    assert "descriptor says personal_data: false, but the product holds email" in descriptor


def test_alias_is_flagged_and_versioned_findings_name_the_version(base: dict[str, Any]) -> None:
    def alias(d: dict[str, Any]) -> None:
        columns = d["nodes"][DIM_V2]["columns"]
        column = columns.pop("customer_id")
        column["name"] = "cust_id"
        columns["cust_id"] = column

    messages = [f[2] for f in _mutated(base, alias) if f[1] == "DP012"]
    assert messages == ["v2: column cust_id spells the conformed column customer_id"]


def test_masked_personal_column_passes_and_descriptor_must_admit_personal_data(base: dict[str, Any]) -> None:
    def masked(d: dict[str, Any]) -> None:
        _personal_column(d)
        d["nodes"][COHORT]["columns"]["email"]["config"] = {"meta": {"masked": True}}

    assert _mutated(base, masked) == []

    def restricted_but_denied(d: dict[str, Any]) -> None:
        _personal_column(d)
        d["nodes"][COHORT]["config"]["meta"]["data_product"]["classification"] = "restricted"

    (finding,) = (f for f in _mutated(base, restricted_but_denied) if f[1] != "DP022")  # analysts read it
    assert finding[1] == "DP014" and "personal_data: false" in finding[2]


def test_select_star_of_a_product_is_flagged_on_sql_text_without_warehouse(base: dict[str, Any]) -> None:
    def copy_product(d: dict[str, Any]) -> None:
        node = copy.deepcopy(d["nodes"][FCT])
        node.update(
            unique_id="model.dataproducts.fct_orders_copy",
            name="fct_orders_copy",
            alias="fct_orders_copy",
            raw_code="with orders as (\n  select * from {{ ref('fct_orders') }}\n)\nselect * from orders\n",
        )
        node["depends_on"]["nodes"] = [FCT]
        d["nodes"][node["unique_id"]] = node
        d["parent_map"][node["unique_id"]] = [FCT]
        for test_id in [k for k in d["nodes"] if k.startswith("test.") and "unique_fct_orders_order_id" in k]:
            clone = copy.deepcopy(d["nodes"][test_id])
            clone.update(unique_id=test_id + "_copy", attached_node=node["unique_id"])
            d["nodes"][clone["unique_id"]] = clone
        d["exposures"]["exposure.dataproducts.sales_dashboard"]["depends_on"]["nodes"].append(
            node["unique_id"]
        )

    data = copy.deepcopy(base)
    copy_product(data)
    manifest = Manifest.model_validate(data)
    _, findings, notes = evaluate(manifest, project_dir=REPO, standards=STANDARDS)
    assert [(f[0], f[1]) for f in findings] == [("sales.fct_orders_copy", "DP013")]
    assert "SQL text only" in findings[0][2]
    assert any("DP013 judged on the SQL text only" in n for n in notes)


def test_select_limits_product_rules(base: dict[str, Any]) -> None:
    data = copy.deepcopy(base)
    _drop_contract(data)
    manifest = Manifest.model_validate(data)
    ids, findings, _ = evaluate(manifest, project_dir=REPO, standards=STANDARDS, select=["customers"])
    assert ids == ["customers.dim_customers"] and findings == []


def test_waivers_apply_expire_and_report_unused() -> None:
    findings: list[Finding] = [("sales.fct_orders", "DP007", "no exposure consumes the product")]
    waiver = Waiver("sales.fct_orders", "DP007", "onboarding consumers", dt.date(2027, 1, 31))
    stale = Waiver("sales.dim_products", "DP003", "legacy")
    violations, notes = apply_waivers(findings, [waiver, stale], dt.date(2027, 1, 1))
    report = CheckReport(("sales.fct_orders",), tuple(violations), tuple(notes))
    assert report.exit_code == 0 and violations[0].waived
    assert "[waived until 2027-01-31: onboarding consumers]" in report.render_text()
    assert notes == ["waiver sales.dim_products DP003 matches no violation: remove it"]
    violations, notes = apply_waivers(findings, [waiver], dt.date(2027, 2, 1))
    assert not violations[0].waived and "expired on 2027-01-31" in notes[0]
    assert CheckReport(("sales.fct_orders",), tuple(violations)).exit_code == 1


def test_report_text_is_one_line_per_violation_and_json_is_machine_readable() -> None:
    violations, _ = apply_waivers(
        [
            ("sales.fct_orders", "DP003", "contract not enforced"),
            ("exposure.x", "DP009", "depends on a model"),
        ],
        [],
        dt.date(2026, 11, 20),
    )
    report = CheckReport(("sales.fct_orders",), tuple(violations), ("a note",))
    lines = report.render_text().splitlines()
    assert lines[0].startswith("sales.fct_orders: DP003 contract-enforced: contract not enforced (fix: set ")
    assert lines[1].startswith("exposure.x: DP009 exposure-on-public-only: ")
    assert lines[2] == "note: a note"
    assert lines[3].startswith("dp check FAILED: 2 violation(s) in 2 product(s), 0 waived")
    data = json.loads(report.render_json())
    assert data["exit_code"] == 1 and data["violations"][0]["rule"] == "DP003"
    assert data["violations"][0]["rule_name"] == "contract-enforced" and data["violations"][0]["fix"]
    assert len(data["rules"]) == len(RULES)


def test_rule_ids_are_stable_unique_and_documented() -> None:
    ids = [r.id for r in RULES]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert len({r.name for r in RULES}) == len(RULES)
    docs = (REPO / "docs" / "governance.md").read_text()
    for r in RULES:
        assert f"`{r.id}` {r.name}" in docs, f"docs/governance.md does not document {r.id} {r.name}"


WRONG_VALUES = [
    ("owner.email", 42, "owner.email: expected a string, got 42"),
    ("domain", 123, "domain: expected a string, got 123"),
    ("slo.freshness.objective", "high", 'slo.freshness.objective: expected a number, got "high"'),
    ("slo.window_days", "7", 'slo.window_days: expected an integer, got "7"'),
    ("slo.validity.min_pass_rate", "0.5", 'slo.validity.min_pass_rate: expected a number, got "0.5"'),
    ("slo.availability.objective", 1.5, "slo.availability.objective: expected a value less than 1, got 1.5"),
    ("personal_data", "no", 'personal_data: expected true or false, got "no"'),
    ("owner.phone", "555", "owner.phone: unknown key"),
]


def _set(d: dict[str, Any], key: str, value: Any) -> None:
    node = d["nodes"][FCT]
    node["patch_path"] = "dataproducts://models/sales/marts/_sales__models.yml"
    target = node["config"]["meta"]["data_product"]
    *parents, last = key.split(".")
    for part in parents:
        target = target[part]
    target[last] = value


@pytest.mark.parametrize(("key", "value", "message"), WRONG_VALUES, ids=[w[0] for w in WRONG_VALUES])
def test_a_wrong_descriptor_value_is_a_violation_naming_file_and_key(
    base: dict[str, Any], key: str, value: Any, message: str
) -> None:
    findings = _mutated(base, lambda d: _set(d, key, value))
    assert {(f[0], f[1]) for f in findings} == {(F, "DP005")}, findings
    (finding,) = findings  # the wrong value is reported once, not again as missing
    assert finding[2].startswith(
        f"models/sales/marts/_sales__models.yml: fct_orders: config.meta.data_product.{message}"
    ), finding


def test_every_wrong_descriptor_value_is_reported(base: dict[str, Any]) -> None:
    def mutate(d: dict[str, Any]) -> None:
        for key, value, _ in WRONG_VALUES:
            _set(d, key, value)
        d["nodes"][DIM_V2]["config"]["meta"]["data_product"]["classification"] = "secret"

    findings = _mutated(base, mutate)
    assert len([f for f in findings if f[0] == F]) == len(WRONG_VALUES)
    assert any(f[0] == D and "classification: expected one of" in f[2] for f in findings)


def _suite_project(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    import shutil

    shutil.copytree(REPO / "expectations", tmp_path / "expectations")
    path = tmp_path / "expectations" / "sales" / "orders.json"
    suite = json.loads(path.read_text())
    edit(suite)
    path.write_text(json.dumps(suite))
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: s["expectations"].append(
                {
                    "type": "expect_column_values_to_be_purple",
                    "kwargs": {"column": "order_id"},
                    "severity": "info",
                }
            ),
            "(expect_column_values_to_be_purple): unknown expectation type",
        ),
        (lambda s: s["expectations"][0].pop("severity"), "severity missing, expected one of critical"),
        (lambda s: s["expectations"][0]["kwargs"].update(colour="red"), "invalid configuration: colour"),
    ],
    ids=["unknown-type", "missing-severity", "unknown-kwarg"],
)
def test_suite_checks_are_the_ones_dp_validate_applies(
    base: dict[str, Any], tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    findings = _run(base, _suite_project(tmp_path, edit))
    (finding,) = findings
    assert finding[:2] == (F, "DP006")
    assert finding[2].startswith("quality suite expectations/sales/orders.json: expectation #"), finding
    assert message in finding[2]


# --- DP004: the key holds where it is not enforced; DP018: no copy of an enforced constraint -------------------


def test_a_key_the_table_does_not_enforce_needs_a_uniqueness_test(base: dict[str, Any]) -> None:
    (finding,) = _mutated(base, _as_view)
    assert finding[2] == (
        "the primary key (order_id) is not enforced (materialized as a view) and no uniqueness test guarantees it"
    )

    def as_view_with_test(d: dict[str, Any]) -> None:
        _as_view(d)
        _restore_pk_test(d)

    assert _mutated(base, as_view_with_test) == []
    # a table or an incremental model with an enforced contract enforces the key: no test needed
    for materialized in ("table", "incremental"):

        def keyed(d: dict[str, Any], materialized: str = materialized) -> None:
            d["nodes"][FCT]["config"]["materialized"] = materialized

        assert [f for f in _mutated(base, keyed) if f[1] == "DP004"] == []
    messages = [f[2] for f in _mutated(base, _drop_contract) if f[1] == "DP004"]
    assert messages == [
        "the primary key (order_id) is not enforced (contract not enforced) and no uniqueness test guarantees it"
    ]


def _v1_view(raw_code: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["nodes"][DIM_V1]["config"]["materialized"] = "view"
        d["nodes"][DIM_V1]["raw_code"] = raw_code

    return mutate


V1_PATTERN = (
    "-- the deprecated version 1: the latest, unchanged\nselect * from {{ ref('dim_customers', v=2) }}\n"
)


@pytest.mark.parametrize(
    "raw_code",
    [
        V1_PATTERN,
        "select *\nfrom {{ ref( \"dim_customers\", version='2' ) }};",
        "{# old name #} SELECT * FROM {{ ref('dim_customers', v=2) }}",
    ],
)
def test_an_old_version_that_is_a_view_of_the_latest_keeps_its_key(
    base: dict[str, Any], raw_code: str
) -> None:
    assert _mutated(base, _v1_view(raw_code)) == []


@pytest.mark.parametrize(
    "raw_code",
    [
        "select * from {{ ref('dim_customers', v=2) }} where customer_id > 0",  # more than select *
        "select * from {{ ref('dim_customers', v=1) }}",  # not the latest version
        "select * from {{ ref('customers', v=2) }}",  # another model
        "select customer_id, email from {{ ref('dim_customers', v=2) }}",
    ],
)
def test_an_old_version_that_derives_its_rows_needs_a_uniqueness_test(
    base: dict[str, Any], raw_code: str
) -> None:
    (finding,) = _mutated(base, _v1_view(raw_code))
    assert finding == (
        D,
        "DP004",
        "v1: the primary key (customer_id) is not enforced (materialized as a view) and no uniqueness test "
        "guarantees it",
    )

    def tested(d: dict[str, Any]) -> None:
        _v1_view(raw_code)(d)
        _restore(d, UNIQUE_DIM_V1)

    assert _mutated(base, tested) == []


def test_a_view_of_a_latest_version_that_enforces_nothing_needs_a_test_too(base: dict[str, Any]) -> None:
    def mutate(d: dict[str, Any]) -> None:
        _v1_view(V1_PATTERN)(d)
        d["nodes"][DIM_V2]["config"]["contract"]["enforced"] = False

    assert sorted(f[2] for f in _mutated(base, mutate) if f[1] == "DP004") == [
        "v1: the primary key (customer_id) is not enforced (materialized as a view) and no uniqueness test "
        "guarantees it",
        "v2: the primary key (customer_id) is not enforced (contract not enforced) and no uniqueness test "
        "guarantees it",
    ]


def test_dead_checks_name_the_column_the_constraint_and_the_copy(base: dict[str, Any]) -> None:
    findings = _mutated(base, lambda d: _restore(d, *RESTATED))
    assert sorted(f[:2] for f in findings) == [(D, "DP018"), (C, "DP018"), (F, "DP018"), (F, "DP018")]
    assert sorted(f[2] for f in findings) == [
        "cohort_month, months_since_signup: unique_combination_of_columns test restates the primary_key "
        "constraint (cohort_month, months_since_signup)",
        # a test declared for every version is one per version in the manifest: reported once
        "customer_id: unique test restates the primary_key constraint (customer_id)",
        "order_id: unique test restates the primary_key constraint (order_id)",
        "status: accepted_values test restates the check constraint status in ('placed', 'shipped', "
        "'delivered', 'cancelled', 'returned')",
    ]


def test_a_copy_on_a_view_of_the_latest_version_is_dead_too(base: dict[str, Any]) -> None:
    def mutate(d: dict[str, Any]) -> None:
        _v1_view(V1_PATTERN)(d)
        _restore(d, UNIQUE_DIM_V1)

    assert _mutated(base, mutate) == [
        (D, "DP018", "v1: customer_id: unique test restates the primary_key constraint (customer_id)")
    ]


def test_a_suite_expectation_restating_a_constraint_is_named_by_file_and_number(
    base: dict[str, Any], tmp_path: Path
) -> None:
    copy: dict[str, Any] = {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {
            "column": "status",
            "value_set": ["returned", "cancelled", "delivered", "shipped", "placed"],
        },
        "severity": "critical",
    }
    findings = _run(base, _suite_project(tmp_path, lambda s: s["expectations"].append(copy)))
    (finding,) = findings
    number = len(json.loads((REPO / "expectations/sales/orders.json").read_text())["expectations"]) + 1
    assert finding == (
        F,
        "DP018",
        f"status: expectations/sales/orders.json expectation #{number} (expect_column_values_to_be_in_set) "
        "restates the check constraint status in ('placed', 'shipped', 'delivered', 'cancelled', 'returned')",
    )
    # with a mostly, or another set, it says more than the constraint
    copy["kwargs"]["mostly"] = 0.9
    assert _run(base, _suite_project(tmp_path / "mostly", lambda s: s["expectations"].append(copy))) == []
