"""The validation engine seam: validate one product with one suite, return GX's own result.

``GxEngine`` is the ``gx`` engine: Great Expectations running its SQL inside DuckDB (through
``gx_duckdb``), one ephemeral GX context and one read-only connection for the whole run. Another engine
(e.g. compiled SQL) implements the same ``validate`` and returns an ``ExpectationSuiteValidationResult`` too;
the runner around it handles selection, writing, the summary and the exit status.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from dataproducts.errors import WarehouseError
from dataproducts.products import DataProduct
from dataproducts.validation.suites import Suite

RESULT_FORMATS: tuple[str, ...] = ("BASIC", "SUMMARY", "COMPLETE")
DEFAULT_SAMPLES = 20
DATA_DOCS_SITE = "dataproducts"


class Engine(Protocol):
    name: str

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> Any:
        """Validate ``product`` with ``suite``; return a GX ``ExpectationSuiteValidationResult``."""
        ...

    def close(self) -> None: ...


def result_format(name: str = "SUMMARY", samples: int = DEFAULT_SAMPLES) -> dict[str, Any]:
    """A GX result format that keeps ``element_count``/``unexpected_count`` (BASIC and up) for every
    expectation, with up to ``samples`` unexpected values per expectation (0: none)."""
    name = name.upper()
    if name not in RESULT_FORMATS:
        raise ValueError(f"result format {name!r} not one of {', '.join(RESULT_FORMATS)}")
    return {"result_format": name, "partial_unexpected_count": max(0, int(samples))}


def _quiet_gx() -> None:
    # GX logs every failed metric with a full traceback at ERROR level; the result carries it already.
    for name in ("great_expectations", "great_expectations.execution_engine"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _reason(exc: BaseException) -> str:
    """One line on why DuckDB could not be opened, through GX's and SQLAlchemy's wrappers."""
    text = str(exc)
    seen: BaseException | None = exc
    while seen is not None:
        text = str(getattr(seen, "orig", None) or seen)
        seen = seen.__cause__ or seen.__context__
    for candidate in (text, str(exc)):
        if "lock" in candidate.lower():
            return "locked by another process (is dbt still running?)"
    return (text.strip().splitlines() or [exc.__class__.__name__])[0][:300]


def existing_warehouse(warehouse: Path) -> Path:
    """``warehouse`` as a Path, or a one-line ``WarehouseError`` when the file is not there."""
    path = Path(warehouse)
    if not path.is_file():
        raise WarehouseError(f"{path}: warehouse not found (run dp generate and dbt build first)")
    return path


class GxEngine:
    """Great Expectations on the DuckDB warehouse, read-only, one context and connection per run."""

    name = "gx"

    def __init__(
        self,
        warehouse: Path,
        *,
        result_format: Mapping[str, Any],
        run_name: str,
        run_time: dt.datetime,
        data_docs_dir: Path | None = None,
    ) -> None:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

        from dataproducts.validation import gx_duckdb

        self.warehouse = existing_warehouse(warehouse)
        _quiet_gx()
        self._result_format = dict(result_format)
        self._run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        self._context = gx.get_context(mode="ephemeral")
        with contextlib.suppress(Exception):
            self._context.enable_analytics(False)
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        if data_docs_dir is not None:
            self._context.add_data_docs_site(
                site_name=DATA_DOCS_SITE,
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(data_docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self._datasource: Any = None
        self._execution_engine: Any = None
        try:
            # Adding the datasource already connects (GX tests the connection).
            self._datasource = gx_duckdb.open_duckdb_datasource(self._context, "warehouse", self.warehouse)
            self._execution_engine = self._datasource.get_execution_engine()
            self._query("select 1")
        except Exception as exc:
            self.close()
            raise WarehouseError(f"{self.warehouse}: cannot open read-only: {_reason(exc)}") from exc

    # --- warehouse ---------------------------------------------------------------------------------------------

    def _query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        import sqlalchemy as sa

        with self._execution_engine.get_connection() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), dict(params or {})).fetchall()]

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        rows = self._query(
            "select count(*) from information_schema.tables where table_schema = :s and table_name = :n",
            {"s": schema or "main", "n": name or ""},
        )
        return bool(rows and rows[0][0])

    # --- validation --------------------------------------------------------------------------------------------

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> Any:
        """Validate one product's latest relation with its suite; GX's ``ExpectationSuiteValidationResult``."""
        import great_expectations as gx

        version = product.latest
        with warnings.catch_warnings():
            # ``schema_name`` is deprecated in favour of a per-schema connection; one connection serves all.
            warnings.simplefilter("ignore", DeprecationWarning)
            asset = self._datasource.add_table_asset(
                name=product.id, table_name=version.alias, schema_name=version.schema
            )
        batch_definition = asset.add_batch_definition_whole_table("whole_table")
        gx_suite = self._context.suites.add(
            gx.ExpectationSuite(
                name=suite.gx_suite.name,
                expectations=[e.configuration for e in suite.gx_suite.expectations],
                meta=dict(suite.gx_suite.meta),
                notes=suite.gx_suite.notes,
            )
        )
        definition = self._context.validation_definitions.add(
            gx.ValidationDefinition(name=product.id, data=batch_definition, suite=gx_suite)
        )
        return definition.run(
            expectation_parameters=dict(parameters),
            result_format=self._result_format,
            run_id=self._run_id,
        )

    def build_data_docs(self) -> None:
        """Build the Data Docs site (GX's site builder) for every result validated in this run."""
        self._context.build_data_docs(site_names=[DATA_DOCS_SITE])

    def close(self) -> None:
        """Close every DuckDB connection of the run (the datasource keeps its own SQLAlchemy engine), so the
        process can open the warehouse again, e.g. read-write."""
        if self._execution_engine is not None:
            with contextlib.suppress(Exception):
                self._execution_engine.close()
        engine = getattr(self._datasource, "_engine", None)
        if engine is not None:
            with contextlib.suppress(Exception):
                engine.dispose()
