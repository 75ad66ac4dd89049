"""The project's own suites on real built warehouses: ``auto`` (and ``sql``) give exactly ``gx``'s results.

Warehouses: clean data, data with the nulls, duplicates and volume_drop faults (``built_faulty``), and data
with the late fault. Every suite of the project must compile completely (no expectation handed to GX).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from conftest import BuiltProject, build_project
from dataproducts.artifacts import load_manifest
from dataproducts.products import load_products
from dataproducts.validation.auto_engine import AutoEngine
from dataproducts.validation.engine import open_engine, result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.runner import load_product_suites
from dataproducts.validation.suites import suite_parameters
from differential import suite_differences

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built_late(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    built = build_project(tmp_path_factory.mktemp("late"), faults=("late",))
    assert built.build_returncode == 0
    return built


def _validate_all(built: BuiltProject, engine: str) -> tuple[dict[str, Any], Any]:
    cfg = built.config
    products = load_products(load_manifest(cfg.manifest_path))
    suites = load_product_suites(cfg, products)
    params = suite_parameters(built.as_of)
    now = dt.datetime.now(dt.UTC)
    fmt = result_format("SUMMARY", 20)
    eng = (
        GxEngine(cfg.warehouse, result_format=fmt, run_name="diff", run_time=now)
        if engine == "gx"
        else open_engine(engine, Path(cfg.warehouse), result_format=fmt, run_name="diff", run_time=now)
    )
    try:
        return {p.id: eng.validate(p, suites[p.id], params).to_json_dict() for p in products}, eng
    finally:
        eng.close()


@pytest.mark.parametrize("which", ["built_clean", "built_faulty", "built_late"])
def test_auto_equals_gx_on_every_project_suite(which: str, request: pytest.FixtureRequest) -> None:
    built: BuiltProject = request.getfixturevalue(which)
    theirs, _ = _validate_all(built, "gx")
    ours, auto = _validate_all(built, "auto")
    assert isinstance(auto, AutoEngine)
    assert auto.delegated == {}, f"expectations handed to GX: {auto.delegated}"
    assert sorted(theirs) == sorted(ours)
    diffs = [d for pid in theirs for d in suite_differences(theirs[pid], ours[pid])]
    assert not diffs, "\n".join(diffs)
    if which != "built_clean":
        assert any(not r["success"] for r in ours.values())  # the faults are seen


def test_sql_engine_validates_every_project_suite(built_faulty: BuiltProject) -> None:
    theirs, _ = _validate_all(built_faulty, "gx")
    ours, _ = _validate_all(built_faulty, "sql")
    diffs = [d for pid in theirs for d in suite_differences(theirs[pid], ours[pid])]
    assert not diffs, "\n".join(diffs)
    assert all(r["meta"]["engine"] == "sql" for r in ours.values())
