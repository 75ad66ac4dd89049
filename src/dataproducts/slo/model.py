"""The SLO vocabulary: statuses, SLI names, per-run SLI results and the targets read from a descriptor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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


SLI_NAMES: tuple[str, ...] = ("freshness", "availability", "completeness", "validity", "schema_stability")

# Defaults for targets a descriptor leaves out (documented in docs/slo.md).
DEFAULT_OBJECTIVE = 0.95
DEFAULT_WINDOW_DAYS = 28
DEFAULT_MIN_VOLUME_RATIO = 0.5
DEFAULT_MAX_VOLUME_RATIO = 2.0
DEFAULT_MIN_PASS_RATE = 1.0
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

    def objective(self, sli: str) -> float:
        return self.objectives.get(sli, DEFAULT_OBJECTIVE)


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def _objective_value(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    return None


def targets_for(product: DataProduct, window_days: int | None = None) -> Targets:
    """Targets from the product's descriptor (``slo:``), defaults for what it leaves out.

    ``window_days`` (from the command line) overrides the descriptor's window. The product's own objective
    (for its overall error budget) is ``slo.objective`` when given, else the loosest of its SLI objectives:
    a run is bad for the product when any SLI is breached, so its objective cannot be stricter than that.
    """
    slo = product.descriptor.slo
    objectives: dict[str, float] = {}
    for sli in SLI_NAMES:
        objective = _objective_value(slo.for_sli(sli).objective)
        objectives[sli] = objective if objective is not None else DEFAULT_OBJECTIVE
    completeness = slo.completeness.params
    validity = slo.validity.params
    raw_slo = product.descriptor.raw.get("slo")
    explicit = _objective_value(raw_slo.get("objective")) if isinstance(raw_slo, Mapping) else None
    return Targets(
        window_days=window_days or slo.window_days or DEFAULT_WINDOW_DAYS,
        objectives=objectives,
        freshness_max_age_hours=slo.freshness_max_age_hours,
        min_volume_ratio=_number(completeness.get("min_volume_ratio"), DEFAULT_MIN_VOLUME_RATIO),
        max_volume_ratio=_number(completeness.get("max_volume_ratio"), DEFAULT_MAX_VOLUME_RATIO),
        min_pass_rate=_number(validity.get("min_pass_rate"), DEFAULT_MIN_PASS_RATE),
        product_objective=explicit if explicit is not None else min(objectives.values()),
    )
