"""`dp access`: the access matrix of the project, as a table and as JSON; a broken roles.yml exits 2."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import dp

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
KEYS = {"product", "version", "role", "port", "relation", "allowed", "masked_columns"}


def test_dp_access_json_lists_every_product_version_role_and_port(tmp_path: Path) -> None:
    proc = dp("access", "--format", "json", "--project-dir", str(REPO), "--target-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and all(set(r) == KEYS for r in rows)
    assert {r["port"] for r in rows} == {"postgres", "files", "api"}
    products = {r["product"] for r in rows}
    assert "customers.customers" in products and "sales.orders" in products
    by_key = {(r["product"], r["version"], r["role"], r["port"]): r for r in rows}
    masked = by_key[("customers.customers", 3, "domain_sales", "postgres")]
    assert masked["allowed"] and masked["relation"] == "customers.customers_masked"
    assert "email" in masked["masked_columns"]
    assert not by_key[("customers.customers", 3, "analysts", "postgres")]["allowed"]
    clear = by_key[("customers.customers", 1, "app_newsletter_sync", "postgres")]
    assert (
        clear["allowed"]
        and clear["masked_columns"] == []
        and clear["relation"] == "customers.dim_customers_v1"
    )
    daily = by_key[("sales.sales_daily", None, "analysts", "files")]
    assert daily["allowed"] and daily["relation"] == "roles/analysts/sales/sales_daily"


def test_dp_access_prints_a_table_and_filters_ports() -> None:
    proc = dp("access", "--manifest", str(FIXTURE), "--port", "postgres", "--project-dir", str(REPO))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["product", "version", "role", "port"]
    assert all(" files " not in line for line in lines)
    assert "customers.dim_customers_v2_masked" in proc.stdout and lines[-1].endswith("refused")


def test_a_broken_roles_file_is_an_input_error(project_copy: Path) -> None:
    (project_copy / "roles.yml").write_text("roles:\n  - {name: Analysts, kind: broad, description: all}\n")
    proc = dp("access", "--manifest", str(FIXTURE), "--project-dir", str(project_copy))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("dp: error: roles.yml: roles[0] (Analysts).name")
    assert len(proc.stderr.splitlines()) == 1
    check = dp("check", "--manifest", str(FIXTURE), "--no-warehouse", "--project-dir", str(project_copy))
    assert check.returncode == 2 and "roles.yml" in check.stderr
