"""One measured step of the benchmark, run in its own process by ``bench/run.py``.

    probe.py handwritten PROJECT_DIR WAREHOUSE TARGET AS_OF   hand-written single-scan SQL, per product
    probe.py sql PROJECT_DIR WAREHOUSE TARGET AS_OF           the compiled engine, per product
    probe.py gx PROJECT_DIR WAREHOUSE TARGET AS_OF            Great Expectations, per product
    probe.py dbt-build PROJECT_DIR WAREHOUSE TARGET AS_OF     dbt build (through dataproducts.dbt.run_dbt)

Prints one JSON object: seconds per product (and in total) measured inside the process. Per product, each
measurement is repeated ``DP_BENCH_INNER_REPEAT`` times (default 5) on the warm process and the median is
reported, for (a) and (b) alike: single runs of millisecond queries are mostly scheduler noise.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str]) -> int:
    mode, project_dir, warehouse, target, as_of_s = argv
    from dataproducts.config import load_config

    cfg = load_config(Path(project_dir), warehouse=warehouse, target_dir=target)
    as_of = dt.date.fromisoformat(as_of_s)
    started = time.perf_counter()
    if mode == "dbt-build":
        from dataproducts.dbt import run_dbt

        inv = run_dbt(cfg, ["build", "--quiet"], dbt_vars={"as_of": as_of.isoformat()}, quiet=True)
        print(json.dumps({"total": time.perf_counter() - started, "returncode": inv.returncode}))
        return 0

    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products
    from dataproducts.validation.runner import load_product_suites
    from dataproducts.validation.suites import suite_parameters

    products = load_products(load_manifest(cfg.manifest_path))
    repeat = max(1, int(os.environ.get("DP_BENCH_INNER_REPEAT", "5")))
    per: dict[str, float] = {}
    if mode == "handwritten":
        import duckdb

        from handwritten import product_queries

        queries = product_queries(cfg, as_of)
        con = duckdb.connect(str(cfg.warehouse), read_only=True)
        for pid, sql in queries.items():
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                times.append(time.perf_counter() - t)
            per[pid] = statistics.median(times)
        con.close()
    else:
        from dataproducts.validation.engine import GxEngine, result_format
        from dataproducts.validation.sql.engine import open_engine

        suites = load_product_suites(cfg, products)
        params = suite_parameters(as_of)
        fmt = result_format("SUMMARY", 20)
        now = dt.datetime.now(dt.UTC)
        engine = (
            GxEngine(cfg.warehouse, result_format=fmt, run_name="bench", run_time=now)
            if mode == "gx"
            else open_engine(mode, cfg.warehouse, result_format=fmt, run_name="bench", run_time=now)
        )
        try:
            for p in products:
                times = []
                for _ in range(repeat if mode != "gx" else 1):
                    t = time.perf_counter()
                    engine.validate(p, suites[p.id], params)
                    times.append(time.perf_counter() - t)
                per[p.id] = statistics.median(times)
        finally:
            engine.close()
    print(json.dumps({"total": time.perf_counter() - started, "products": per}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
