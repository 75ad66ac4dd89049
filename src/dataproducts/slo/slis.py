"""The five SLIs as pure functions over plain values: one run of one product in, one ``SliResult`` out.

Nothing here reads a file or a database; ``evidence`` gathers the inputs. Every function returns
``unknown`` with a reason when its input is missing, never ``met`` (see docs/slo.md for the semantics).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dataproducts.slo.model import (
    AT_RISK_FRESHNESS_SHARE,
    AT_RISK_VOLUME_MARGIN,
    SliResult,
    Status,
    worst,
)

# --- freshness ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFreshness:
    """One upstream source's newest load time, from ``sources.json``."""

    source: str
    max_loaded_at: dt.datetime | None
    status: str = "pass"
    error: str | None = None


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600.0, 2)


def _short(unique_id: str) -> str:
    """``source.proj.shop.orders`` -> ``shop.orders``; ``model.proj.orders.v2`` -> ``orders.v2``."""
    parts = unique_id.split(".")
    if parts[0] == "source" and len(parts) >= 4:
        return ".".join(parts[2:])
    return ".".join(parts[2:]) if len(parts) >= 3 else unique_id


def freshness_sli(
    sources: Sequence[SourceFreshness] | None,
    upstream: Sequence[str],
    as_of_time: dt.datetime,
    max_age_hours: float | None,
    *,
    missing_reason: str = "no source freshness results (sources.json)",
) -> SliResult:
    """Age of the product's data at the as-of time: the age of its *stalest* upstream source.

    Each source's ``max_loaded_at`` is its newest data; the product is only as fresh as the oldest of those
    (one stalled feed makes its numbers stale even when the other feeds arrived).
    """
    target: dict[str, Any] = {"max": max_age_hours}

    def result(status: Status, value: float | None, reason: str, **details: Any) -> SliResult:
        return SliResult("freshness", status, value, "hours", target, reason, details)

    if max_age_hours is None:
        return result(Status.UNKNOWN, None, "no freshness target (slo.freshness.max_age_hours)")
    if not upstream:
        return result(Status.UNKNOWN, None, "the product has no upstream sources to judge freshness by")
    if sources is None:
        return result(Status.UNKNOWN, None, missing_reason)
    by_source = {s.source: s for s in sources}
    ages: dict[str, float] = {}
    loaded: dict[str, str] = {}
    unknown: list[str] = []
    for uid in upstream:
        found = by_source.get(uid)
        if found is None or found.max_loaded_at is None:
            why = "no result" if found is None else (found.error or found.status)
            unknown.append(f"{_short(uid)} ({why})")
            continue
        ages[_short(uid)] = _hours(as_of_time - found.max_loaded_at)
        loaded[_short(uid)] = found.max_loaded_at.isoformat().replace("+00:00", "Z")
    details = {"as_of": as_of_time.isoformat().replace("+00:00", "Z"), "source_ages_hours": ages}
    if not ages:
        return result(Status.UNKNOWN, None, "freshness unknown for " + ", ".join(unknown), **details)
    stalest = max(ages, key=lambda s: ages[s])
    age = ages[stalest]
    details.update(stalest_source=stalest, max_loaded_at=loaded[stalest])
    text = f"newest data of {stalest} is {age:g} h old at the as-of time (max {max_age_hours:g} h)"
    if age > max_age_hours:
        return result(Status.BREACHED, age, text, **details)
    if unknown:
        return result(Status.UNKNOWN, age, "freshness unknown for " + ", ".join(unknown), **details)
    if age > AT_RISK_FRESHNESS_SHARE * max_age_hours:
        return result(Status.AT_RISK, age, text, **details)
    return result(Status.MET, age, text, **details)


# --- availability -----------------------------------------------------------------------------------------------

_MODEL_OK = {"success"}
# A test that ran (passed, warned or failed) leaves the product available; failures count for validity.
_TEST_OK = {"pass", "warn", "fail", "success"}


