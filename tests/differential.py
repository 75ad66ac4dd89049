"""Test support: compare two GX suite validation results expectation by expectation (the ``sql``/``auto``
engines against ``gx``), for the differential tests (``tests/unit/test_sql_engine_*.py``,
``tests/integration/test_engine_differential.py``).

What must be equal: the expectation (type and kwargs), ``success``, whether it raised, the set of result
keys, every count and percentage, ``observed_value`` (as GX serializes it to JSON), and the unexpected
samples as multisets when GX's sample holds every unexpected value. When more values are unexpected than
the sample holds, *which* ones GX returns depends on the scan order (its query has no ``order by``), so
only the sample's size is compared then.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

SAMPLE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts", "partial_missing_list")


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _config_key(config: Mapping[str, Any]) -> str:
    kwargs = {k: v for k, v in dict(config.get("kwargs") or {}).items() if k != "batch_id"}
    return _canon({"type": config.get("type"), "kwargs": kwargs})


def _unexpected_total(result: Mapping[str, Any]) -> int | None:
    count = result.get("unexpected_count")
    return count if isinstance(count, int) else None


def _close(a: Any, b: Any, rel_tol: float) -> bool:
    """Two observed values equal within ``rel_tol`` (numbers, or lists of numbers); exact when it is 0."""
    if rel_tol and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return all(_close(x, y, rel_tol) for x, y in zip(a, b, strict=True))
    numbers = (int, float)
    if rel_tol and isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool | str):
        return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=0.0)
    return _canon(a) == _canon(b)


def expectation_differences(
    gx: Mapping[str, Any], other: Mapping[str, Any], where: str = "", *, rel_tol: float = 0.0
) -> list[str]:
    """Differences between two ``ExpectationValidationResult`` JSON dicts (empty: equal). ``rel_tol``: how far
    a numeric ``observed_value`` may be from the other, relatively (0: exactly equal), for engines that sum
    floating-point values in another order (Spark's partitions)."""
    out: list[str] = []
    if _config_key(gx["expectation_config"]) != _config_key(other["expectation_config"]):
        return [f"{where}: different expectations {gx['expectation_config']} / {other['expectation_config']}"]
    if gx.get("success") != other.get("success"):
        out.append(f"{where}: success {gx.get('success')} != {other.get('success')}")
    gx_raised = bool((gx.get("exception_info") or {}).get("raised_exception"))
    other_raised = bool((other.get("exception_info") or {}).get("raised_exception"))
    if gx_raised != other_raised:
        out.append(f"{where}: raised {gx_raised} != {other_raised}")
    a: Mapping[str, Any] = gx.get("result") or {}
    b: Mapping[str, Any] = other.get("result") or {}
    if set(a) != set(b):
        out.append(f"{where}: result keys {sorted(a)} != {sorted(b)}")
    limit_hit = False
    total = _unexpected_total(a)
    sample = a.get("partial_unexpected_list")
    if total is not None and isinstance(sample, list) and total > len(sample):
        limit_hit = True
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if key in SAMPLE_KEYS:
            if key == "partial_missing_list" or not limit_hit:
                if Counter(map(_canon, va or [])) != Counter(map(_canon, vb or [])):
                    out.append(f"{where}: {key} {va} != {vb}")
            elif key == "partial_unexpected_list" and len(va or []) != len(vb or []):
                out.append(f"{where}: {key} has {len(va or [])} values != {len(vb or [])}")
            continue
        if key == "observed_value" and _close(va, vb, rel_tol):
            continue
        if _canon(va) != _canon(vb):
            out.append(f"{where}: {key} {va!r} != {vb!r}")
    return out


def suite_differences(gx: Mapping[str, Any], other: Mapping[str, Any], *, rel_tol: float = 0.0) -> list[str]:
    """Differences between two ``ExpectationSuiteValidationResult`` JSON dicts (empty: equal); ``rel_tol`` as
    for :func:`expectation_differences`."""
    out: list[str] = []
    name = gx.get("suite_name")
    if gx.get("success") != other.get("success"):
        out.append(f"{name}: suite success {gx.get('success')} != {other.get('success')}")
    if _canon(gx.get("statistics")) != _canon(other.get("statistics")):
        out.append(f"{name}: statistics {gx.get('statistics')} != {other.get('statistics')}")
    ra: Sequence[Mapping[str, Any]] = gx.get("results") or []
    rb: Sequence[Mapping[str, Any]] = other.get("results") or []
    if len(ra) != len(rb):
        return [*out, f"{name}: {len(ra)} results != {len(rb)}"]
    for i, (x, y) in enumerate(zip(ra, rb, strict=True)):
        where = f"{name} #{i + 1} {x['expectation_config'].get('type')}"
        out.extend(expectation_differences(x, y, where, rel_tol=rel_tol))
    return out
