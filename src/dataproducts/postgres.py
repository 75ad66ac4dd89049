"""The landing area on PostgreSQL: ``dp generate --target postgres`` copies what it generated into the server.

The generator writes DuckDB (``generate.py``); for a PostgreSQL target it writes a DuckDB file of the
project's own (``warehouse/landing_<target>.duckdb``) and then copies the landing schemas (``raw_crm``,
``raw_shop``, ``raw_telemetry`` and ``raw_meta``, the dbt sources and the landing state) into the server
the profile's target names, with ``COPY``, in one transaction: a load that fails leaves the server's previous
landing data as it was. A table whose columns are unchanged is emptied and filled again, so the staging
views built on it survive; a table whose columns changed (the ``schema_drift`` fault) is replaced, and the
views built on it with it (the next ``dbt build`` recreates them).

``--append`` grows the DuckDB copy, so that copy and the server must hold the same landing area: the load
refuses an append when the server's ``raw_meta.landing_state`` differs from the copy's (a new server, or
one loaded from elsewhere): generate without ``--append`` then.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dataproducts.errors import UsageError, WarehouseError, first_line
from dataproducts.profile import PostgresTarget

LANDING_SCHEMAS = ("raw_crm", "raw_shop", "raw_telemetry", "raw_meta")
STATE_TABLE = "raw_meta.landing_state"
CONNECT_TIMEOUT_SECONDS = 10

# DuckDB's type names (information_schema.columns.data_type) -> PostgreSQL's
_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "UUID": "uuid",
    "BLOB": "bytea",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_NULL = r"\N"


@dataclass(frozen=True)
class LoadResult:
    target: PostgresTarget
    tables: dict[str, int]  # schema.table -> rows loaded

    def summary(self) -> str:
        rows = sum(self.tables.values())
        return f"loaded {len(self.tables)} landing tables ({rows:,} rows) into {self.target.describe()}"


def pg_type(duckdb_type: str, where: str) -> str:
    """The PostgreSQL type for a DuckDB column type; an unknown one is an error naming the column."""
    name = duckdb_type.upper().strip()
    decimal = _DECIMAL.match(name)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    if name in _TYPES:
        return _TYPES[name]
    raise WarehouseError(
        f"{where}: DuckDB type {duckdb_type} has no PostgreSQL counterpart for the landing load"
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def connect(target: PostgresTarget) -> Any:
    """A psycopg2 connection to the target's server; a server that is down or refuses is one clear line."""
    import psycopg2

    try:
        return psycopg2.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            dbname=target.dbname,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name="dp",
        )
    except psycopg2.OperationalError as exc:
        reason = first_line(exc)
        hint = ""
        if "Connection refused" in reason or "timeout" in reason or "could not connect" in reason:
            hint = ' (is it running? scripts/postgres up, then eval "$(scripts/postgres status)")'
        raise WarehouseError(f"{target.describe()} ({target.where}): cannot connect: {reason}{hint}") from exc


@contextlib.contextmanager
def _transaction(target: PostgresTarget) -> Iterator[Any]:
    import psycopg2

    con = connect(target)
    try:
        with con.cursor() as cur:
            yield cur
        con.commit()
    except psycopg2.Error as exc:
        con.rollback()
        raise WarehouseError(
            f"{target.describe()}: loading the landing data failed: {first_line(exc)}"
        ) from exc
    except BaseException:
        con.rollback()
        raise
    finally:
        con.close()


def read_state(target: PostgresTarget) -> tuple[Any, ...] | None:
    """The server's ``raw_meta.landing_state`` row (origin, as_of, seed, scale, generator_version), or None."""
    with _transaction(target) as cur:
        cur.execute("select to_regclass(%s)", (STATE_TABLE,))
        row = cur.fetchone()
        if not row or row[0] is None:
            return None
        cur.execute("select origin, as_of, seed, scale, generator_version from raw_meta.landing_state")
        rows = cur.fetchall()
    return tuple(rows[0]) if len(rows) == 1 else None


def _duckdb_state(landing: Path) -> tuple[Any, ...] | None:
    if not landing.is_file():
        return None
    con = duckdb.connect(str(landing), read_only=True)
    try:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw_meta' and table_name = 'landing_state'"
        ).fetchone()
        if not found or not found[0]:
            return None
        rows = con.execute(
            "select origin, as_of, seed, scale, generator_version from raw_meta.landing_state"
        ).fetchall()
    finally:
        con.close()
    return tuple(rows[0]) if len(rows) == 1 else None


def check_append(target: PostgresTarget, landing: Path) -> None:
    """Refuse an append when the server's landing area is not the one in ``landing`` (what it grows)."""
    server = read_state(target)
    local = _duckdb_state(landing)
    # nothing on the server (a new one: the append loads the grown copy), nothing to grow (generate says so)
    if server is None or local is None or _same_state(server, local):
        return
    raise UsageError(
        f"dp generate --append: the landing data on {target.describe()} (as of {server[1]}) is not the one in "
        f"{landing} (as of {local[1]}); run dp generate --target {target.target} without --append"
    )


def _same_state(a: Sequence[Any], b: Sequence[Any]) -> bool:
    def norm(row: Sequence[Any]) -> tuple[Any, ...]:
        origin, as_of, seed, scale, version = row
        return (
            origin.isoformat() if isinstance(origin, dt.date) else str(origin),
            as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of),
            int(seed),
            float(scale),
            int(version),
        )

    return norm(a) == norm(b)


def _landing_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """schema.table -> [(column, DuckDB type)] for every table of the landing schemas, in column order."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_schema in ({', '.join('?' for _ in LANDING_SCHEMAS)}) "
        "order by table_schema, table_name, ordinal_position",
        list(LANDING_SCHEMAS),
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        tables.setdefault(f"{schema}.{table}", []).append((column, data_type))
    return tables


def _server_columns(cur: Any) -> dict[str, list[tuple[str, str]]]:
    cur.execute(
        "select c.table_schema, c.table_name, c.column_name, "
        "format_type(a.atttypid, a.atttypmod) "
        "from information_schema.columns as c "
        "join pg_attribute as a on a.attrelid = (quote_ident(c.table_schema) || '.' || "
        "quote_ident(c.table_name))::regclass and a.attname = c.column_name "
        "join information_schema.tables as t on t.table_schema = c.table_schema "
        "and t.table_name = c.table_name and t.table_type = 'BASE TABLE' "
        "where c.table_schema = any(%s) order by 1, 2, c.ordinal_position",
        (list(LANDING_SCHEMAS),),
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in cur.fetchall():
        tables.setdefault(f"{schema}.{table}", []).append((column, data_type))
    return tables


def _normalise(pg: str) -> str:
    """format_type's spelling of a type we create (``numeric(12, 2)`` -> ``numeric(12,2)``, ...)."""
    aliases = {
        "varchar": "character varying",
        "timestamp": "timestamp without time zone",
        "timestamptz": "timestamp with time zone",
        "time": "time without time zone",
    }
    text = pg.replace(" ", "") if pg.startswith("numeric") else pg
    return aliases.get(text, text)


def load_landing(target: PostgresTarget, landing: Path) -> LoadResult:
    """Copy the landing schemas of the DuckDB file ``landing`` into the target's server, in one transaction."""
    try:
        con = duckdb.connect(str(landing), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot read the landing data in {landing}: {first_line(exc)}") from exc
    loaded: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="dp-landing-") as scratch:
        try:
            tables = _landing_tables(con)
            files: dict[str, Path] = {}
            for index, name in enumerate(tables):
                path = Path(scratch) / f"{index}.csv"
                # the name comes from DuckDB's catalog, not from input; \N marks NULL (an empty string stays one)
                con.execute(
                    f"copy (select * from {name}) to '{path}' (format csv, header false, nullstr '{_NULL}')"
                )
                files[name] = path
                counted = con.execute(f"select count(*) from {name}").fetchone()
                loaded[name] = int(counted[0]) if counted else 0
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot read the landing data in {landing}: {first_line(exc)}") from exc
        finally:
            con.close()
        if not tables:
            raise WarehouseError(f"{landing}: no landing tables to load (run dp generate first)")
        columns = {
            name: [(column, pg_type(data_type, f"{landing}: {name}.{column}")) for column, data_type in cols]
            for name, cols in tables.items()
        }
        with _transaction(target) as cur:
            for schema in LANDING_SCHEMAS:
                cur.execute(f"create schema if not exists {_quote(schema)}")
            existing = _server_columns(cur)
            for name in sorted(set(existing) - set(columns)):  # a table the generator no longer writes
                cur.execute(f"drop table {_qualified(name)} cascade")
            for name, cols in columns.items():
                wanted = [(column, _normalise(data_type)) for column, data_type in cols]
                qualified = _qualified(name)
                if existing.get(name) == wanted:
                    cur.execute(f"truncate table {qualified}")
                else:
                    cur.execute(f"drop table if exists {qualified} cascade")
                    definition = ", ".join(f"{_quote(column)} {data_type}" for column, data_type in cols)
                    cur.execute(f"create table {qualified} ({definition})")
                column_list = ", ".join(_quote(column) for column, _ in cols)
                with files[name].open(encoding="utf-8") as data:
                    cur.copy_expert(
                        f"copy {qualified} ({column_list}) from stdin with (format csv, null '{_NULL}')", data
                    )
                cur.execute(f"analyze {qualified}")  # fresh statistics for the build's plans
    return LoadResult(target=target, tables=loaded)


def _qualified(name: str) -> str:
    schema, table = name.split(".", 1)
    return f"{_quote(schema)}.{_quote(table)}"


def landing_file(warehouse: Path, target: str) -> Path:
    """The DuckDB file a PostgreSQL target's landing data is generated in, next to the DuckDB warehouse."""
    return warehouse.parent / f"landing_{target}.duckdb"


@dataclass(frozen=True)
class PostgresGenerateResult:
    """``dp generate`` for a PostgreSQL target: what was generated, and what was loaded where."""

    generated: Any  # generate.GenerateResult
    loaded: LoadResult

    def summary(self) -> str:
        return f"{self.generated.summary()}; {self.loaded.summary()}"


def generate_and_load(target: PostgresTarget, landing: Path, **options: Any) -> PostgresGenerateResult:
    """Generate the landing area into ``landing`` (``generate.generate``'s options, ``append`` included) and
    load it into the target's server; a failure anywhere puts ``landing`` back as it was and leaves the
    server's landing data as it was (one transaction), so the two stay the same."""
    from dataproducts.generate import generate

    connect(target).close()  # a server that is down or refuses: said before anything is generated
    if options.get("append"):
        if not landing.is_file():
            raise UsageError(
                f"dp generate --append --target {target.target}: no landing data in {landing} (no file); "
                "run dp generate without --append first"
            )
        check_append(target, landing)
    backup = landing.with_name(f".{landing.name}.{os.getpid()}.bak")
    if landing.is_file():
        shutil.copyfile(landing, backup)
    try:
        generated = generate(landing, **options)
        loaded = load_landing(target, landing)
    except BaseException:
        if backup.is_file():
            backup.replace(landing)
        else:
            landing.unlink(missing_ok=True)
        raise
    finally:
        backup.unlink(missing_ok=True)
    return PostgresGenerateResult(generated=generated, loaded=loaded)
