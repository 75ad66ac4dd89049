"""`dp diff --state` between the project as it is and mutated copies of it, parsed by real dbt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import REPO, dp, make_config
from dataproducts.dbt import run_dbt

SALES_MODELS = Path("models/sales/marts/_sales__models.yml")
CUSTOMERS_MODELS = Path("models/customers/marts/_customers__models.yml")
CUSTOMERS_EXPOSURES = Path("models/customers/marts/_customers__exposures.yml")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's manifest as the 'previous production build'."""
    tmp = tmp_path_factory.mktemp("state")
    config = make_config(tmp, REPO)
    result = run_dbt(config, ["parse", "--quiet"], quiet=True, extra_env={"DBT_LOG_PATH": str(tmp / "logs")})
    assert result.returncode == 0
    return config.target_dir


def _diff(project: Path, state: Path, tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    changelog = tmp_path / "changelog.md"
    proc = dp(
        "diff",
        "--state",
        str(state),
        "--project-dir",
        str(project),
        "--target-dir",
        str(tmp_path / "target"),
        "--output",
        str(changelog),
        "--as-of",
        "2026-11-20",
        "--format",
        "json",
        *extra,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), changelog.read_text()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _product(data: dict, product: str) -> dict:
    (found,) = [p for p in data["products"] if p["product"] == product]
    return found


def test_removed_column_fails_and_the_changelog_names_exposures_and_owners(
    project_copy: Path, state: Path, tmp_path: Path
) -> None:
    # sales_daily: an unversioned product (a change to a versioned one is reported per version)
    _edit(
        project_copy / SALES_MODELS,
        "      - name: refunded_amount_eur\n        data_type: decimal(14,2)\n"
        "        description: Sum of the refunds on that day's orders, in EUR.\n"
        "        constraints: [{type: not_null}]\n",
        "",
    )
    code, data, changelog = _diff(project_copy, state, tmp_path)
    assert code == 1
    daily = _product(data, "sales.sales_daily")
    assert daily["kind"] == "breaking"
    assert {
        "kind": "breaking",
        "what": "column removed",
        "detail": "`refunded_amount_eur`",
        "version": None,
    } in daily["changes"]
    assert "sales_performance_dashboard" in {e["name"] for e in daily["affected_exposures"]}
    assert "Sales Analytics <sales-analytics@example.com>" in daily["owners_to_tell"]
    assert "## `sales.sales_daily`: breaking" in changelog
    assert "`sales_performance_dashboard` (dashboard)" in changelog
    assert "Tell: Sales Analytics \\<sales-analytics@example.com\\>" in changelog  # Markdown-escaped


def test_retyped_column_fails(project_copy: Path, state: Path, tmp_path: Path) -> None:
    _edit(
        project_copy / SALES_MODELS,
        "      - name: order_count\n        data_type: integer",
        "      - name: order_count\n        data_type: bigint",
    )
    code, data, changelog = _diff(project_copy, state, tmp_path)
    assert code == 1
    changes = _product(data, "sales.sales_daily")["changes"]
    assert [c for c in changes if c["kind"] == "breaking"] == [
        {
            "kind": "breaking",
            "what": "type changed",
            "detail": "`order_count`: integer -> bigint",
            "version": None,
        }
    ]
    assert "integer -\\> bigint" in changelog


def test_version_removed_before_its_deprecation_date_fails(
    project_copy: Path, state: Path, tmp_path: Path
) -> None:
    path = project_copy / CUSTOMERS_MODELS
    data = yaml.safe_load(path.read_text())
    (model,) = data["models"]
    model["versions"] = [v for v in model["versions"] if v["v"] != 1]
    data["unit_tests"] = [
        t for t in data.get("unit_tests", []) if 1 not in t.get("versions", {}).get("include", [])
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (project_copy / "models/customers/marts/customers_v1.sql").unlink()
    _edit(project_copy / CUSTOMERS_EXPOSURES, "ref('customers', v=1)", "ref('customers')")
    code, result, changelog = _diff(project_copy, state, tmp_path)
    assert code == 1
    customers = _product(result, "customers.customers")
    assert {
        "kind": "breaking",
        "what": "version removed",
        "detail": "before its deprecation date 2027-06-30",
        "version": "1",
    } in customers["changes"]
    assert "newsletter_sync" in {e["name"] for e in customers["affected_exposures"]}
    assert "Marketing Operations <marketing-ops@example.com>" in customers["owners_to_tell"]
    assert "newsletter_sync" in changelog


def test_added_column_passes(project_copy: Path, state: Path, tmp_path: Path) -> None:
    _edit(
        project_copy / SALES_MODELS,
        "      - name: paid_order_count\n",
        "      - name: sales_channel\n        data_type: varchar\n        description: Where the orders came from.\n"
        "      - name: paid_order_count\n",
    )
    code, data, changelog = _diff(project_copy, state, tmp_path)
    assert code == 0, data
    orders = _product(data, "sales.sales_daily")
    assert orders["kind"] == "non-breaking"
    assert {
        "kind": "non-breaking",
        "what": "column added",
        "detail": "`sales_channel` (varchar)",
        "version": None,
    } in orders["changes"]
    assert "Breaking changes" not in changelog


def test_text_output_and_missing_state(project_copy: Path, state: Path, tmp_path: Path) -> None:
    proc = dp(
        "diff",
        "--state",
        str(state),
        "--project-dir",
        str(project_copy),
        "--target-dir",
        str(tmp_path / "t"),
        "--reports-dir",
        str(tmp_path / "reports"),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("dp diff OK: no breaking change; 0 changed")
    assert (tmp_path / "reports" / "changelog.md").is_file()
    proc = dp("diff", "--state", str(tmp_path / "nowhere"), "--project-dir", str(project_copy))
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr
