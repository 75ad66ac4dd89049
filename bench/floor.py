"""(f) The transformation floor: every model's compiled SQL as a plain ``CREATE TABLE AS`` / ``CREATE VIEW``
in one DuckDB session, in dependency order, with no contracts, constraints, tests or hooks.

    floor.py prep MANIFEST WAREHOUSE FLOOR_DIR   copy the warehouse into FLOOR_DIR keeping only the landing
                                                 schemas (raw_*), untimed
    floor.py run MANIFEST FLOOR_DIR [MEMORY_LIMIT] [THREADS]
                                                 build every model from the landing data; prints one JSON
                                                 object (seconds in total and per model)

The manifest must be one written by ``dbt build`` (it holds each model's ``compiled_code``). The floor file
keeps the warehouse's file name, so the compiled references (``"<database>"."<schema>"."<relation>"``) resolve
unchanged. This is what the transformations cost by themselves: ``dbt build`` and ``dp nightly`` are
measured against it (issue 12, targets in bench/run.py).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

LANDING_PREFIX = "raw_"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build_order(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The enabled, non-ephemeral models with compiled SQL, parents before children (Kahn's algorithm,
    ties by unique id so the order is stable)."""
    nodes = manifest["nodes"]
    models = {
        uid: n
        for uid, n in nodes.items()
        if n["resource_type"] == "model" and n["config"].get("enabled", True)
    }
    parents = {uid: {p for p in n["depends_on"]["nodes"] if p in models} for uid, n in models.items()}
    order: list[str] = []
    ready = sorted(uid for uid, ps in parents.items() if not ps)
    while ready:
        uid = ready.pop(0)
        order.append(uid)
        for child, ps in parents.items():
            if uid in ps:
                ps.discard(uid)
                if not ps and child not in order and child not in ready:
                    ready.append(child)
        ready.sort()
    if len(order) != len(models):
        raise SystemExit(f"floor: a cycle among {sorted(set(models) - set(order))}")
    built = []
    for uid in order:
        node = models[uid]
        if node["config"].get("materialized") == "ephemeral":
            continue  # inlined as a CTE into its children's compiled SQL
        if not node.get("compiled_code"):
            raise SystemExit(f"floor: {uid} has no compiled_code (use the manifest of a dbt build)")
        built.append(node)
    return built


def prep(manifest_path: Path, warehouse: Path, floor_dir: Path) -> Path:
    floor_dir.mkdir(parents=True, exist_ok=True)
    target = floor_dir / warehouse.name
    target.unlink(missing_ok=True)
    shutil.copyfile(warehouse, target)
    con = duckdb.connect(str(target))
    try:
        schemas = [
            row[0]
            for row in con.execute(
                "select schema_name from information_schema.schemata "
                "where catalog_name = current_database() and schema_name not in ('main', 'information_schema', "
                "'pg_catalog')"
            ).fetchall()
        ]
        for schema in schemas:
            if not schema.startswith(LANDING_PREFIX):
                con.execute(f"drop schema {_quote(schema)} cascade")
        con.execute("checkpoint")
    finally:
        con.close()
    return target


def run(
    manifest_path: Path, floor_dir: Path, memory_limit: str | None, threads: int | None
) -> dict[str, Any]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = build_order(manifest)
    (database_file,) = sorted(floor_dir.glob("*.duckdb"))
    started = time.perf_counter()
    con = duckdb.connect(str(database_file))
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    per: dict[str, float] = {}
    try:
        for node in models:
            schema, alias = node["schema"], node.get("alias") or node["name"]
            relation = f"{_quote(schema)}.{_quote(alias)}"
            kind = "view" if node["config"].get("materialized") == "view" else "table"
            step = time.perf_counter()
            con.execute(f"create schema if not exists {_quote(schema)}")
            con.execute(f"create or replace {kind} {relation} as (\n{node['compiled_code']}\n)")
            per[node["unique_id"]] = round(time.perf_counter() - step, 4)
        con.execute("checkpoint")
    finally:
        con.close()
    return {"total": time.perf_counter() - started, "models": len(per), "per_model": per}


def main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode == "prep":
        manifest, warehouse, floor_dir = rest
        print(prep(Path(manifest), Path(warehouse), Path(floor_dir)))
        return 0
    if mode == "run":
        manifest, floor_dir, *limits = rest
        memory_limit = limits[0] if limits and limits[0] else None
        threads = int(limits[1]) if len(limits) > 1 and limits[1] else None
        print(json.dumps(run(Path(manifest), Path(floor_dir), memory_limit, threads)))
        return 0
    raise SystemExit(f"floor: unknown mode {mode!r} (prep or run)")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
