"""One measured step of the benchmark, run in its own process by ``bench/run.py``.

    probe.py handwritten PROJECT_DIR WAREHOUSE TARGET AS_OF   hand-written single-scan SQL, every product once
    probe.py sql PROJECT_DIR WAREHOUSE TARGET AS_OF           the compiled engine, every product once
    probe.py gx PROJECT_DIR WAREHOUSE TARGET AS_OF            Great Expectations, every product once
    probe.py paired PROJECT_DIR WAREHOUSE TARGET AS_OF        (a) and (b) per product, alternated
    probe.py dbt-build PROJECT_DIR WAREHOUSE TARGET AS_OF     dbt build --full-refresh (dataproducts.dbt.run_dbt)

Prints one JSON object: seconds per product (and in total) measured inside the process.

``paired`` is the per-product comparison of (a) and (b): on the compiled engine's own read-only connection
(same DuckDB settings for both), each product's hand-written query and its compiled validation run
alternately, after one warm-up run of each, and the medians are reported. Alternating puts both under the
same machine noise (this is a shared VM: millisecond figures drift by half between minutes); repeating
gives a median worth reading: at least ``DP_BENCH_INNER_REPEAT`` pairs (default 5), and for a product
measured in milliseconds as many as fit in about a second (at most 301).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _timed(step: Any) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    mode, project_dir, warehouse, target, as_of_s = argv
    from dataproducts.config import load_config

    cfg = load_config(Path(project_dir), warehouse=warehouse, target_dir=target)
    as_of = dt.date.fromisoformat(as_of_s)
    started = time.perf_counter()
    if mode == "dbt-build":
        from dataproducts.dbt import run_dbt

        # a full build every time: the incremental products rebuilt from all history, as (d) always was
        inv = run_dbt(
            cfg, ["build", "--quiet", "--full-refresh"], dbt_vars={"as_of": as_of.isoformat()}, quiet=True
        )
        print(json.dumps({"total": time.perf_counter() - started, "returncode": inv.returncode}))
        return 0

    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products
    from dataproducts.validation.runner import load_product_suites
    from dataproducts.validation.suites import suite_parameters

    products = load_products(load_manifest(cfg.manifest_path))
    per: dict[str, float] = {}
    if mode == "handwritten":
        import duckdb

        from handwritten import product_queries

        queries = product_queries(cfg, as_of)
        con = duckdb.connect(str(cfg.warehouse), read_only=True)
        for pid, sql in queries.items():
            per[pid] = _timed(lambda sql=sql: con.execute(sql).fetchall())
        con.close()
        print(json.dumps({"total": time.perf_counter() - started, "products": per}))
        return 0

    from dataproducts.validation.engine import open_engine, result_format
    from dataproducts.validation.gx_engine import GxEngine

    suites = load_product_suites(cfg, products)
    params = suite_parameters(as_of)
    fmt = result_format("SUMMARY", 20)
    now = dt.datetime.now(dt.UTC)
    engine = (
        GxEngine(cfg.warehouse, result_format=fmt, run_name="bench", run_time=now)
        if mode == "gx"
        else open_engine("sql", cfg.warehouse, result_format=fmt, run_name="bench", run_time=now)
    )
    try:
        if mode != "paired":
            for p in products:
                per[p.id] = _timed(lambda p=p: engine.validate(p, suites[p.id], params))
            print(json.dumps({"total": time.perf_counter() - started, "products": per}))
            return 0
        from handwritten import product_queries

        queries = product_queries(cfg, as_of)
        from dataproducts.validation.sql.engine import SqlEngine

        # open_engine("sql") is GX when the installed GX is not one the compiled engines were written for
        assert isinstance(engine, SqlEngine), f"paired needs the sql engine, not {engine.name}"
        con = engine.connection  # the engine's connection: the same DuckDB settings for (a) and (b)
        minimum = max(1, int(os.environ.get("DP_BENCH_INNER_REPEAT", "5")))
        out: dict[str, Any] = {}
        for p in products:

            def hand(sql: str = queries[p.id]) -> None:
                con.execute(sql).fetchall()

            def compiled(p: Any = p) -> None:
                engine.validate(p, suites[p.id], params)

            warm = _timed(hand) + _timed(compiled)
            pairs = max(minimum, min(301, int(1.0 / max(warm, 1e-6))))
            a_times, b_times = [], []
            for _ in range(pairs):
                a_times.append(_timed(hand))
                b_times.append(_timed(compiled))
            out[p.id] = {"a": statistics.median(a_times), "b": statistics.median(b_times), "pairs": pairs}
        print(json.dumps({"total": time.perf_counter() - started, "paired": out}))
        return 0
    finally:
        engine.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
