"""Error budgets in the SRE sense, as pure functions, and a product's status from its SLIs and budget.

For an objective ``o`` (share of good runs promised over the window) the error budget is ``1 - o``. Over
the runs in the window (unknown runs excluded): attainment = good / runs, bad fraction = bad / runs, and
burn rate = bad fraction / (1 - o): 1 means the budget would be spent exactly at the end of the window.

The budget itself is ``(1 - o)`` times the runs the window holds: one run a day, so ``window_days`` runs
(or the runs actually made, when more). Budget remaining = 1 - bad / ((1 - o) * max(runs, window_days)):
a product at 95% over 28 days may have 1.4 bad runs; after one, 28.6% of its budget is left, however many
days of history exist yet. Once the window is full, remaining = 1 - burn rate. Negative when overspent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dataproducts.constants import SLI_NAMES
from dataproducts.errors import ExitCode
from dataproducts.slo.model import SliResult, Status, worst


@dataclass(frozen=True)
class Budget:
    objective: float
    runs: int
    good_runs: int
    bad_runs: int
    window_runs: int = 0  # the runs the window holds (one a day); the budget is (1 - objective) of them

    @property
    def attainment(self) -> float | None:
        return self.good_runs / self.runs if self.runs else None

    @property
    def burn_rate(self) -> float | None:
        if not self.runs:
            return None
        return (self.bad_runs / self.runs) / (1.0 - self.objective)

    @property
    def allowed_bad_runs(self) -> float:
        return (1.0 - self.objective) * max(self.runs, self.window_runs)

    @property
    def remaining(self) -> float | None:
        if not self.runs:
            return None
        return 1.0 - self.bad_runs / self.allowed_bad_runs

    def to_dict(self, *, with_good: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"objective": self.objective, "runs": self.runs}
        if with_good:
            data["good_runs"] = self.good_runs
        data.update(
            bad_runs=self.bad_runs,
            attainment=_round(self.attainment),
            remaining=_round(self.remaining),
            burn_rate=_round(self.burn_rate),
        )
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def budget(objective: float, statuses: Iterable[Status], window_runs: int = 0) -> Budget:
    """The budget over a window's per-run statuses: met/at_risk are good, breached bad, unknown excluded."""
    if not 0.0 < objective < 1.0:
        raise ValueError(f"objective must be between 0 and 1 (exclusive), got {objective}")
    good = bad = 0
    for status in statuses:
        if status.is_good:
            good += 1
        elif status.is_bad:
            bad += 1
    return Budget(objective=objective, runs=good + bad, good_runs=good, bad_runs=bad, window_runs=window_runs)


def run_status(slis: Iterable[Status]) -> Status:
    """A product's status in one run: the worst of its SLIs."""
    return worst(slis)


def product_status(slis: Mapping[str, SliResult], product_budget: Budget) -> tuple[Status, str]:
    """The product's reported status and why: the worst SLI of this run, and ``at_risk`` when the run is
    fine but the product's error budget burns faster than 1 over the window."""
    status = run_status(s.status for s in slis.values())
    ordered = [n for n in SLI_NAMES if n in slis] + [n for n in slis if n not in SLI_NAMES]

    def listing(wanted: Status) -> str:
        return "; ".join(f"{n}: {slis[n].reason}" for n in ordered if slis[n].status is wanted)

    burn = product_budget.burn_rate
    burning = burn is not None and burn > 1.0
    burn_text = (
        f"error budget is burning at {burn:.2f}x over the window "
        f"({product_budget.bad_runs} of {product_budget.runs} runs bad)"
        if burning and burn is not None
        else ""
    )
    if status is Status.BREACHED:
        return status, "breached " + listing(Status.BREACHED)
    if status is Status.UNKNOWN:
        return status, "unknown " + listing(Status.UNKNOWN)
    if status is Status.AT_RISK:
        reason = "at risk " + listing(Status.AT_RISK)
        return status, f"{reason}; {burn_text}" if burn_text else reason
    if burning:
        return Status.AT_RISK, f"all SLIs met in this run, but the {burn_text}"
    return Status.MET, "all SLIs met"


FAIL_ON = ("breached", "at_risk", "never")


def exit_code(statuses: Iterable[Status], fail_on: str = "breached") -> ExitCode:
    """``breached``: 1 if any product is breached or unknown (a product that could not be judged is never
    reported as fine); ``at_risk``: also on at_risk; ``never``: 0."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {FAIL_ON}")
    seen = set(statuses)
    if fail_on == "never":
        return ExitCode.OK
    if seen & {Status.BREACHED, Status.UNKNOWN}:
        return ExitCode.FAILED
    if fail_on == "at_risk" and Status.AT_RISK in seen:
        return ExitCode.FAILED
    return ExitCode.OK


def overall_status(statuses: Iterable[Status]) -> Status:
    return worst(statuses)
