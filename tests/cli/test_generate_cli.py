"""`dp generate` on the command line: exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import dp


def test_generate_writes_landing_schemas(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    result = dp("generate", "--scale", "0.02", "--as-of", "2026-11-20", "--warehouse", str(target))
    assert result.returncode == 0, result.stderr
    assert "raw_shop.orders 2,000" in result.stdout
    with duckdb.connect(str(target), read_only=True) as con:
        schemas = {
            r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    assert {"raw_crm", "raw_shop", "raw_telemetry"} <= schemas


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scale", "-1"], "--scale"),
        (["--scale", "abc"], "--scale"),
        (["--inject", "late,meteor"], "meteor"),
        (["--as-of", "2026-02-30"], "2026-02-30"),
        (["--seed", "-5"], "--seed"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    target = tmp_path / "w.duckdb"
    result = dp("generate", "--warehouse", str(target), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_project_dir_must_be_a_dbt_project(tmp_path: Path) -> None:
    result = dp("generate", "--project-dir", str(tmp_path))
    assert result.returncode == 2
    assert "dbt_project.yml" in result.stderr and str(tmp_path) in result.stderr


def test_default_warehouse_lives_in_the_project_dir(project_copy: Path) -> None:
    result = dp("generate", "--scale", "0.01", "--as-of", "2026-11-20", cwd=project_copy)
    assert result.returncode == 0, result.stderr
    assert (project_copy / "warehouse" / "dataproducts.duckdb").is_file()


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = dp("generate", "--debug", "--inject", "meteor", "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr
