"""The landing area on Apache Spark: ``dp generate --target spark`` puts what it generated into Spark tables.

The generator writes DuckDB (``generate.py``); for a Spark target it writes a DuckDB file of the project's
own (``warehouse/landing_<target>.duckdb``, as for PostgreSQL), exports each landing table (``raw_crm``,
``raw_shop``, ``raw_telemetry`` and ``raw_meta``) to Parquet in a staging folder, and a Spark session with
the target's own settings (its ``server_side_parameters``: master, warehouse folder, metastore) creates the
landing databases and replaces each table by a Parquet table with the DuckDB column types mapped to Spark's
(``spark_type``), filled from the staged file. dbt's sources then read them as on the other targets.

The Spark session runs in a child process started in the project directory (``python -m
dataproducts.spark``): its JVM ends with it, relative paths in the profile mean the same as for dbt (which
``dp`` runs from the project directory), and the Derby metastore, which one process at a time may open, is
free again when the load returns. The load is not one transaction (Spark has none across tables on Parquet):
a load that fails part-way leaves some tables replaced; ``dp generate`` says so and running it again repairs
it. ``--append`` grows the DuckDB copy and loads every table again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dataproducts.errors import UsageError, WarehouseError, first_line
from dataproducts.profile import DbtProfile, _render

LANDING_SCHEMAS = ("raw_crm", "raw_shop", "raw_telemetry", "raw_meta")
LOAD_TIMEOUT_SECONDS = 1800
# settings a session always gets (dbt-spark sets the first itself; the load must read and write as dbt does)
_FIXED_CONF = {"spark.sql.ansi.enabled": "false", "spark.sql.session.timeZone": "UTC"}

# DuckDB's type names (information_schema.columns.data_type) -> Spark SQL's
_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "HUGEINT": "decimal(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "int",
    "UINTEGER": "bigint",
    "UBIGINT": "decimal(20, 0)",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "BLOB": "binary",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class SparkTarget:
    """A Spark target of the profile: its name, where it came from and its session settings, rendered."""

    target: str
    where: str
    method: str
    conf: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        master = self.conf.get("spark.master", "local[*]")
        warehouse = self.conf.get("spark.sql.warehouse.dir", "spark-warehouse")
        return f"Spark {master} (warehouse {warehouse})"


def spark_target(profile: DbtProfile, reader: str = "dp generate") -> SparkTarget:
    """The profile's spark target with its ``server_side_parameters`` rendered; only the session method can be
    loaded into or read by ``dp`` (a Thrift server owns its warehouse: load it there); ``reader`` names the
    command in the message."""
    if profile.adapter != "spark" or profile.target is None:
        raise UsageError(f"{profile.where}: type {profile.adapter!r}, not a spark target")
    where = profile.where
    method = _render(profile.output.get("method"), f"{where}: method", profile.environ)
    if method != "session":
        raise UsageError(
            f"{where}: method {method!r}: {reader} works on Spark through a session (method: session) only; "
            "run it where the Thrift server's warehouse and metastore are"
        )
    raw = profile.output.get("server_side_parameters") or {}
    if not isinstance(raw, Mapping):
        raise UsageError(f"{where}: server_side_parameters must be a mapping")
    conf = {
        str(key): _render(value, f"{where}: server_side_parameters.{key}", profile.environ)
        for key, value in raw.items()
    }
    return SparkTarget(target=profile.target, where=where, method=method, conf=conf)


def spark_type(duckdb_type: str, where: str) -> str:
    """The Spark SQL type for a DuckDB column type; an unknown one is an error naming the column."""
    name = duckdb_type.upper().strip()
    decimal = _DECIMAL.match(name)
    if decimal:
        return f"decimal({decimal.group(1)}, {decimal.group(2)})"
    if name in _TYPES:
        return _TYPES[name]
    raise WarehouseError(f"{where}: DuckDB type {duckdb_type} has no Spark counterpart for the landing load")


@dataclass(frozen=True)
class SparkLoadResult:
    target: SparkTarget
    tables: dict[str, int]  # schema.table -> rows in the Spark table after the load
    seconds: float = 0.0

    def summary(self) -> str:
        rows = sum(self.tables.values())
        return (
            f"loaded {len(self.tables)} landing tables ({rows:,} rows) into {self.target.describe()} "
            f"in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class SparkGenerateResult:
    """``dp generate`` for a Spark target: what was generated, and what was loaded where."""

    generated: Any  # generate.GenerateResult
    loaded: SparkLoadResult

    def summary(self) -> str:
        return f"{self.generated.summary()}; {self.loaded.summary()}"


def _export(landing: Path, staging: Path) -> list[dict[str, Any]]:
    """Each landing table of the DuckDB file as a Parquet file in ``staging``: [{name, path, columns, rows}]."""
    try:
        con = duckdb.connect(str(landing), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read the landing data in {landing}: {first_line(exc)}") from exc
    tables: dict[str, list[tuple[str, str]]] = {}
    exported: list[dict[str, Any]] = []
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            f"where table_schema in ({', '.join('?' for _ in LANDING_SCHEMAS)}) "
            "order by table_schema, table_name, ordinal_position",
            list(LANDING_SCHEMAS),
        ).fetchall()
        for schema, table, column, data_type in rows:
            tables.setdefault(f"{schema}.{table}", []).append((column, data_type))
        for index, (name, cols) in enumerate(tables.items()):
            path = staging / f"{index}.parquet"
            # the name comes from DuckDB's catalog, not from input
            con.execute(f"copy (select * from {name}) to '{path}' (format parquet)")
            counted = con.execute(f"select count(*) from {name}").fetchone()
            exported.append(
                {
                    "name": name,
                    "path": str(path),
                    "rows": int(counted[0]) if counted else 0,
                    "columns": [
                        [column, spark_type(data_type, f"{landing}: {name}.{column}")]
                        for column, data_type in cols
                    ],
                }
            )
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read the landing data in {landing}: {first_line(exc)}") from exc
    finally:
        con.close()
    if not exported:
        raise WarehouseError(f"{landing}: no landing tables to load (run dp generate first)")
    return exported


def load_landing(target: SparkTarget, landing: Path, project_dir: Path) -> SparkLoadResult:
    """Replace the landing tables of the target's Spark warehouse by those of the DuckDB file ``landing``."""
    started = time.perf_counter()
    landing.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".dp-spark-landing-", dir=landing.parent) as scratch:
        staging = Path(scratch)
        tables = _export(landing, staging)
        plan = staging / "plan.json"
        plan.write_text(json.dumps({"conf": {**target.conf, **_FIXED_CONF}, "tables": tables}), "utf-8")
        result = staging / "result.json"
        command = [sys.executable, "-m", "dataproducts.spark", str(plan), str(result)]
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
        try:
            done = subprocess.run(
                command,
                cwd=project_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=LOAD_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise WarehouseError(
                f"{target.describe()}: the landing load did not finish in {LOAD_TIMEOUT_SECONDS}s"
            ) from exc
        if done.returncode != 0 or not result.is_file():
            reason = _last_error(done.stderr) or f"exit code {done.returncode}"
            raise WarehouseError(
                f"{target.describe()} ({target.where}): loading the landing data failed: {reason} "
                "(some landing tables may be replaced already: run dp generate again)"
            )
        counts = json.loads(result.read_text("utf-8"))
    for table in tables:
        if counts.get(table["name"]) != table["rows"]:
            raise WarehouseError(
                f"{target.describe()}: {table['name']} holds {counts.get(table['name'])} rows after the load, "
                f"the landing data {table['rows']}"
            )
    return SparkLoadResult(target=target, tables=counts, seconds=time.perf_counter() - started)


def _last_error(stderr: str) -> str:
    """The most telling line of a failed load's output: its own error line, else Spark's last exception."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("dp-spark-load:"):
            return line.removeprefix("dp-spark-load:").strip()
    for line in reversed(lines):
        if "Exception" in line or "Error" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""


def generate_and_load(
    target: SparkTarget, landing: Path, project_dir: Path, **options: Any
) -> SparkGenerateResult:
    """Generate the landing area into ``landing`` (``generate.generate``'s options, ``append`` included) and
    load it into the target's Spark warehouse; a failed generate or load puts ``landing`` back as it was."""
    from dataproducts.generate import generate

    if options.get("append") and not landing.is_file():
        raise UsageError(
            f"dp generate --append --target {target.target}: no landing data in {landing} (no file); "
            "run dp generate without --append first"
        )
    backup = landing.with_name(f".{landing.name}.{os.getpid()}.bak")
    if landing.is_file():
        shutil.copyfile(landing, backup)
    try:
        generated = generate(landing, **options)
        loaded = load_landing(target, landing, project_dir)
    except BaseException:
        if backup.is_file():
            backup.replace(landing)
        else:
            landing.unlink(missing_ok=True)
        raise
    finally:
        backup.unlink(missing_ok=True)
    return SparkGenerateResult(generated=generated, loaded=loaded)


# --- the child process: one Spark session ------------------------------------------------------------------


def _quote(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain identifier: {identifier!r}")
    return f"`{identifier}`"


def _run_load(plan: Mapping[str, Any]) -> dict[str, int]:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in plan["conf"].items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        spark.sparkContext.setLogLevel("ERROR")
        counts: dict[str, int] = {}
        schemas: Sequence[str] = sorted({table["name"].split(".", 1)[0] for table in plan["tables"]})
        for schema in schemas:
            spark.sql(f"create database if not exists {_quote(schema)}")
        for table in plan["tables"]:
            schema, name = table["name"].split(".", 1)
            qualified = f"{_quote(schema)}.{_quote(name)}"
            columns = [(str(column), str(data_type)) for column, data_type in table["columns"]]
            definition = ", ".join(f"{_quote(column)} {data_type}" for column, data_type in columns)
            selected = ", ".join(
                f"cast({_quote(column)} as {data_type}) as {_quote(column)}" for column, data_type in columns
            )
            path = str(table["path"]).replace("`", "")
            spark.sql(f"drop table if exists {qualified}")
            spark.sql(f"create table {qualified} ({definition}) using parquet")
            spark.sql(f"insert into {qualified} select {selected} from parquet.`{path}`")
            counts[table["name"]] = int(spark.sql(f"select count(*) from {qualified}").collect()[0][0])
        return counts
    finally:
        spark.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("dp-spark-load: usage: python -m dataproducts.spark PLAN.json RESULT.json", file=sys.stderr)
        return 2
    plan = json.loads(Path(args[0]).read_text("utf-8"))
    try:
        counts = _run_load(plan)
    except Exception as exc:
        print(f"dp-spark-load: {first_line(exc)}", file=sys.stderr)
        return 1
    staged = Path(args[1]).with_suffix(".tmp")
    staged.write_text(json.dumps(counts), "utf-8")
    staged.replace(args[1])
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
