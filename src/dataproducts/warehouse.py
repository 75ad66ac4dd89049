"""The one way the runner reaches the warehouse, and the one way it quotes names.

The warehouse is where the dbt profile's target builds (``profile.py``): a DuckDB file or a PostgreSQL
database. :class:`DuckDBWarehouse` and :class:`PostgresWarehouse` say which, and both open a
:class:`Connection`, one small interface (``rows``, ``first``, ``execute``, ``relation_exists``,
``columns``) through which every module that reads the warehouse (evidence, the run ledger, the landing
state) goes: a missing file, a lock, a server that is down, a refused password or a missing relation gives
the same one-line ``WarehouseError`` naming the warehouse, whichever command met it. SQL is written once,
with ``?`` placeholders and standard SQL both engines understand.

DuckDB-only readers (the compiled validation engine, ``dp init``'s profiling, ``dp check``'s pass-through
proof) open the file through :func:`open_read_only`, which returns DuckDB's own connection.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote

from dataproducts.errors import WarehouseError

if TYPE_CHECKING:
    import duckdb

LOCKED = "locked by another process (is dbt still running?)"
# DuckDB's memory limit for every connection of the project (profiles.yml gives dbt the same default): a
# nightly at scale 100 peaked at 4.7 GiB with DuckDB's own default (80% of RAM); bench/run.py measures both.
DEFAULT_MEMORY_LIMIT = "1GB"


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def relation_sql(schema: str | None, name: str | None) -> str:
    """``"schema"."name"`` (schema ``main`` when none is given)."""
    return f"{quote_ident(schema or 'main')}.{quote_ident(name or '')}"


def reason(exc: BaseException) -> str:
    """One line on why DuckDB failed, through SQLAlchemy's and GX's wrappers; a lock is named as such."""
    text = str(exc)
    seen: BaseException | None = exc
    while seen is not None:
        text = str(getattr(seen, "orig", None) or seen)
        seen = seen.__cause__ or seen.__context__
    for candidate in (text, str(exc)):
        if "lock" in candidate.lower():
            return LOCKED
    return (text.strip().splitlines() or [exc.__class__.__name__])[0][:300]


def existing_warehouse(path: Path) -> Path:
    """``path`` as a Path, or a one-line ``WarehouseError`` when the file is not there."""
    path = Path(path)
    if not path.is_file():
        raise WarehouseError(f"{path}: warehouse not found (run dp generate and dbt build first)")
    return path


def open_read_only(path: Path, *, config: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse at ``path``.

    Raises ``WarehouseError`` naming the file when it is missing, locked by a writer, or cannot be opened.
    ``config`` is DuckDB's connection configuration (it must match any other connection this process holds
    to the same file).
    """
    import duckdb

    path = existing_warehouse(path)
    limit = memory_limit()
    try:
        con = duckdb.connect(str(path), read_only=True, config=dict(config or {}))
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open read-only: {reason(exc)}") from exc
    if limit is not None:
        try:
            con.execute(f"set memory_limit = '{limit}'")  # a setting, not a write: fine read-only
        except duckdb.Error as exc:
            con.close()
            raise WarehouseError(f"DP_MEMORY_LIMIT={limit!r}: DuckDB refused it: {reason(exc)}") from exc
    return con


