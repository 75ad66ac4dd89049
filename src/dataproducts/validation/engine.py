"""The validation engine seam: one protocol, one factory.

An :class:`Engine` validates one product with one suite and returns GX's suite result as its JSON
(:class:`~dataproducts.validation.native.SuiteResult`); the runner around it handles selection, writing, the
summary and the exit status. One module per engine:

=========  =============================================  =================================================
``gx``     :mod:`dataproducts.validation.gx_engine`       Great Expectations, for everything
``sql``    :mod:`dataproducts.validation.sql.engine`      compiled SQL only (every expectation must compile)
``auto``   :mod:`dataproducts.validation.auto_engine`     compiled SQL where supported, GX for the rest
=========  =============================================  =================================================

The compiled SQL is the warehouse's own (:mod:`dataproducts.validation.sql.dialect`: DuckDB's list aggregates
and catalog functions, PostgreSQL's, Spark's); GX validates on each through its own datasource (SQLAlchemy
on DuckDB and PostgreSQL, DataFrames of ``dp``'s session on Spark) with the same GX-shaped results.

The names are :class:`dataproducts.validation.registry.Engine`; :func:`open_engine` is the only place that
builds an engine from a name. The compiled engines evaluate results with :mod:`.native`, which copies GX
internals and runs only under the GX release it was written for: under any other, :func:`open_engine`
opens the ``gx`` engine instead and says so in one line.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from dataproducts.validation import native
from dataproducts.validation.native import ResultFormat, SuiteResult
from dataproducts.validation.registry import ENGINE_NAMES
from dataproducts.validation.registry import Engine as EngineName
from dataproducts.warehouse import DuckDBWarehouse, PostgresWarehouse, SparkWarehouse

if TYPE_CHECKING:
    from dataproducts.products import DataProduct
    from dataproducts.validation.suites import Suite

RESULT_FORMATS: Final[tuple[str, ...]] = ("BASIC", "SUMMARY", "COMPLETE")
DEFAULT_SAMPLES: Final[int] = 20
DEFAULT_MEMORY_LIMIT: Final[str] = (
    "640MB"  # keeps `dp validate` under 1 GiB RSS; DP_DUCKDB_MEMORY_LIMIT overrides
)


class Engine(Protocol):
    """What the runner needs of a validation engine."""

    @property
    def name(self) -> EngineName: ...

    @property
    def warehouse(self) -> Path | PostgresWarehouse | SparkWarehouse: ...

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        """Is the relation ``schema.name`` in the warehouse?"""
        ...

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> SuiteResult:
        """Validate ``product``'s latest relation with ``suite``: GX's ``ExpectationSuiteValidationResult``."""
        ...

    def build_data_docs(self) -> None:
        """Render GX's Data Docs for every result of the run (the engine was opened with a docs folder)."""
        ...

    def close(self) -> None:
        """Release the warehouse (every connection of the run)."""
        ...


def result_format(name: str = "SUMMARY", samples: int = DEFAULT_SAMPLES) -> ResultFormat:
    """A GX result format that keeps ``element_count``/``unexpected_count`` (BASIC and up) for every
    expectation, with up to ``samples`` unexpected values per expectation (0: none)."""
    name = name.upper()
    if name not in RESULT_FORMATS:
        raise ValueError(f"result format {name!r} not one of {', '.join(RESULT_FORMATS)}")
    return ResultFormat(name, max(0, int(samples)))


def open_engine(
    name: str,
    warehouse: Path | DuckDBWarehouse | PostgresWarehouse | SparkWarehouse,
    *,
    result_format: ResultFormat,
    run_name: str,
    run_time: dt.datetime,
    data_docs_dir: Path | None = None,
    gx_version: str | None = None,
) -> Engine:
    """The engine called ``name`` (:data:`~dataproducts.validation.registry.ENGINE_NAMES`), read-only on
    ``warehouse``, for one run; with ``data_docs_dir`` it can build the run's Data Docs there.

    ``gx_version`` (default: the installed one, from package metadata) is the GX release the compiled
    engines are checked against: when :mod:`.native` was not written for it, every engine is ``gx``, with
    a one-line notice on stderr. The compiled engines write each warehouse's own SQL (DuckDB, PostgreSQL,
    Spark: :mod:`.sql.dialect`); what one cannot reproduce exactly there goes to GX under ``auto``."""
    from dataproducts.validation.gx_engine import GxEngine

    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {name!r} (available: {', '.join(ENGINE_NAMES)})")
    if isinstance(warehouse, DuckDBWarehouse):
        warehouse = warehouse.path

    def gx() -> GxEngine:
        return GxEngine(
            warehouse,
            result_format=result_format,
            run_name=run_name,
            run_time=run_time,
            data_docs_dir=data_docs_dir,
        )

    if name == EngineName.GX:
        return gx()
    version = native.installed_gx_version() if gx_version is None else gx_version
    if not native.runs_under(version):
        print(native.gate_notice(version), file=sys.stderr)
        return gx()
    return _compiled(EngineName(name), warehouse, result_format, run_name, run_time, gx, data_docs_dir)


def _compiled(
    name: EngineName,
    warehouse: Path | PostgresWarehouse | SparkWarehouse,
    result_format: ResultFormat,
    run_name: str,
    run_time: dt.datetime,
    gx: Any,
    data_docs_dir: Path | None,
) -> Engine:
    from dataproducts.validation.auto_engine import AutoEngine
    from dataproducts.validation.sql.engine import SqlEngine

    sql = SqlEngine(
        warehouse,
        result_format=result_format,
        run_name=run_name,
        run_time=run_time,
        memory_limit=os.environ.get("DP_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        gx=gx,
        data_docs=data_docs_dir is not None,
    )
    return sql if name == EngineName.SQL else AutoEngine(sql)
