"""The five SLIs as pure functions, against hand-computed cases."""

from __future__ import annotations

import datetime as dt

import pytest

from dataproducts.slo.model import Status
from dataproducts.slo.slis import (
    Check,
    SourceFreshness,
    availability_sli,
    completeness_sli,
    freshness_sli,
    normalize_type,
    schema_diff,
    schema_stability_sli,
    validity_sli,
)

AS_OF = dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)
ORDERS, CUSTOMERS = "source.p.shop.orders", "source.p.crm.customers"


def _src(uid: str, loaded: dt.datetime | None, status: str = "pass") -> SourceFreshness:
    return SourceFreshness(uid, loaded, status)


# --- freshness ------------------------------------------------------------------------------------------------


def test_freshness_met_uses_the_stalest_source() -> None:
    sources = [_src(ORDERS, AS_OF - dt.timedelta(hours=5)), _src(CUSTOMERS, AS_OF - dt.timedelta(hours=10))]
    sli = freshness_sli(sources, [ORDERS, CUSTOMERS], AS_OF, 30)
    assert sli.status is Status.MET
    assert sli.value == 10.0
    assert sli.details["stalest_source"] == "crm.customers"
    assert sli.target == {"max": 30}


def test_freshness_at_risk_above_80_percent_and_breached_above_max() -> None:
    at_risk = freshness_sli([_src(ORDERS, AS_OF - dt.timedelta(hours=25))], [ORDERS], AS_OF, 30)
    assert at_risk.status is Status.AT_RISK  # 25 > 0.8 * 30
    late = freshness_sli([_src(ORDERS, AS_OF - dt.timedelta(days=3, hours=5))], [ORDERS], AS_OF, 30)
    assert late.status is Status.BREACHED
    assert late.value == 77.0


def test_freshness_unknown_without_results_target_or_sources() -> None:
    assert freshness_sli(None, [ORDERS], AS_OF, 30).status is Status.UNKNOWN
    assert freshness_sli([], [ORDERS], AS_OF, None).status is Status.UNKNOWN
    assert freshness_sli([], [], AS_OF, 30).status is Status.UNKNOWN
    errored = freshness_sli([_src(ORDERS, None, "runtime error")], [ORDERS], AS_OF, 30)
    assert errored.status is Status.UNKNOWN and "shop.orders" in errored.reason


def test_freshness_one_source_unknown_other_fresh_is_unknown_but_stale_is_breached() -> None:
    fresh = [_src(ORDERS, AS_OF - dt.timedelta(hours=5))]
    assert freshness_sli(fresh, [ORDERS, CUSTOMERS], AS_OF, 30).status is Status.UNKNOWN
    stale = [_src(ORDERS, AS_OF - dt.timedelta(hours=50))]
    assert freshness_sli(stale, [ORDERS, CUSTOMERS], AS_OF, 30).status is Status.BREACHED


# --- availability ---------------------------------------------------------------------------------------------


def test_availability_met() -> None:
    sli = availability_sli({"model.p.a": "success"}, {"model.p.b": "success"}, {"test.p.t": "fail"})
    assert sli.status is Status.MET and sli.value == 1.0


@pytest.mark.parametrize("status", ["error", "skipped"])
def test_availability_breached_on_failed_or_skipped_upstream(status: str) -> None:
    sli = availability_sli({"model.p.a": "skipped"}, {"model.p.b": status}, {})
    assert sli.status is Status.BREACHED
    assert sli.value == 0.0
    assert "b " + status in sli.reason


def test_availability_breached_on_errored_test() -> None:
    sli = availability_sli({"model.p.a": "success"}, {}, {"test.p.t": "error"})
    assert sli.status is Status.BREACHED and sli.value == 0.5


def test_availability_unknown_when_not_in_run() -> None:
    sli = availability_sli({"model.p.a": None}, {"model.p.b": "success"}, {})
    assert sli.status is Status.UNKNOWN and "not in this run" in sli.reason


# --- completeness ---------------------------------------------------------------------------------------------


def test_completeness_first_run_judges_required_fields_only() -> None:
    sli = completeness_sli(100, [], 0.5, 2.0, {"id": 0})
    assert sli.status is Status.MET and sli.value is None
    assert "no previous runs" in sli.reason


def test_completeness_within_band() -> None:
    # median of 90, 100, 110, 130 = 105; 100 / 105 = 0.9524
    sli = completeness_sli(100, [90, 110, 100, 130], 0.5, 2.0, {"id": 0})
    assert sli.status is Status.MET
    assert sli.value == 0.9524
    assert sli.details["baseline_median"] == 105.0


@pytest.mark.parametrize(
    ("rows", "status"),
    [
        (49, Status.BREACHED),
        (54, Status.AT_RISK),
        (56, Status.MET),
        (181, Status.AT_RISK),
        (201, Status.BREACHED),
    ],
)
def test_completeness_band_edges(rows: int, status: Status) -> None:
    assert completeness_sli(rows, [100], 0.5, 2.0, {}).status is status


