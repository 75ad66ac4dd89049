"""Incremental equals full: the products built night by night from a landing area that grows one day at a
time (late arrivals, status changes and every fault included) are, row for row, the products a full refresh
builds from the same landing data.

Each night: ``dp generate --as-of D --append`` (with that night's faults), an incremental ``dbt run``, then a
copy of the warehouse rebuilt with ``dbt run --full-refresh``; every relation of every product schema must
hold the same rows in both (``EXCEPT ALL`` both ways, so duplicates count). Real dbt, real DuckDB.

The copy rebuilds the incremental models and everything built on them (``config.materialized:incremental+``):
the other models are tables and views of the same landing data in both warehouses, so rebuilding them too
would compare a thing with itself. On the night a model fails (schema drift), the copy rebuilds everything,
so that the models downstream of the failure are judged as a full ``dbt run`` leaves them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import make_config
from dataproducts.config import ProjectConfig
from dataproducts.dbt import run_dbt
from dataproducts.generate import generate

START = dt.date(2026, 11, 10)
SCALE = 0.05
SEED = 11
PRODUCT_SCHEMAS = ("sales", "customers", "marketing", "operations")
INCREMENTAL = ("sales.orders", "sales.order_items", "sales.sales_daily", "operations.service_health_daily")
# seven appended nights: every fault once, and clean nights after them that deliver what they held back
SCHEDULE: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("nulls", "duplicates"),
    3: ("late",),
    4: (),
    5: ("volume_drop",),
    6: ("schema_drift",),
    7: (),
}


def _run(cfg: ProjectConfig, logs: Path, *extra: str) -> int:
    """``dbt run`` without ``--vars``: no model reads ``as_of`` (only the freshness and recency checks do, and
    ``dbt run`` runs no check), and with the same vars every night dbt parses the project only once per
    target directory (new vars mean a full parse: about 6 s a run)."""
    result = run_dbt(cfg, ["run", "--quiet", *extra], quiet=True, extra_env={"DBT_LOG_PATH": str(logs)})
    assert not result.crashed, f"dbt run could not run (exit {result.returncode})"
    return result.returncode


def _relations(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {PRODUCT_SCHEMAS} order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def _differences(incremental: Path, full: Path) -> dict[str, tuple[int, int, int]]:
    """relation -> (rows, rows only in the incremental build, rows only in the full refresh), when unequal."""
    out: dict[str, tuple[int, int, int]] = {}
    with duckdb.connect(str(incremental), read_only=True) as con:
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        database = con.execute("select current_database()").fetchone()
        assert database is not None
        for relation in _relations(incremental):
            mine = f"{database[0]}.{relation}"
            theirs = f"full_refresh.{relation}"
            counts = con.execute(
                f"select (select count(*) from {mine}), "
                f"(select count(*) from (select * from {mine} except all select * from {theirs})), "
                f"(select count(*) from (select * from {theirs} except all select * from {mine}))"
            ).fetchone()
            assert counts is not None
            if counts[1] or counts[2]:
                out[relation] = (int(counts[0]), int(counts[1]), int(counts[2]))
    return out


def _count(path: Path, sql: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.integration
def test_incremental_builds_equal_full_refreshes_night_after_night(tmp_path: Path) -> None:
    cfg = make_config(tmp_path / "incremental")
    logs = tmp_path / "logs"
    generate(cfg.warehouse, scale=SCALE, seed=SEED, as_of=START)
    assert _run(cfg, logs) == 0
    assert set(INCREMENTAL) <= set(_relations(cfg.warehouse))

    reference = make_config(tmp_path / "full")
    reference.warehouse.parent.mkdir(parents=True, exist_ok=True)
    unequal: dict[str, dict[str, tuple[int, int, int]]] = {}
    for night, faults in SCHEDULE.items():
        day = START + dt.timedelta(days=night)
        orders_before = _count(cfg.warehouse, "select count(*) from sales.orders")
        generate(cfg.warehouse, as_of=day, faults=faults, append=True)
        code = _run(cfg, logs)
        # only schema drift breaks a model (the customers contract); everything else builds
        assert code == (1 if "schema_drift" in faults else 0), f"night {night} {faults}: dbt run exit {code}"

        shutil.copyfile(cfg.warehouse, reference.warehouse)
        scope = () if code else ("--select", "config.materialized:incremental+")
        assert _run(reference, logs, "--full-refresh", *scope) == code
        diff = _differences(cfg.warehouse, reference.warehouse)
        if diff:
            unequal[f"night {night} {day} {','.join(faults) or 'clean'}"] = diff
        if not faults:
            assert _count(cfg.warehouse, "select count(*) from sales.orders") > orders_before
    assert not unequal, f"incremental builds differ from full refreshes: {unequal}"

    # the incremental path really ran: the last nights replaced a window, they did not rebuild the table
    compiled = cfg.target_dir / "run" / "dataproducts" / "models" / "sales" / "marts" / "orders.sql"
    assert "delete from" in compiled.read_text(encoding="utf-8")
