"""`dp generate` on the command line: exit codes and one-line errors."""

from __future__ import annotations

import datetime as dt
import shutil
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


# --- --append and --history-start --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Landing data as of 2026-11-20 (scale 0.02, seed 42, the default origin 2024-11-20)."""
    target = tmp_path_factory.mktemp("landing") / "w.duckdb"
    result = dp("generate", "--scale", "0.02", "--as-of", "2026-11-20", "--warehouse", str(target))
    assert result.returncode == 0, result.stderr
    assert "(origin 2024-11-20, scale 0.02, seed 42, faults none)" in result.stdout
    return target


def _copy(landing: Path, tmp_path: Path) -> Path:
    target = tmp_path / "w.duckdb"
    shutil.copyfile(landing, target)
    return target


def test_append_grows_the_landing_data(landing: Path, tmp_path: Path) -> None:
    target = _copy(landing, tmp_path)
    result = dp(
        "generate", "--as-of", "2026-11-22", "--append", "--inject", "nulls", "--warehouse", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "appended landing data from 2026-11-20 to 2026-11-22 (origin 2024-11-20, scale 0.02, seed 42, "
        "faults nulls) in "
    )
    assert "raw_shop.orders 2,006 (+6)" in result.stdout
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select as_of from raw_meta.landing_state").fetchall() == [
            (dt.date(2026, 11, 22),)
        ]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--as-of", "2026-11-20"], ["--as-of 2026-11-20 is not after", "as of 2026-11-20"]),
        (["--as-of", "2026-11-21", "--scale", "1"], ["--scale 1 differs from the landing data's 0.02"]),
        (["--as-of", "2026-11-21", "--seed", "7"], ["--seed 7 differs from the landing data's 42"]),
        (
            ["--as-of", "2026-11-21", "--history-start", "2024-01-01"],
            ["--history-start 2024-01-01 differs from the landing data's 2024-11-20"],
        ),
    ],
)
def test_bad_append_exits_2_with_one_line(
    landing: Path, tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    target = _copy(landing, tmp_path)
    before = target.read_bytes()
    result = dp("generate", "--append", "--warehouse", str(target), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0], result.stderr
    assert all(needle in lines[0] for needle in needles), result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_bytes() == before


def test_append_without_landing_data_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    result = dp("generate", "--append", "--as-of", "2026-11-20", "--warehouse", str(target))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"no landing data in {target}" in lines[0], result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("history_start", "needle"),
    [("2026-11-20", "must be before --as-of 2026-11-20"), ("2016-11-20", "3652 days before --as-of")],
)
def test_bad_history_start_exits_2(tmp_path: Path, history_start: str, needle: str) -> None:
    target = tmp_path / "w.duckdb"
    result = dp(
        "generate", "--as-of", "2026-11-20", "--history-start", history_start, "--warehouse", str(target)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert not target.exists()
