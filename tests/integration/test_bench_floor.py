"""bench/floor.py, the transformation floor (f): the same compiled SQL, so the same products, without dbt."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from conftest import REPO, BuiltProject


def _floor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_floor", REPO / "bench" / "floor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(
    uid: str, parents: list[str], materialized: str = "table", code: str = "select 1"
) -> dict[str, Any]:
    return {
        "unique_id": uid,
        "resource_type": "model",
        "config": {"materialized": materialized},
        "depends_on": {"nodes": parents},
        "compiled_code": code,
    }


def test_models_are_built_parents_first_and_ephemeral_ones_are_inlined() -> None:
    floor = _floor()
    nodes = {
        "model.p.c": _model("model.p.c", ["model.p.b", "model.p.a"]),
        "model.p.b": _model("model.p.b", ["model.p.e", "source.p.raw.x"]),
        "model.p.e": _model("model.p.e", ["model.p.a"], "ephemeral"),
        "model.p.a": _model("model.p.a", []),
        "test.p.t": {
            "unique_id": "test.p.t",
            "resource_type": "test",
            "config": {},
            "depends_on": {"nodes": []},
        },
    }
    assert [n["unique_id"] for n in floor.build_order({"nodes": nodes})] == [
        "model.p.a",
        "model.p.b",
        "model.p.c",
    ]
    nodes["model.p.a"]["depends_on"]["nodes"] = ["model.p.c"]
    with pytest.raises(SystemExit, match="a cycle"):
        floor.build_order({"nodes": nodes})


def test_a_manifest_without_compiled_sql_is_refused() -> None:
    with pytest.raises(SystemExit, match="no compiled_code"):
        _floor().build_order({"nodes": {"model.p.a": _model("model.p.a", [], code="")}})


def test_the_floor_rebuilds_every_product_row_for_row(built_clean: BuiltProject, tmp_path: Path) -> None:
    floor = _floor()
    manifest = built_clean.config.target_dir / "manifest.json"
    copy = floor.prep(manifest, built_clean.config.warehouse, tmp_path / "floor")
    con = duckdb.connect(str(copy), read_only=True)
    schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    con.close()
    assert all(s.startswith("raw_") or s in ("main", "information_schema", "pg_catalog") for s in schemas)
    result = floor.run(manifest, tmp_path / "floor", "1GB", 2)
    data = json.loads(manifest.read_text())
    models = [n for n in data["nodes"].values() if n["resource_type"] == "model"]
    assert result["models"] == sum(1 for n in models if n["config"]["materialized"] != "ephemeral")
    con = duckdb.connect(str(copy), read_only=True)
    con.execute(f"attach '{built_clean.config.warehouse}' as built (read_only)")
    database = copy.stem
    for node in models:
        if node["access"] != "public" or node["config"]["materialized"] == "ephemeral":
            continue
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        one = f"select * from {database}.{relation}"
        other = f"select * from built.{relation}"
        for a, b in ((one, other), (other, one)):
            (extra,) = con.execute(f"select count(*) from ({a} except all {b})").fetchone() or (None,)
            assert extra == 0, f"{relation}: {extra} rows differ"
    con.close()