def test_completeness_required_fields() -> None:
    nulls = completeness_sli(100, [100], 0.5, 2.0, {"id": 3, "name": 0})
    assert nulls.status is Status.BREACHED and "id has 3 NULLs" in nulls.reason
    missing = completeness_sli(100, [], 0.5, 2.0, {"id": None})
    assert missing.status is Status.BREACHED and "required column id missing" in missing.reason


def test_completeness_empty_and_unknown() -> None:
    assert completeness_sli(0, [], 0.5, 2.0, {}).status is Status.BREACHED
    assert completeness_sli(None, [100], 0.5, 2.0, {}).status is Status.UNKNOWN


# --- validity -------------------------------------------------------------------------------------------------


def _check(status: str, severity: str = "critical", name: str = "c") -> Check:
    return Check("gx", name, "col", severity, status)


def test_validity_met_and_rate() -> None:
    sli = validity_sli([_check("passed")] * 4, 0.98)
    assert sli.status is Status.MET and sli.value == 1.0


def test_validity_critical_failure_breaches_even_above_the_rate() -> None:
    checks = [_check("passed")] * 99 + [_check("failed", "critical", "not_null")]
    sli = validity_sli(checks, 0.98)
    assert sli.value == 0.99
    assert sli.status is Status.BREACHED and "not_null(col)" in sli.reason


def test_validity_warnings_below_rate_breach_above_rate_at_risk() -> None:
    # 48 of 50 passed = 0.96 < 0.98
    low = validity_sli([_check("passed")] * 48 + [_check("failed", "warning")] * 2, 0.98)
    assert low.status is Status.BREACHED and low.value == 0.96
    # 99 of 100 = 0.99 >= 0.98
    ok = validity_sli([_check("passed")] * 99 + [_check("failed", "warning")], 0.98)
    assert ok.status is Status.AT_RISK


def test_validity_error_is_unknown_never_met() -> None:
    sli = validity_sli([_check("passed"), _check("error", "warning", "regex")], 0.5)
    assert sli.status is Status.UNKNOWN and "regex(col)" in sli.reason
    both = validity_sli([_check("error"), _check("failed")], 0.5)
    assert both.status is Status.BREACHED


def test_validity_unknown_without_checks() -> None:
    assert validity_sli(None, 0.98).status is Status.UNKNOWN
    assert validity_sli([], 0.98).status is Status.UNKNOWN


# --- schema stability ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("integer", "INTEGER"),
        ("int4", "INTEGER"),
        ("numeric(12, 2)", "DECIMAL(12,2)"),
        ("varchar(20)", "VARCHAR"),
        ("text", "VARCHAR"),
        ("timestamp without time zone", "TIMESTAMP"),
        (None, None),
    ],
)
def test_normalize_type(raw: str | None, normal: str | None) -> None:
    assert normalize_type(raw) == normal


CONTRACT = {"s.t": {"id": "integer", "amount": "decimal(12,2)", "note": None}}
ACTUAL = {"s.t": {"id": "INTEGER", "amount": "DECIMAL(12,2)", "note": "VARCHAR"}}


def test_schema_matches_contract_first_run() -> None:
    sli, changes = schema_stability_sli(ACTUAL, CONTRACT, None)
    assert sli.status is Status.MET and changes == [] and "no previous run" in sli.reason


def test_schema_contract_drift_breaches() -> None:
    actual = {"s.t": {"id": "BIGINT", "amount": "DECIMAL(12,2)", "note": "VARCHAR"}}
    sli, _ = schema_stability_sli(actual, CONTRACT, None)
    assert sli.status is Status.BREACHED and "s.t.id INTEGER" not in sli.reason and "BIGINT" in sli.reason


def test_schema_changes_since_previous_run() -> None:
    previous = {"s.t": {"id": "INTEGER", "amount": "DOUBLE", "gone": "VARCHAR"}}
    changes = schema_diff(previous, ACTUAL)
    assert [(c["change"], c["column"]) for c in changes] == [
        ("type_changed", "amount"),
        ("column_removed", "gone"),
        ("column_added", "note"),
    ]
    sli, reported = schema_stability_sli(ACTUAL, CONTRACT, previous)
    assert sli.status is Status.BREACHED and sli.value == 3.0 and reported == changes


def test_schema_added_column_is_at_risk() -> None:
    previous = {"s.t": {"id": "INTEGER", "amount": "DECIMAL(12,2)"}}
    sli, changes = schema_stability_sli(ACTUAL, CONTRACT, previous)
    assert sli.status is Status.AT_RISK
    assert changes == [
        {"relation": "s.t", "change": "column_added", "column": "note", "before": None, "after": "VARCHAR"}
    ]


def test_schema_unknown_when_unreadable_or_relation_missing() -> None:
    assert schema_stability_sli(None, CONTRACT, None)[0].status is Status.UNKNOWN
    assert schema_stability_sli({}, CONTRACT, None)[0].status is Status.UNKNOWN
