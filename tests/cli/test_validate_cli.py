"""`dp validate` on the command line: exit codes, one-line errors naming the file or product, and no results
written when the input is bad."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import BuiltProject, dp

pytestmark = pytest.mark.integration


def _target(tmp_path: Path, built: BuiltProject) -> Path:
    """A target directory holding the built project's manifest and run results (a build to adopt)."""
    target = tmp_path / "target"
    target.mkdir(parents=True)
    shutil.copy(built.config.manifest_path, target / "manifest.json")
    shutil.copy(built.config.target_dir / "run_results.json", target / "run_results.json")
    return target


def _validate(
    project: Path, target: Path, warehouse: Path, *extra: str, as_of: str = "2026-11-20"
) -> subprocess.CompletedProcess[str]:
    return dp(
        "validate",
        "--project-dir",
        str(project),
        "--target-dir",
        str(target),
        "--runs-dir",
        str(target.parent / "runs"),
        "--warehouse",
        str(warehouse),
        "--as-of",
        as_of,
        *extra,
    )


def _summaries(target: Path) -> list[Path]:
    return sorted((target.parent / "runs").glob("*/validations/*/summary.json"))


def _summary(target: Path) -> dict[str, Any]:
    (path,) = _summaries(target)
    return json.loads(path.read_text(encoding="utf-8"))


def _assert_untouched(target: Path) -> None:
    runs = target.parent / "runs"
    assert not _summaries(target), "no validation results written"
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "run_results.json"]
    leftovers = [p for p in runs.rglob(".*") if p.name != ".lock"] if runs.exists() else []
    assert not leftovers, leftovers


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dp: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_clean_exits_0_and_writes_a_part_of_the_run_record(
    tmp_path: Path, built_clean: BuiltProject, project_copy: Path
) -> None:
    target = _target(tmp_path, built_clean)
    proc = _validate(project_copy, target, built_clean.config.warehouse, "--no-docs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED  sales.orders" in proc.stdout
    summary = _summary(target)
    assert summary["engine"] == "auto" and summary["as_of"] == "2026-11-20"
    assert all(p["status"] == "passed" for p in summary["products"])
    assert sorted(p.name for p in target.iterdir()) == ["manifest.json", "run_results.json"], (
        "target untouched"
    )
    # a second validation adds a part; the first stays as it was
    first = _summaries(target)[0].read_bytes()
    assert _validate(project_copy, target, built_clean.config.warehouse, "--no-docs").returncode == 0
    assert len(_summaries(target)) == 2 and _summaries(target)[0].read_bytes() == first


def test_faults_exit_1(tmp_path: Path, built_faulty: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_faulty)
    proc = _validate(project_copy, target, built_faulty.config.warehouse, "--no-docs", "-s", "sales")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failed [critical] expect_column_values_to_not_be_null customer_id unexpected=" in proc.stdout
    summary = _summary(target)
    assert summary["selection"] == sorted(p["id"] for p in summary["products"])
    assert {p["id"] for p in summary["products"]} == {
        "sales.products",
        "sales.order_items",
        "sales.orders",
        "sales.sales_daily",
    }


# --- bad input: exit 2, one line, nothing written -----------------------------------------------------------


def test_a_missing_suite_file_is_advice_not_an_error(
    tmp_path: Path, built_clean: BuiltProject, project_copy: Path
) -> None:
    """Suites are optional (issue 16): the product goes unvalidated, the others are validated."""
    target = _target(tmp_path, built_clean)
    (project_copy / "expectations" / "sales" / "orders.json").unlink()
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    assert proc.returncode in (0, 1), proc.stderr
    assert "dp: advice: no quality suite for sales.orders: validity not measured" in proc.stderr
    summaries = _summaries(target)
    assert len(summaries) == 1
    ids = {p["id"] for p in json.loads(summaries[0].read_text())["products"]}
    assert "sales.orders" not in ids and "sales.order_items" in ids


def test_malformed_suite_file(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    (project_copy / "expectations" / "sales" / "sales_daily.json").write_text('{"name": ', encoding="utf-8")
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    _assert_one_line_error(proc, "expectations/sales/sales_daily.json", "not valid JSON")
    _assert_untouched(target)


def test_unknown_expectation_type(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    path = project_copy / "expectations" / "sales" / "products.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    suite["expectations"][2]["type"] = "expect_column_values_to_be_sparkly"
    path.write_text(json.dumps(suite), encoding="utf-8")
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    _assert_one_line_error(
        proc, str(path), "#3", "expect_column_values_to_be_sparkly", "unknown expectation type"
    )
    _assert_untouched(target)


def test_suite_for_unknown_product(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    source = project_copy / "expectations" / "sales" / "orders.json"
    suite = json.loads(source.read_text(encoding="utf-8"))
    suite["name"] = "sales.fct_refunds"
    (source.parent / "fct_refunds.json").write_text(json.dumps(suite), encoding="utf-8")
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    _assert_one_line_error(
        proc, "expectations/sales/fct_refunds.json", "'sales.fct_refunds'", "no data product"
    )
    _assert_untouched(target)


def test_missing_warehouse(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    proc = _validate(project_copy, target, tmp_path / "nope.duckdb")
    _assert_one_line_error(proc, "nope.duckdb", "warehouse not found")
    _assert_untouched(target)


def test_unbuilt_warehouse(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    warehouse = tmp_path / "unbuilt.duckdb"
    duckdb.connect(str(warehouse)).close()
    proc = _validate(project_copy, target, warehouse)
    _assert_one_line_error(proc, "unbuilt.duckdb", "not found", "of data product", "dbt build")
    _assert_untouched(target)


def test_locked_warehouse(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    warehouse = tmp_path / "locked.duckdb"
    shutil.copy(built_clean.config.warehouse, warehouse)
    writer = duckdb.connect(str(warehouse))  # as dbt would hold it while building
    try:
        proc = _validate(project_copy, target, warehouse)
    finally:
        writer.close()
    _assert_one_line_error(proc, "locked.duckdb", "locked by another program")
    _assert_untouched(target)


def test_manifest_from_another_schema_version(
    tmp_path: Path, built_clean: BuiltProject, project_copy: Path
) -> None:
    target = _target(tmp_path, built_clean)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v11.json"
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    _assert_one_line_error(proc, "manifest.json", "v11")
    _assert_untouched(target)


def test_missing_manifest(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    (target / "manifest.json").unlink()
    proc = _validate(project_copy, target, built_clean.config.warehouse)
    _assert_one_line_error(proc, "manifest.json", "not found")
    assert not _summaries(target)


def test_unknown_selection(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    proc = _validate(project_copy, target, built_clean.config.warehouse, "--select", "fct_refunds")
    _assert_one_line_error(proc, "fct_refunds")
    _assert_untouched(target)


def test_bad_options(tmp_path: Path, built_clean: BuiltProject, project_copy: Path) -> None:
    target = _target(tmp_path, built_clean)
    for extra in (("--engine", "spark"), ("--result-format", "BOOLEAN_ONLY"), ("--samples", "-1")):
        proc = _validate(project_copy, target, built_clean.config.warehouse, *extra)
        _assert_one_line_error(proc)
    _assert_untouched(target)
