"""A wrong descriptor value or an unreadable suite on the command line: a `dp check` violation naming file and
key, and exit 2 with one line naming them in every other command (never "internal error", never a default).

Each test parses a mutated copy of the project with real dbt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import dp

SALES_MODELS = Path("models/sales/marts/_sales__models.yml")
SUITE = Path("expectations/sales/orders.json")
# orders' descriptor sits on the model, so both its versions carry it and each is named
WHERE = "models/sales/marts/_sales__models.yml: orders v2: config.meta.data_product."

WRONG = [  # (YAML text, replacement, key, what the message says)
    ("domain: sales", "domain: 123", "domain", "expected a string, got 123"),
    ("email: sales-analytics@example.com}", "email: 42}", "owner.email", "expected a string, got 42"),
    ("window_days: 28", 'window_days: "7"', "slo.window_days", 'expected an integer, got "7"'),
    (
        "freshness: {max_age_hours: 30, objective: 0.95}",
        'freshness: {max_age_hours: 30, objective: "high"}',
        "slo.freshness.objective",
        'expected a number, got "high"',
    ),
    (
        "min_pass_rate: 0.98",
        'min_pass_rate: "0.5"',
        "slo.validity.min_pass_rate",
        'expected a number, got "0.5"',
    ),
]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _break_descriptor(project: Path) -> None:
    for old, new, _, _ in WRONG:
        _edit(project / SALES_MODELS, old, new)


def _break_suite(project: Path) -> None:
    suite = json.loads((project / SUITE).read_text())
    suite["expectations"][1]["type"] = "expect_column_values_to_be_purple"
    (project / SUITE).write_text(json.dumps(suite, indent=2))


def _one_line_error(proc: Any, *fragments: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return str(lines[0])


def test_dp_check_reports_every_wrong_value_naming_file_and_key(project_copy: Path, tmp_path: Path) -> None:
    _break_descriptor(project_copy)
    proc = dp(
        "check",
        "--project-dir",
        str(project_copy),
        "--target-dir",
        str(tmp_path / "target"),
        "--no-warehouse",
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    violations = json.loads(proc.stdout)["violations"]
    mine = [v["message"] for v in violations if v["product"] == "sales.orders" and v["rule"] == "DP005"]
    for _, _, key, message in WRONG:
        assert any(m.startswith(f"{WHERE}{key}: {message}") for m in mine), (key, mine)
        assert any(m.startswith(f"{WHERE.replace(' v2:', ' v1:')}{key}: {message}") for m in mine), (
            key,
            mine,
        )
    assert len(mine) == 2 * len(WRONG), mine  # a wrong value is not reported again as missing
    # the anchored owner and slo are wrong in every sales product, each named by its own model
    assert any(
        m.startswith(
            "models/sales/marts/_sales__models.yml: sales_daily: config.meta.data_product.owner.email"
        )
        for m in (v["message"] for v in violations)
    )


def test_dp_check_applies_dp_validates_suite_checks(project_copy: Path, tmp_path: Path) -> None:
    _break_suite(project_copy)
    proc = dp(
        "check",
        "--project-dir",
        str(project_copy),
        "--target-dir",
        str(tmp_path / "target"),
        "--no-warehouse",
        "--format",
        "json",
    )
    assert proc.returncode == 1, proc.stderr
    (violation,) = json.loads(proc.stdout)["violations"]
    assert (violation["product"], violation["rule"]) == ("sales.orders", "DP006")
    assert violation["message"] == (
        "quality suite expectations/sales/orders.json: expectation #2 (expect_column_values_to_be_purple): "
        "unknown expectation type"
    )


def test_dp_export_odcs_refuses_an_unreadable_suite(project_copy: Path, tmp_path: Path) -> None:
    _break_suite(project_copy)
    out = tmp_path / "contracts"
    proc = dp(
        "export",
        "odcs",
        "--project-dir",
        str(project_copy),
        "--target-dir",
        str(tmp_path / "target"),
        "--output",
        str(out),
    )
    _one_line_error(proc, "expectations/sales/orders.json", "expect_column_values_to_be_purple")
    assert not out.exists(), "no contract is written without its rules"


def test_dp_export_odcs_refuses_a_wrong_descriptor(project_copy: Path, tmp_path: Path) -> None:
    _break_descriptor(project_copy)
    proc = dp(
        "export",
        "odcs",
        "--project-dir",
        str(project_copy),
        "--target-dir",
        str(tmp_path / "target"),
        "--output",
        str(tmp_path / "contracts"),
    )
    _one_line_error(proc, "_sales__models.yml: ", "config.meta.data_product.")
