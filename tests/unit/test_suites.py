"""Suite files: every product's suite is a real GX suite with meaningful, severity-tagged expectations, and
every kind of bad suite file is one clear ``SuiteError`` naming the file."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dataproducts.errors import SuiteError
from dataproducts.validation.runner import exception_message
from dataproducts.validation.suites import PARAMETERS, SEVERITIES, load_suite, suite_files, suite_parameters

REPO = Path(__file__).resolve().parents[2]
SUITES = suite_files(REPO / "expectations")

RANGE_RULES = {
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_pair_values_a_to_be_greater_than_b",
}


def test_there_are_suites() -> None:
    assert len(SUITES) >= 7


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_suite_loads_with_gx_and_is_meaningful(path: Path) -> None:
    from great_expectations.core import ExpectationSuite

    suite = load_suite(path)
    assert isinstance(suite.gx_suite, ExpectationSuite)
    # Named after the product it validates, in the domain folder: expectations/<domain>/<product>.json
    assert suite.name == f"{path.parent.name}.{path.stem}"
    # The grain, the non-null columns and the value domains a check constraint states are the contract's,
    # enforced at insert (DP004); a suite does not repeat them (DP018, docs/checks.md).
    assert len(suite.gx_suite.expectations) == len(suite) >= 6
    assert set(suite.severities) <= set(SEVERITIES)
    assert "critical" in suite.severities
    types = Counter(e["type"] for e in suite.raw["expectations"])
    assert types.keys() & RANGE_RULES, "value ranges, sets, regexes or cross-column rules"
    assert len(types) >= 5, "varied expectations, not one rule repeated"
    # No filler: no two expectations with the same type and arguments.
    keys = [json.dumps([e["type"], e["kwargs"]], sort_keys=True) for e in suite.raw["expectations"]]
    assert len(keys) == len(set(keys))
    # Every expectation says why (shown in Data Docs).
    assert all(e.get("description") for e in suite.raw["expectations"])


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_suite_checks_recent_data(path: Path) -> None:
    suite = load_suite(path)
    if suite.name == "sales.products":  # the catalog is not time-bound
        return
    assert suite.parameters & {"last_data_date", "last_data_day_start"}, "a recent-data rule"


def test_suite_parameters_follow_the_time_model() -> None:
    values = suite_parameters(dt.date(2026, 11, 20))
    assert values.keys() == PARAMETERS.keys()
    assert values["as_of_date"] == "2026-11-20"
    assert values["as_of_time"] == "2026-11-20 06:00:00"
    assert values["last_data_date"] == "2026-11-19"
    assert values["last_data_day_start"] == "2026-11-19 00:00:00"
    assert values["as_of_minus_730d_date"] == "2024-11-20"
    assert values["last_data_month_start"] == "2026-11-01"
    # on the first of a month the last data day, and so its month, is in the month before
    assert suite_parameters(dt.date(2026, 1, 1))["last_data_month_start"] == "2025-12-01"


# --- bad suite files -----------------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "name": "sales.t",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}, "severity": "critical"},
        {
            "type": "expect_column_max_to_be_between",
            "kwargs": {"column": "at", "min_value": {"$PARAMETER": "last_data_day_start"}},
            "severity": "warning",
        },
    ],
}


def _write(tmp_path: Path, data: Any, name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _bad(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(GOOD))
    first = data["expectations"][0]
    for key, value in changes.items():
        if value is None:
            first.pop(key, None)
        else:
            first[key] = value
    return data


def test_good_suite_loads(tmp_path: Path) -> None:
    suite = load_suite(_write(tmp_path, GOOD))
    assert suite.severities == ("critical", "warning")
    assert suite.parameters == {"last_data_day_start"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[]", "must hold a JSON object"),
        ({"expectations": GOOD["expectations"]}, "has no name"),
        ({"name": "sales.t", "expectations": []}, "no expectations"),
        (_bad(type="expect_column_values_to_be_purple"), "unknown expectation type"),
        (_bad(severity=None), "severity missing"),
        (_bad(severity="blocker"), "severity 'blocker'"),
        (_bad(kwargs={}), "invalid configuration: column"),
        (_bad(kwargs=None), "no kwargs"),
        (
            {
                "name": "sales.t",
                "expectations": [
                    {
                        "type": "expect_column_max_to_be_between",
                        "kwargs": {"column": "at", "min_value": {"$PARAMETER": "yesterday"}},
                        "severity": "info",
                    }
                ],
            },
            "unknown suite parameter(s) yesterday",
        ),
    ],
)
def test_bad_suite_is_one_line_error_naming_the_file(tmp_path: Path, content: Any, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    text = str(info.value)
    assert text.startswith(str(path))
    assert message in text
    assert "\n" not in text


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="suite file not found"):
        load_suite(tmp_path / "nope.json")


# --- reading GX's exception_info -----------------------------------------------------------------------------


def _Result(info: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "exception_info": info}


def test_exception_message_flat_and_per_metric() -> None:
    assert exception_message(_Result({"raised_exception": False, "exception_message": None})) is None
    assert exception_message(_Result({})) is None
    flat = {"raised_exception": True, "exception_message": "boom\ntraceback"}
    assert exception_message(_Result(flat)) == "boom"
    keyed = {"MetricConfigurationID(column.max)": {"raised_exception": True, "exception_message": "bad"}}
    assert exception_message(_Result(keyed)) == "bad"
