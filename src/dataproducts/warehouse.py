"""The one way the runner opens the DuckDB warehouse read-only, and the one way it quotes names.

Every module that reads the warehouse (validation, evidence, run ledger, pass-through comparison) opens it
through :func:`open_read_only`, so a missing, locked or corrupt file gives the same one-line
``WarehouseError`` whichever command met it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