def availability_sli(
    own: Mapping[str, str | None],
    upstream: Mapping[str, str | None],
    tests: Mapping[str, str | None],
) -> SliResult:
    """Did the product's model(s), every upstream model and their tests run in this build?

    Each mapping is node unique_id -> its status in ``run_results.json`` (None: not in this run). A model
    that errored or was skipped, or a test that errored or was skipped, breaches the SLI.
    """
    target = {"min": 1.0}
    nodes = [(uid, status, True) for uid, status in {**own, **upstream}.items()]
    nodes += [(uid, status, False) for uid, status in tests.items()]
    bad = [
        f"{_short(uid)} {status}"
        for uid, status, is_model in nodes
        if status is not None and status not in (_MODEL_OK if is_model else _TEST_OK)
    ]
    missing_own = [_short(uid) for uid, status in own.items() if status is None]
    missing_up = [_short(uid) for uid, status in upstream.items() if status is None]
    ran = [n for n in nodes if n[1] is not None]
    value = round((len(ran) - len(bad)) / len(ran), 4) if ran else None
    details = {"nodes": len(nodes), "ran": len(ran), "failed": bad}
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        return SliResult(
            "availability", Status.BREACHED, value, "ratio", target, f"not built: {shown}", details
        )
    if missing_own or missing_up:
        which = missing_own or missing_up
        what = "the product" if missing_own else "upstream models"
        reason = f"{what} not in this run: {', '.join(which[:5])}"
        return SliResult("availability", Status.UNKNOWN, value, "ratio", target, reason, details)
    reason = f"the product, {len(upstream)} upstream models and {len(tests)} tests ran"
    return SliResult("availability", Status.MET, value, "ratio", target, reason, details)


# --- completeness -----------------------------------------------------------------------------------------------


def completeness_sli(
    row_count: int | None,
    baseline: Sequence[int],
    min_ratio: float,
    max_ratio: float,
    required_nulls: Mapping[str, int | None],
) -> SliResult:
    """Row volume within ``[min_ratio, max_ratio]`` x the median of previous runs, required fields present.

    ``required_nulls`` maps each required (not-null constrained) column to its NULL count in the product,
    None when the column is missing. Without previous runs the volume part is unknown and the SLI is judged
    on the required fields alone (with that said in the reason).
    """
    target = {"min": min_ratio, "max": max_ratio}
    details: dict[str, Any] = {"row_count": row_count, "required_columns": sorted(required_nulls)}

    def result(status: Status, value: float | None, reason: str) -> SliResult:
        return SliResult("completeness", status, value, "ratio", target, reason, details)

    if row_count is None:
        return result(Status.UNKNOWN, None, "row count unavailable")
    missing = sorted(c for c, n in required_nulls.items() if n is None)
    with_nulls = {c: n for c, n in sorted(required_nulls.items()) if n}
    if with_nulls:
        details["null_counts"] = with_nulls
    problems = [f"required column {c} missing" for c in missing]
    problems += [f"{c} has {n} NULLs" for c, n in with_nulls.items()]
    if row_count == 0:
        problems.insert(0, "the product is empty")
    if not baseline:
        if problems:
            return result(Status.BREACHED, None, "; ".join(problems))
        return result(
            Status.MET,
            None,
            f"{row_count} rows, required fields present; no previous runs yet for the volume band",
        )
    median = float(statistics.median(baseline))
    ratio = round(row_count / median, 4) if median > 0 else (1.0 if row_count == 0 else float("inf"))
    details.update(baseline_median=median, baseline_runs=len(baseline))
    volume = f"{row_count} rows = {ratio:g} x the median of {len(baseline)} previous runs ({median:g})"
    if ratio < min_ratio or ratio > max_ratio:
        problems.insert(0, f"{volume}, outside {min_ratio:g}-{max_ratio:g}")
    value = ratio if ratio != float("inf") else None
    if problems:
        return result(Status.BREACHED, value, "; ".join(problems))
    near = ratio < min_ratio * (1 + AT_RISK_VOLUME_MARGIN) or ratio > max_ratio * (1 - AT_RISK_VOLUME_MARGIN)
    if near:
        return result(Status.AT_RISK, value, f"{volume}, near the band's edge")
    return result(Status.MET, value, f"{volume}; required fields present")


