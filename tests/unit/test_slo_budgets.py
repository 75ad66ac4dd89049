"""Error budgets, product status and exit codes against hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataproducts.errors import ExitCode
from dataproducts.slo.budgets import budget, exit_code, overall_status, product_status
from dataproducts.slo.model import SliResult, Status, worst

M, R, U, B = Status.MET, Status.AT_RISK, Status.UNKNOWN, Status.BREACHED


def test_budget_one_bad_run_in_28_at_95_percent() -> None:
    b = budget(0.95, [M] * 27 + [B])
    assert (b.runs, b.good_runs, b.bad_runs) == (28, 27, 1)
    assert b.attainment == pytest.approx(27 / 28)
    # bad fraction 1/28 over a budget of 0.05: burn 0.714..., 28.6% of the budget left
    assert b.burn_rate == pytest.approx((1 / 28) / 0.05)
    assert b.remaining == pytest.approx(1 - 1 / 1.4)
    assert b.to_dict() == {
        "objective": 0.95,
        "runs": 28,
        "good_runs": 27,
        "bad_runs": 1,
        "attainment": 0.9643,
        "remaining": 0.2857,
        "burn_rate": 0.7143,
    }


def test_budget_excludes_unknown_and_counts_at_risk_as_good() -> None:
    b = budget(0.9, [M, R, U, U, B])
    assert (b.runs, b.good_runs, b.bad_runs) == (3, 2, 1)
    assert b.burn_rate == pytest.approx((1 / 3) / 0.1)
    assert b.remaining == pytest.approx(1 - 10 / 3)  # overspent: negative


def test_budget_of_a_partly_filled_window_is_sized_by_the_window() -> None:
    # 28-day window at 95%: 1.4 bad runs allowed. After 4 days with one bad run, 28.6% is left,
    # while the burn rate so far is (1/4) / 0.05 = 5.
    b = budget(0.95, [M, M, B, M], window_runs=28)
    assert b.allowed_bad_runs == pytest.approx(1.4)
    assert b.remaining == pytest.approx(1 - 1 / 1.4)
    assert b.burn_rate == pytest.approx(5.0)
    assert budget(0.95, [M, M, B, M, B], window_runs=28).remaining == pytest.approx(1 - 2 / 1.4)


def test_budget_without_runs_is_unknown() -> None:
    b = budget(0.99, [U, U])
    assert b.runs == 0
    assert b.attainment is None and b.burn_rate is None and b.remaining is None


def test_budget_all_good() -> None:
    b = budget(0.99, [M] * 10)
    assert b.attainment == 1.0 and b.burn_rate == 0.0 and b.remaining == 1.0


@pytest.mark.parametrize("objective", [0.0, 1.0, 1.5, -0.1])
def test_budget_rejects_degenerate_objectives(objective: float) -> None:
    with pytest.raises(ValueError):
        budget(objective, [M])


@given(st.lists(st.sampled_from(list(Status)), max_size=60), st.floats(0.5, 0.999))
def test_budget_identities(statuses: list[Status], objective: float) -> None:
    b = budget(objective, statuses)  # a full window: remaining = 1 - burn rate
    assert b.runs == b.good_runs + b.bad_runs == sum(1 for s in statuses if s is not Status.UNKNOWN)
    if b.runs:
        assert b.remaining is not None and b.burn_rate is not None  # both known once there are runs
        assert b.remaining == pytest.approx(1 - b.burn_rate)
        partial = budget(objective, statuses, window_runs=60)
        assert partial.remaining is not None and partial.remaining >= b.remaining
        assert b.attainment == pytest.approx(1 - (b.burn_rate or 0) * (1 - objective))


def test_worst_orders_met_at_risk_unknown_breached() -> None:
    assert worst([]) is M
    assert worst([M, R]) is R
    assert worst([R, U]) is U
    assert worst([U, B, M]) is B
    assert overall_status([M, U]) is U


def _sli(name: str, status: Status) -> SliResult:
    return SliResult(name, status, None, "ratio", {}, f"{name} is {status.value}")


def test_product_status_is_worst_sli() -> None:
    ok = budget(0.95, [M] * 20)
    slis = {"freshness": _sli("freshness", B), "validity": _sli("validity", U)}
    status, reason = product_status(slis, ok)
    assert status is B and "freshness" in reason and "validity" not in reason


def test_product_status_at_risk_when_budget_burns_while_run_is_fine() -> None:
    burning = budget(0.95, [M] * 8 + [B, B])  # 20% bad vs 5% budget: burn 4
    status, reason = product_status({"freshness": _sli("freshness", M)}, burning)
    assert status is R
    assert "4.00x" in reason


def test_product_status_met() -> None:
    assert product_status({"freshness": _sli("freshness", M)}, budget(0.95, [M]))[0] is M


@pytest.mark.parametrize(
    ("statuses", "fail_on", "expected"),
    [
        ([M, R], "breached", ExitCode.OK),
        ([M, U], "breached", ExitCode.FAILED),  # unknown never exits 0 by default
        ([U], "never", ExitCode.OK),
        ([M, B], "breached", ExitCode.FAILED),
        ([M, R], "at_risk", ExitCode.FAILED),
        ([M, U], "at_risk", ExitCode.FAILED),
        ([M, M], "at_risk", ExitCode.OK),
        ([B], "never", ExitCode.OK),
    ],
)
def test_exit_code(statuses: list[Status], fail_on: str, expected: ExitCode) -> None:
    assert exit_code(statuses, fail_on) is expected
