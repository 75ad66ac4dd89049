"""The SLO vocabulary: statuses, SLI names, per-run SLI results and the targets read from a descriptor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dataproducts import descriptor
from dataproducts.constants import SLI_NAMES
from dataproducts.products import DataProduct


class Status(StrEnum):
    """A per-run SLI or product status. Severity order: met < at_risk < unknown < breached."""

    MET = "met"
    AT_RISK = "at_risk"
    UNKNOWN = "unknown"
    BREACHED = "breached"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_good(self) -> bool:
        """Good for the error budget: met or at risk (at risk is still within the target)."""
        return self in (Status.MET, Status.AT_RISK)

    @property
    def is_bad(self) -> bool:
        return self is Status.BREACHED


_RANK = {Status.MET: 0, Status.AT_RISK: 1, Status.UNKNOWN: 2, Status.BREACHED: 3}


def worst(statuses: Iterable[Status]) -> Status:
    """The most severe status (``met`` for none)."""
    return max(statuses, key=lambda s: s.rank, default=Status.MET)


# Defaults for targets a descriptor leaves out (documented in docs/slo.md; the descriptor model owns them).
DEFAULT_OBJECTIVE = descriptor.DEFAULT_OBJECTIVE
DEFAULT_WINDOW_DAYS = descriptor.DEFAULT_WINDOW_DAYS
DEFAULT_MIN_VOLUME_RATIO = descriptor.DEFAULT_MIN_VOLUME_RATIO
DEFAULT_MAX_VOLUME_RATIO = descriptor.DEFAULT_MAX_VOLUME_RATIO
DEFAULT_MIN_PASS_RATE = descriptor.DEFAULT_MIN_PASS_RATE
AT_RISK_FRESHNESS_SHARE = 0.8  # freshness is at risk when the age exceeds this share of the maximum
AT_RISK_VOLUME_MARGIN = 0.1  # completeness is at risk within 10% of either end of the band
VOLUME_BASELINE_RUNS = 7  # the volume band is centred on the median of this many previous runs


@dataclass(frozen=True)
class SliResult:
    """One SLI of one product in one run."""

    name: str
    status: Status
    value: float | None
    unit: str
    target: Mapping[str, Any]
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "value": self.value,
            "unit": self.unit,
            "target": dict(self.target),
            "reason": self.reason,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Targets:
    """A product's SLO targets, completed with the documented defaults."""

    window_days: int = DEFAULT_WINDOW_DAYS
    objectives: Mapping[str, float] = field(default_factory=dict)
    freshness_max_age_hours: float | None = None
    min_volume_ratio: float = DEFAULT_MIN_VOLUME_RATIO
    max_volume_ratio: float = DEFAULT_MAX_VOLUME_RATIO
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE
    product_objective: float = DEFAULT_OBJECTIVE
    count_missed_runs: bool = True  # a night with no run counts against availability

    def objective(self, sli: str) -> float:
        return self.objectives.get(sli, DEFAULT_OBJECTIVE)


def _or(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def targets_for(product: DataProduct, window_days: int | None = None) -> Targets:
    """Targets from the product's descriptor (``slo:``), defaults for what it leaves out.

    The descriptor's values are already checked (``dataproducts.descriptor``): a wrong one never reaches
    here as a default. ``window_days`` (from the command line) overrides the descriptor's window. The
    product's own objective (for its overall error budget) is ``slo.objective`` when given, else the loosest
    of its SLI objectives: a run is bad for the product when any SLI is breached, so its objective cannot be
    stricter than that.
    """
    slo = product.descriptor.slo
    objectives = {sli: _or(slo.for_sli(sli).objective, DEFAULT_OBJECTIVE) for sli in SLI_NAMES}
    return Targets(
        window_days=window_days or slo.window_days or DEFAULT_WINDOW_DAYS,
        objectives=objectives,
        freshness_max_age_hours=slo.freshness_max_age_hours,
        min_volume_ratio=_or(slo.min_volume_ratio, DEFAULT_MIN_VOLUME_RATIO),
        max_volume_ratio=_or(slo.max_volume_ratio, DEFAULT_MAX_VOLUME_RATIO),
        min_pass_rate=_or(slo.min_pass_rate, DEFAULT_MIN_PASS_RATE),
        product_objective=_or(slo.objective, min(objectives.values())),
        count_missed_runs=slo.count_missed_runs,
    )
