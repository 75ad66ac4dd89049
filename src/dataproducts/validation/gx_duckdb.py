"""Make Great Expectations 1.24 validate a DuckDB warehouse through SQL, in one place.

Why this module exists
----------------------
GX Core 1.24 talks to DuckDB through SQLAlchemy and ``duckdb_engine``, but does not support it out of the box:

1. **Results read after their connection closed** (GX issues #10738 and #11579). For most dialects
   ``SqlAlchemyExecutionEngine.get_connection`` opens a connection per query in a ``with`` block, and
   ``resolve_metric_bundle`` calls ``.fetchall()`` on the result *after* that block has closed the
   connection. Most DBAPI drivers have buffered the rows by then; DuckDB's result lives on its connection
   and is gone, so nearly every expectation comes back ``success: false`` with an ``IndexError: list index
   out of range`` in ``exception_info``. GX already keeps one persistent connection for SQLite, SQL Server,
   BigQuery and Databricks (``_PERSISTED_CONNECTION_DIALECTS``) for a related reason (temp tables); treating
   DuckDB the same way fixes it: one connection per validation run, reused by every query (which also gives
   the whole run one consistent read-only snapshot). Unlike GX's persisted dialects we roll back after a
   failed statement, or DuckDB's aborted transaction would fail every later query on that connection.
2. **Regex refused for the ``duckdb`` dialect.** ``get_dialect_regex_expression`` picks the SQL for
   ``expect_column_values_to_(not_)match_regex`` from ``execution_engine.dialect_module``, which GX only
   sets for dialects it knows; for ``duckdb`` it is ``None`` and GX raises "Regex is not supported".
   ``duckdb_engine``'s dialect *is* a subclass of SQLAlchemy's PostgreSQL dialect, and DuckDB understands
   PostgreSQL's ``~`` / ``!~`` operators with the same search semantics as Python's ``re.search``. So we
   hand GX the PostgreSQL dialect module, exactly as GX does for ``postgresql``. The same module is what
   GX then uses to look up type names for ``expect_column_values_to_be_of_type``, which is also what
   ``duckdb_engine``'s reflection returns (PostgreSQL/SQLAlchemy types).
3. **SQLAlchemy 2.1** breaks ``duckdb_engine``'s column reflection (it queries a catalog table DuckDB does
   not have). That is a pin in ``pyproject.toml`` (``sqlalchemy<2.1``), asserted by the tests.

How: GX's own extension points, not monkeypatching. GX ships one execution engine subclass per dialect that
needs special treatment (``SqliteExecutionEngine``) and one fluent datasource type per engine
(``SqliteDatasource``); we add ``DuckDBExecutionEngine`` and ``DuckDBDatasource`` the same way. GX's metric
registry resolves providers along the engine's MRO, so every SQLAlchemy metric applies unchanged. Nothing
global in GX is modified, so GX's behaviour for every other dialect, and in any other process, is untouched.

Queries run in SQL inside DuckDB: nothing is loaded into pandas (which costs gigabytes at realistic sizes).
The warehouse is opened read-only, so validation can never change it and dbt must have exited first.

Keeping it honest: ``tests/unit/test_gx_duckdb.py`` checks that the fix works, that the GX and SQLAlchemy
versions are those it was written for (``SUPPORTED_GX``), and, in a subprocess without this module, that the
upstream bugs still exist. When a GX upgrade fixes them upstream, that canary fails: delete the workaround
(keep ``open_duckdb_datasource`` as a thin wrapper over ``add_sql``). GX pull request #12084 proposes a
native DuckDB engine; once released, switch to it.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal

import great_expectations as gx
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy.dialects import postgresql as _postgresql_dialect_module

# GX releases this workaround was written for and tested against (inclusive lower, exclusive upper).
SUPPORTED_GX: tuple[str, str] = ("1.24", "1.25")

DUCKDB_DATASOURCE_TYPE = "dataproducts_duckdb"


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """``SqlAlchemyExecutionEngine`` for DuckDB: one persistent connection, PostgreSQL dialect helpers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name.lower() == "duckdb":
            # (2) regex and type lookups: duckdb_engine's dialect derives from PostgreSQL's.
            self.dialect_module = _postgresql_dialect_module

    @contextlib.contextmanager
    def get_connection(self) -> Generator[Any, None, None]:
        # (1) keep the connection open so results can be fetched after the query's ``with`` block, as GX
        # does for the dialects in ``_PERSISTED_CONNECTION_DIALECTS``.
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        try:
            yield self._connection
        except Exception:
            # A failed statement leaves DuckDB's transaction aborted, and on a shared connection that would
            # fail every later query of the run. GX only recovers from SQLAlchemy's PendingRollbackError,
            # so roll back here: the failing metric still reports its own error, the next one runs clean.
            with contextlib.suppress(Exception):
                self._connection.rollback()
            raise

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        super().close()


class DuckDBDatasource(SQLDatasource):
    """Fluent SQL datasource that runs on :class:`DuckDBExecutionEngine`."""

    type: Literal["dataproducts_duckdb"] = DUCKDB_DATASOURCE_TYPE  # type: ignore[assignment]

    @property
    def execution_engine_type(self) -> builtins.type[SqlAlchemyExecutionEngine]:  # ``type`` is a field here
        return DuckDBExecutionEngine


def duckdb_url(warehouse: Path) -> str:
    """SQLAlchemy URL of a DuckDB file."""
    return f"duckdb:///{Path(warehouse).resolve()}"


def open_duckdb_datasource(context: Any, name: str, warehouse: Path, *, read_only: bool = True) -> Any:
    """Add a DuckDB datasource for ``warehouse`` to a GX ``context`` (read-only by default) and return it."""
    # GX registers every fluent datasource class as ``add_<type>`` on ``context.data_sources``.
    add = getattr(context.data_sources, f"add_{DUCKDB_DATASOURCE_TYPE}")
    return add(
        name=name,
        connection_string=duckdb_url(warehouse),
        kwargs={"connect_args": {"read_only": read_only}},
    )


def gx_version() -> str:
    return str(gx.__version__)


def gx_version_supported(version: str | None = None) -> bool:
    """Whether ``version`` (default: the installed GX) lies in :data:`SUPPORTED_GX`."""
    from packaging.version import Version

    v = Version(version or gx_version())
    low, high = SUPPORTED_GX
    return Version(low) <= v < Version(high)
