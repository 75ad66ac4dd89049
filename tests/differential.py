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


def expectation_differences(gx: Mapping[str, Any], other: Mapping[str, Any], where: str = "") -> list[str]:
    """Differences between two ``ExpectationValidationResult`` JSON dicts (empty: equal)."""
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
        if _canon(va) != _canon(vb):
            out.append(f"{where}: {key} {va!r} != {vb!r}")
    return out


def suite_differences(gx: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """Differences between two ``ExpectationSuiteValidationResult`` JSON dicts (empty: equal)."""
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
        out.extend(expectation_differences(x, y, f"{name} #{i + 1} {x['expectation_config'].get('type')}"))
    return out