# --- validity ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One quality check of a product in one run: a GX expectation or a dbt data test."""

    source: str  # gx | dbt
    name: str
    column: str | None
    severity: str  # critical | warning | info
    status: str  # passed | failed | error
    unexpected_count: int | None = None
    element_count: int | None = None
    samples: tuple[Any, ...] = ()
    message: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}({self.column})" if self.column else self.name


def _names(checks: Sequence[Check], limit: int = 4) -> str:
    labels = [c.label for c in checks]
    return ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def validity_sli(
    checks: Sequence[Check] | None,
    min_pass_rate: float,
    *,
    missing_reason: str = "no quality check results",
) -> SliResult:
    """Share of checks that passed vs ``min_pass_rate``; a failed critical check breaches on its own.

    A check that could not be evaluated (status ``error``) makes the SLI unknown, never met; a failed
    critical check still breaches (breached outranks unknown).
    """
    target = {"min": min_pass_rate}
    if checks is None:
        return SliResult("validity", Status.UNKNOWN, None, "ratio", target, missing_reason)
    if not checks:
        return SliResult(
            "validity", Status.UNKNOWN, None, "ratio", target, "the product has no quality checks"
        )
    passed = [c for c in checks if c.status == "passed"]
    failed = [c for c in checks if c.status == "failed"]
    errors = [c for c in checks if c.status not in ("passed", "failed")]
    critical = [c for c in failed if c.severity == "critical"]
    evaluated = len(passed) + len(failed)
    rate = round(len(passed) / evaluated, 4) if evaluated else None
    details = {
        "checks": len(checks),
        "passed": len(passed),
        "failed": len(failed),
        "errors": len(errors),
        "failed_critical": len(critical),
        "by_source": {s: sum(1 for c in checks if c.source == s) for s in sorted({c.source for c in checks})},
    }
    summary = f"{len(passed)} of {evaluated} checks passed" if evaluated else "no check could be evaluated"

    def result(status: Status, reason: str) -> SliResult:
        return SliResult("validity", status, rate, "ratio", target, reason, details)

    if critical:
        return result(Status.BREACHED, f"critical checks failed: {_names(critical)} ({summary})")
    if errors:
        return result(Status.UNKNOWN, f"checks could not be evaluated: {_names(errors)} ({summary})")
    assert rate is not None
    if rate < min_pass_rate:
        return result(
            Status.BREACHED, f"{summary} ({rate:.1%} < {min_pass_rate:.1%}); failed: {_names(failed)}"
        )
    if failed:
        return result(Status.AT_RISK, f"{summary}; non-critical checks failed: {_names(failed)}")
    return result(Status.MET, f"all {summary.split(' of ')[1]}")


# --- schema stability -------------------------------------------------------------------------------------------

_TYPE_ALIASES = {
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "SIGNED": "INTEGER",
    "INT8": "BIGINT",
    "LONG": "BIGINT",
    "INT2": "SMALLINT",
    "SHORT": "SMALLINT",
    "INT1": "TINYINT",
    "TEXT": "VARCHAR",
    "STRING": "VARCHAR",
    "CHAR": "VARCHAR",
    "BPCHAR": "VARCHAR",
    "CHARACTER VARYING": "VARCHAR",  # PostgreSQL's spelling of varchar
    "FLOAT8": "DOUBLE",
    "DOUBLE PRECISION": "DOUBLE",
    "FLOAT4": "FLOAT",
    "REAL": "FLOAT",
    "NUMERIC": "DECIMAL",
    "BOOL": "BOOLEAN",
    "LOGICAL": "BOOLEAN",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_NTZ": "TIMESTAMP",  # Spark's timestamp without time zone
    "BYTE": "TINYINT",  # Spark's
}


def normalize_type(data_type: str | None) -> str | None:
    """A comparable spelling of a SQL type: ``integer`` -> ``INTEGER``, ``numeric(12, 2)`` -> ``DECIMAL(12,2)``."""
    if data_type is None:
        return None
    text = re.sub(r"\s+", " ", data_type.strip().upper())
    text = re.sub(r"\s*([(),])\s*", r"\1", text)
    base, _, rest = text.partition("(")
    base = _TYPE_ALIASES.get(base.strip(), base.strip())
    if base.startswith("VARCHAR"):
        return "VARCHAR"  # DuckDB ignores VARCHAR lengths
    return f"{base}({rest}" if rest else base