def memory_limit() -> str | None:
    """DuckDB's memory limit for the project's connections: ``DP_MEMORY_LIMIT`` (default ``1GB``, the same
    default as the dbt profile's; a size such as ``1.5GB``, a share of RAM such as ``50%``, or ``none`` for no
    limit), None when it is empty (DuckDB's own default, 80% of RAM). Anything else is a one-line
    ``WarehouseError``."""
    value = os.environ.get("DP_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT).strip()
    if not value:
        return None
    if not re.fullmatch(r"\d+(\.\d+)?\s*([KMGT]i?B|%)|none", value, flags=re.IGNORECASE):
        raise WarehouseError(
            f"DP_MEMORY_LIMIT={value!r}: expected a size such as 1GB, a share such as 50%, or none"
        )
    return value


# --- the warehouse of a dbt target: a DuckDB file or a PostgreSQL database -------------------------------------

Dialect = Literal["duckdb", "postgres", "spark"]

# information_schema's columns with their full types: DuckDB's data_type carries precision and scale already;
# PostgreSQL's says only `numeric`, so its catalog's format_type gives `numeric(12,2)`.
_DUCKDB_COLUMNS = (
    "select table_schema, table_name, column_name, data_type from information_schema.columns "
    "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
)
_POSTGRES_COLUMNS = (
    "select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
    "from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid "
    "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
    "where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm', 'p', 'f') "
    "and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' "
    "order by n.nspname, c.relname, a.attnum"
)


class Connection:
    """One open connection to the warehouse; errors are one-line ``WarehouseError`` naming it.

    SQL uses ``?`` placeholders (DuckDB's; translated for psycopg2). ``raw`` is the driver's connection."""

    def __init__(self, warehouse: DuckDBWarehouse | PostgresWarehouse | SparkWarehouse, raw: Any) -> None:
        self.warehouse = warehouse
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        return self.warehouse.dialect

    def _sql(self, sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s") if self.dialect == "postgres" else sql

    def quote(self, name: str) -> str:
        """``name`` as an identifier of this warehouse's SQL (Spark: backticks; else double quotes)."""
        if self.dialect == "spark":
            return "`" + name.replace("`", "``") + "`"
        return quote_ident(name)

    def relation(self, schema: str | None, name: str) -> str:
        """``schema.name`` quoted for this warehouse (its default schema when None)."""
        return f"{self.quote(schema or self.warehouse.default_schema)}.{self.quote(name)}"

    def _cursor(self, sql: str, params: Sequence[Any]) -> Any:
        try:
            if self.dialect == "duckdb":
                return self.raw.execute(sql, list(params))
            if self.dialect == "spark":
                return _SparkCursor(self.raw.sql(sql, args=list(params) or None))
            cursor = self.raw.cursor()
            cursor.execute(self._sql(sql), tuple(params))
            return cursor
        except Exception as exc:
            if not self.warehouse.is_driver_error(exc):
                raise
            raise WarehouseError(f"{self.warehouse.label}: {self.warehouse.reason(exc)}") from exc

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement (a writer's: ``dp_meta`` tables), nothing returned."""
        self._cursor(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        cursor = self._cursor(sql, params)
        return [tuple(r) for r in cursor.fetchall()]

    def first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as {column: value}, or None."""
        cursor = self._cursor(sql, params)
        names = [d[0] for d in cursor.description or ()]
        row = cursor.fetchone()
        return None if row is None else dict(zip(names, row, strict=True))

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        """Is there a table or view ``schema.name`` (the warehouse's default schema when None)?"""
        if self.dialect == "spark":
            try:
                return bool(self.raw.catalog.tableExists(self.relation(schema, name or "")))
            except Exception as exc:  # converted now: a Spark error cannot be printed once its JVM is gone
                if not self.warehouse.is_driver_error(exc):
                    raise
                raise WarehouseError(f"{self.warehouse.label}: {self.warehouse.reason(exc)}") from exc
        found = self.rows(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema or self.warehouse.default_schema, name or ""],
        )
        return bool(found and found[0][0])

    def columns(self) -> list[tuple[str, str, str, str]]:
        """Every column of every user table and view: (schema, relation, column, full type), in order."""
        if self.dialect == "spark":
            return self._spark_columns()
        sql = _POSTGRES_COLUMNS if self.dialect == "postgres" else _DUCKDB_COLUMNS
        return [(str(s), str(t), str(c), str(d)) for s, t, c, d in self.rows(sql)]

    def _spark_columns(self) -> list[tuple[str, str, str, str]]:
        """Spark has no information_schema: the session catalog's databases, tables and columns (types as
        Spark spells them: ``int``, ``decimal(12,2)``, ``string``)."""
        out: list[tuple[str, str, str, str]] = []
        try:
            catalog = self.raw.catalog
            for database in sorted(d.name for d in catalog.listDatabases()):
                for table in sorted(t.name for t in catalog.listTables(dbName=database) if not t.isTemporary):
                    for column in catalog.listColumns(f"{self.quote(database)}.{self.quote(table)}"):
                        out.append((database, table, str(column.name), str(column.dataType)))
        except Exception as exc:
            if not self.warehouse.is_driver_error(exc):
                raise
            raise WarehouseError(f"{self.warehouse.label}: {self.warehouse.reason(exc)}") from exc
        return out

    def close(self) -> None:
        if self.dialect == "spark":
            from dataproducts import spark_session

            spark_session.release()
            return
        with suppress(Exception):  # closing a broken connection must not hide the first error
            self.raw.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _SparkCursor:
    """A Spark DataFrame read as a DB-API cursor (``description``, ``fetchall``, ``fetchone``)."""

    def __init__(self, frame: Any) -> None:
        self.description = [(name,) for name in frame.columns]
        self._rows: list[tuple[Any, ...]] | None = None
        self._frame = frame

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = [tuple(row) for row in self._frame.collect()] if self.description else []
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall() if self._rows is None else self._rows
        return rows[0] if rows else None


@dataclass(frozen=True)
class DuckDBWarehouse:
    """The DuckDB file a ``type: duckdb`` target writes."""

    path: Path
    dialect: ClassVar[Dialect] = "duckdb"
    default_schema: ClassVar[str] = "main"

    @property
    def label(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def is_driver_error(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.Error)

    def reason(self, exc: BaseException) -> str:
        return reason(exc)

    def session(self) -> AbstractContextManager[None]:
        """Nothing to hold between connections (see ``SparkWarehouse.session``)."""
        return nullcontext()

    def connect(self, *, write: bool = False) -> Connection:
        """A connection to the file (read-only unless ``write``); the file must exist."""
        if not write:
            return Connection(self, open_read_only(self.path))
        import duckdb

        try:
            return Connection(self, duckdb.connect(str(self.path)))
        except duckdb.Error as exc:
            raise WarehouseError(f"{self.path}: cannot open for writing: {reason(exc)}") from exc


@dataclass(frozen=True)
class PostgresWarehouse:
    """The PostgreSQL database a ``type: postgres`` target builds in."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    default_schema: str = "public"
    dialect: ClassVar[Dialect] = "postgres"

    @property
    def label(self) -> str:
        """Where, without the password: ``postgresql://dp@127.0.0.1:5432/dataproducts``."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def exists(self) -> bool:
        return True  # the server says otherwise when connected to

    def is_driver_error(self, exc: BaseException) -> bool:
        import psycopg2

        return isinstance(exc, psycopg2.Error)

    def reason(self, exc: BaseException) -> str:
        return pg_reason(exc)

    def session(self) -> AbstractContextManager[None]:
        """Nothing to hold between connections (see ``SparkWarehouse.session``)."""
        return nullcontext()

    def sqlalchemy_url(self) -> str:
        """The SQLAlchemy URL (psycopg2 driver), password included: never print it."""
        user, password = quote(self.user, safe=""), quote(self.password, safe="")
        auth = f"{user}:{password}" if self.password else user
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"

    def connect(self, *, write: bool = False) -> Connection:
        """A connection in autocommit (each statement its own transaction), read-only unless ``write``."""
        import psycopg2

        try:
            raw = psycopg2.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.dbname,
                connect_timeout=10,
                application_name="dataproducts",
            )
            raw.set_session(readonly=not write, autocommit=True)
        except psycopg2.Error as exc:
            raise WarehouseError(f"{self.label}: cannot connect: {pg_reason(exc)}") from exc
        return Connection(self, raw)


@dataclass(frozen=True)
class SparkWarehouse:
    """The warehouse a ``type: spark`` target (``method: session``) builds: Parquet tables under the session's
    warehouse folder, named by its metastore. ``dp`` reads it through a Spark session of its own with the
    target's settings (:mod:`dataproducts.spark_session`: one JVM per process, started in ``project_dir``
    and stopped when the last connection closes, so dbt finds the metastore free)."""

    target: str
    conf: tuple[tuple[str, str], ...]  # the target's server_side_parameters, rendered
    project_dir: Path
    dialect: ClassVar[Dialect] = "spark"
    default_schema: ClassVar[str] = "main"

    @property
    def settings(self) -> dict[str, str]:
        return dict(self.conf)

    @property
    def label(self) -> str:
        """``spark local[2] warehouse/spark/tables``: the master and the warehouse folder."""
        settings = self.settings
        master = settings.get("spark.master", "local[*]")
        return f"spark {master} {settings.get('spark.sql.warehouse.dir', 'spark-warehouse')}"

    def exists(self) -> bool:
        return True  # the metastore says otherwise when read

    def is_driver_error(self, exc: BaseException) -> bool:
        from dataproducts.spark_session import is_spark_error

        return is_spark_error(exc)

    def reason(self, exc: BaseException) -> str:
        from dataproducts.spark_session import spark_reason

        return spark_reason(exc)

    def session(self) -> AbstractContextManager[Any]:
        """Keep one Spark session (JVM) for every connection opened inside (a JVM start is 5-10 s); dbt must
        not run on the same metastore meanwhile."""
        from dataproducts.spark_session import held

        return held(self.settings, self.project_dir)

    def connect(self, *, write: bool = False) -> Connection:
        """A connection over the process's Spark session (started now when none runs); closing the last
        connection stops the session."""
        from dataproducts.spark_session import acquire

        return Connection(self, acquire(self.settings, self.project_dir))


Warehouse = DuckDBWarehouse | PostgresWarehouse | SparkWarehouse


@contextmanager
def connected(warehouse: Warehouse, *, write: bool = False) -> Iterator[Connection]:
    """``warehouse.connect()`` as a context manager, closed after."""
    con = warehouse.connect(write=write)
    try:
        yield con
    finally:
        con.close()


def pg_reason(exc: BaseException) -> str:
    """One line on why PostgreSQL (psycopg2) refused: a server that is down and a refused login named."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    first = re.sub(r"^\([\w.]+\)\s*", "", lines[0])[:300] if lines else exc.__class__.__name__  # SQLAlchemy's
    lowered = first.lower()
    if "connection refused" in lowered or "could not connect" in lowered or "timeout expired" in lowered:
        return f"server not reachable (is it running? scripts/postgres up): {first[:200]}"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return f"login refused: {first[:200]}"
    return first
