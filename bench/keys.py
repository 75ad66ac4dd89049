"""What an enforced primary key costs, product by product, against checking the key after the build.

    python bench/keys.py WAREHOUSE [--repeat 3] [--memory-limit 1GB] [--threads 2]

On a built warehouse (bench/.work/scale-<S>/warehouse.duckdb after bench/run.py), for every product table
with a PRIMARY KEY, in one DuckDB session on a private in-memory copy of the product's rows:

  copy        CREATE TABLE AS SELECT * (no constraints at all)
  constraints the contract's table without its key (NOT NULL, CHECK) + INSERT SELECT *
  enforced    the contract's table with its PRIMARY KEY + INSERT SELECT * (the rows through the ART index)
  check       SELECT count(*) - count(DISTINCT k) (the suite's uniqueness check, one scan)
  dbt unique  SELECT k FROM t GROUP BY k HAVING count(*) > 1 (dbt's unique test)

and the memory DuckDB holds for the index (``duckdb_memory()``, tag ART_INDEX) after the enforced insert.
Prints a table: the key costs ``enforced - constraints`` seconds on every full build; the check costs ``check``
seconds on every validation. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path
from typing import Any

import duckdb

SCHEMAS = ("sales", "customers", "marketing", "operations")


def _time(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - started


def measure(warehouse: Path, repeat: int, memory_limit: str, threads: int) -> list[dict[str, Any]]:
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit, "threads": threads})
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    keys = con.execute(
        "select schema_name, table_name, constraint_column_names from duckdb_constraints() "
        f"where database_name = 'wh' and constraint_type = 'PRIMARY KEY' and schema_name in {SCHEMAS} "
        "order by 1, 2"
    ).fetchall()
    out: list[dict[str, Any]] = []
    for schema, table, columns in keys:
        source = f"wh.{schema}.{table}"
        key = ", ".join(columns)
        rows = con.execute(f"select count(*) from {source}").fetchone()
        # one warm-up read so every measurement starts from the same buffer state
        con.execute(f"create or replace temp table warm as select * from {source}")
        con.execute("drop table warm")
        ddl = con.execute(
            f"select sql from duckdb_tables() where database_name = 'wh' and schema_name = '{schema}' "
            f"and table_name = '{table}'"
        ).fetchone()
        assert ddl is not None
        keyed_ddl = re.sub(r"^CREATE TABLE \S+?\(", "CREATE TABLE keyed(", ddl[0], count=1)
        # the same table without its key: column-level `PRIMARY KEY` or a table-level `, PRIMARY KEY(a, b)`
        unkeyed_ddl = re.sub(r", PRIMARY KEY\([^)]*\)|(?<=\S) PRIMARY KEY", "", keyed_ddl)
        unkeyed_ddl = unkeyed_ddl.replace("CREATE TABLE keyed(", "CREATE TABLE unkeyed(", 1)
        assert "PRIMARY KEY" in keyed_ddl and "PRIMARY KEY" not in unkeyed_ddl, keyed_ddl
        copy, constrained, enforced, check, unique, index_mib = [], [], [], [], [], []
        for _ in range(repeat):
            copy.append(_time(con, f"create or replace table plain as select * from {source}"))
            con.execute(unkeyed_ddl)
            constrained.append(_time(con, f"insert into unkeyed select * from {source}"))
            con.execute("drop table unkeyed")
            con.execute(keyed_ddl)
            enforced.append(_time(con, f"insert into keyed select * from {source}"))
            art = con.execute(
                "select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory() where tag = 'ART_INDEX'"
            ).fetchone()
            index_mib.append((art[0] if art else 0) / 2**20)
            con.execute("drop table keyed")
            check.append(_time(con, f"select count(*) - count(distinct ({key})) from plain"))
            unique.append(
                _time(
                    con, f"select count(*) from (select {key} from plain group by {key} having count(*) > 1)"
                )
            )
            con.execute("drop table plain")
        out.append(
            {
                "product": f"{schema}.{table}",
                "key": key,
                "rows": int(rows[0]) if rows else 0,
                "copy_s": round(statistics.median(copy), 3),
                "constraints_s": round(statistics.median(constrained), 3),
                "enforced_s": round(statistics.median(enforced), 3),
                "key_cost_s": round(statistics.median(enforced) - statistics.median(constrained), 3),
                "check_s": round(statistics.median(check), 3),
                "dbt_unique_s": round(statistics.median(unique), 3),
                "art_index_mib": round(max(index_mib), 1),
            }
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    results = measure(args.warehouse, max(1, args.repeat), args.memory_limit, args.threads)
    print(
        "| product | key | rows | copy s | with not_null/check s | and the key s | key costs s "
        "| uniqueness check s | dbt unique test s | ART index MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['product']} | {r['key']} | {r['rows']:,} | {r['copy_s']} | {r['constraints_s']} | "
            f"{r['enforced_s']} | "
            f"{r['key_cost_s']} | {r['check_s']} | {r['dbt_unique_s']} | {r['art_index_mib']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