Columns = Mapping[str, Mapping[str, str | None]]  # relation -> column -> type


def schema_diff(before: Columns, after: Columns) -> list[dict[str, Any]]:
    """What changed from ``before`` to ``after``: relations and columns added/removed, types changed."""
    changes: list[dict[str, Any]] = []
    for relation in sorted(set(before) | set(after)):
        if relation not in after:
            changes.append({"relation": relation, "change": "relation_removed", "column": None})
            continue
        if relation not in before:
            changes.append({"relation": relation, "change": "relation_added", "column": None})
            continue
        old, new = before[relation], after[relation]
        for column in old:
            if column not in new:
                changes.append(
                    {
                        "relation": relation,
                        "change": "column_removed",
                        "column": column,
                        "before": old[column],
                    }
                )
            elif old[column] and new[column] and normalize_type(old[column]) != normalize_type(new[column]):
                changes.append(
                    {
                        "relation": relation,
                        "change": "type_changed",
                        "column": column,
                        "before": old[column],
                        "after": new[column],
                    }
                )
        for column in new:
            if column not in old:
                changes.append(
                    {"relation": relation, "change": "column_added", "column": column, "after": new[column]}
                )
    for change in changes:
        change.setdefault("before", None)
        change.setdefault("after", None)
    return changes


_BREAKING = {"relation_removed", "column_removed", "type_changed"}


def schema_stability_sli(
    actual: Columns | None,
    contract: Columns,
    previous: Columns | None,
    *,
    missing_reason: str = "the product's columns could not be read",
) -> tuple[SliResult, list[dict[str, Any]]]:
    """The warehouse columns vs the contract (manifest) and vs the previous run (history).

    Any difference from the contract breaches. Against the previous run, a removed relation or column or a
    changed type breaches (it breaks consumers), an added column or relation is at risk (reported). Returns
    the SLI and the changes since the previous run.
    """
    target = {"max": 0}
    if actual is None:
        return SliResult("schema_stability", Status.UNKNOWN, None, "count", target, missing_reason), []
    missing = sorted(set(contract) - set(actual))
    if missing:
        reason = f"relation not found in the warehouse: {', '.join(missing)}"
        return SliResult("schema_stability", Status.UNKNOWN, None, "count", target, reason), []
    drift = [c for c in schema_diff(contract, actual) if c["change"] != "relation_added"]
    # an untyped contract column only checks the name
    changes = schema_diff(previous, actual) if previous is not None else []
    statuses = [Status.BREACHED if drift else Status.MET]
    statuses += [Status.BREACHED if c["change"] in _BREAKING else Status.AT_RISK for c in changes]
    status = worst(statuses)
    details: dict[str, Any] = {
        "relations": sorted(actual),
        "columns": sum(len(c) for c in actual.values()),
        "contract_differences": drift,
    }
    parts: list[str] = []
    if drift:
        parts.append("differs from the contract: " + _describe(drift))
    if changes:
        parts.append("changed since the previous run: " + _describe(changes))
    if not parts:
        parts.append(
            "columns match the contract and the previous run"
            if previous is not None
            else "columns match the contract; no previous run to compare with"
        )
    value = float(len(drift) + len(changes))
    return SliResult("schema_stability", status, value, "count", target, "; ".join(parts), details), changes


def _describe(changes: Sequence[Mapping[str, Any]], limit: int = 4) -> str:
    def one(c: Mapping[str, Any]) -> str:
        where = f"{c['relation']}.{c['column']}" if c.get("column") else c["relation"]
        if c["change"] == "type_changed":
            return f"{where} {c['before']} -> {c['after']}"
        return f"{c['change'].replace('_', ' ')} {where}"

    text = ", ".join(one(c) for c in changes[:limit])
    return text + (f" and {len(changes) - limit} more" if len(changes) > limit else "")
