"""When the nightly build must be a full refresh instead of an incremental one.

The incremental products (docs/incremental.md) replace only the last days of their event time on each build.
That is right when the landing area grew (``dp generate --append``, a real loader), and wrong when it was
replaced (``dp generate`` without ``--append`` at another origin, seed or scale, or going back in time): the
products would keep rows built from the old landing data. ``dp generate`` describes the landing area it wrote
in ``raw_meta.landing_state``; the nightly remembers in the warehouse itself which landing area its last
complete build was made from (``dp_meta.landing_built``, written after dbt has exited) and asks dbt for ``--full-refresh`` when the two do not continue each
other. A landing area without that table (a real loader, another team's project) is never second-guessed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from dataproducts.config import ProjectConfig
from dataproducts.errors import WarehouseError
from dataproducts.warehouse import Warehouse, connected

_IDENTITY = ("origin", "seed", "scale")


@dataclass(frozen=True)
class LandingState:
    """What ``dp generate`` recorded about the landing area: its identity and the day it is loaded to."""

    identity: dict[str, str]
    as_of: dt.date | None

    def as_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


def _first_row(warehouse: Warehouse, schema: str, table: str) -> dict[str, Any] | None:
    """The first row of ``schema.table`` in the warehouse as {column: value}, or None when the warehouse
    or the table is not there, or it cannot be read now (locked, down or broken: the build itself will say
    so)."""
    if not warehouse.exists():
        return None
    try:
        with connected(warehouse) as con:
            if not con.relation_exists(schema, table):
                return None
            return con.first(f"select * from {schema}.{table} limit 1")  # fixed names, not input
    except WarehouseError:
        return None


def read_landing_state(warehouse: Warehouse) -> LandingState | None:
    """The landing area's ``raw_meta.landing_state`` row, or None when there is none (or no warehouse)."""
    values = _first_row(warehouse, "raw_meta", "landing_state")
    if values is None:
        return None
    as_of = values.get("as_of")
    return LandingState(
        identity={name: str(values.get(name)) for name in _IDENTITY},
        as_of=as_of if isinstance(as_of, dt.date) else None,
    )


def _built_from(warehouse: Warehouse) -> dict[str, Any] | None:
    """What ``remember_build`` wrote into the warehouse, or None."""
    values = _first_row(warehouse, "dp_meta", "landing_built")
    try:
        data = json.loads(values["state"]) if values else None
    except (KeyError, TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def full_refresh_reason(cfg: ProjectConfig, state: LandingState | None) -> str | None:
    """Why the next build must rebuild every incremental product from scratch, or None when it need not."""
    if state is None:
        return None
    built = _built_from(cfg.db)
    if built is None:
        return "no build on record was made from this landing area"
    current = state.as_json()
    if built.get("identity") != current["identity"]:
        return "the landing area was generated anew (another origin, seed or scale)"
    before, now = built.get("as_of"), current["as_of"]
    if isinstance(before, str) and isinstance(now, str) and now < before:
        return f"the landing area went back in time ({now} after a build from {before})"
    return None


def remember_build(cfg: ProjectConfig, state: LandingState | None) -> None:
    """After a complete build (dbt has exited): the landing area the products now reflect. A warehouse that
    cannot be written now (a hand-run dbt holds it, the server went away) is left as it was: the next build
    is then a full one."""
    if state is None:
        return
    with contextlib.suppress(WarehouseError), connected(cfg.db, write=True) as con:
        con.execute("create schema if not exists dp_meta")
        con.execute("drop table if exists dp_meta.landing_built")
        # Spark: a Parquet table (a plain CTAS would make a Hive text table) of a string
        text, using = ("string", " using parquet") if con.dialect == "spark" else ("varchar", "")
        con.execute(
            f"create table dp_meta.landing_built{using} as select cast(? as {text}) as state",
            [json.dumps(state.as_json())],
        )
