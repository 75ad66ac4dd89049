"""The ``gx`` validation engine: Great Expectations running its SQL inside the warehouse.

``GxEngine`` validates through GX's own context and expectation classes (on DuckDB through ``gx_duckdb``, on
PostgreSQL through GX's own postgres datasource: SQLAlchemy and psycopg2; on Spark through GX's Spark
datasource, each product's table read as a DataFrame of ``dp``'s Spark session), one ephemeral GX context and
one read-only connection for the whole run. It is the
reference the compiled engines are held against, and it hosts the run's Data Docs: results another engine
computed are stored in its context with :meth:`GxEngine.add_result` and rendered by GX's site builder.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dataproducts.errors import WarehouseError
from dataproducts.products import DataProduct
from dataproducts.validation.native import ResultFormat, SuiteResult
from dataproducts.validation.registry import Engine
from dataproducts.validation.suites import Suite
from dataproducts.warehouse import (
    Connection,
    PostgresWarehouse,
    SparkWarehouse,
    existing_warehouse,
    pg_reason,
    reason,
)

DATA_DOCS_SITE = "dataproducts"


def _quiet_gx() -> None:
    # GX logs every failed metric with a full traceback at ERROR level; the result carries it already.
    for name in ("great_expectations", "great_expectations.execution_engine"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class GxEngine:
    """Great Expectations on the warehouse (a DuckDB file or a PostgreSQL database), read-only, one context
    and connection per run."""

    name = Engine.GX

    def __init__(
        self,
        warehouse: Path | PostgresWarehouse | SparkWarehouse,
        *,
        result_format: ResultFormat,
        run_name: str,
        run_time: dt.datetime,
        data_docs_dir: Path | None = None,
    ) -> None:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

        from dataproducts.validation import gx_duckdb

        self.warehouse: Path | PostgresWarehouse | SparkWarehouse = (
            warehouse
            if isinstance(warehouse, (PostgresWarehouse, SparkWarehouse))
            else existing_warehouse(warehouse)
        )
        self._spark: Connection | None = None
        _quiet_gx()
        self._result_format = result_format.to_gx()
        self._run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        self._context = gx.get_context(mode="ephemeral")
        with contextlib.suppress(Exception):
            self._context.enable_analytics(False)
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self._data_docs_dir = data_docs_dir
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
            if isinstance(self.warehouse, SparkWarehouse):
                # dp's session first: GX's datasource takes the running session (no settings of its own)
                self._spark = self.warehouse.connect()
                self._datasource = self._context.data_sources.add_spark(name="warehouse")
                self._execution_engine = self._datasource.get_execution_engine()
                return
            if isinstance(self.warehouse, PostgresWarehouse):
                self._datasource = self._context.data_sources.add_postgres(  # type: ignore[call-arg]
                    name="warehouse",
                    connection_string=self.warehouse.sqlalchemy_url(),
                    # read-only as on DuckDB: the server refuses any write of this session
                    kwargs={"connect_args": {"options": "-c default_transaction_read_only=on"}},
                )
            else:
                self._datasource = gx_duckdb.open_duckdb_datasource(
                    self._context, "warehouse", self.warehouse
                )
            self._execution_engine = self._datasource.get_execution_engine()
            self._query("select 1")
        except Exception as exc:
            self.close()
            if isinstance(self.warehouse, SparkWarehouse):
                if isinstance(exc, WarehouseError):
                    raise
                raise WarehouseError(f"{self.warehouse.label}: {self.warehouse.reason(exc)}") from exc
            if isinstance(self.warehouse, PostgresWarehouse):
                why = pg_reason(getattr(exc, "orig", None) or exc.__cause__ or exc)
                raise WarehouseError(f"{self.warehouse.label}: cannot connect: {why}") from exc
            raise WarehouseError(f"{self.warehouse}: cannot open read-only: {reason(exc)}") from exc

    # --- warehouse ---------------------------------------------------------------------------------------------

    def _query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        import sqlalchemy as sa

        with self._execution_engine.get_connection() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql), dict(params or {})).fetchall()]

    @property
    def _default_schema(self) -> str:
        if isinstance(self.warehouse, (PostgresWarehouse, SparkWarehouse)):
            return self.warehouse.default_schema
        return "main"

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        if self._spark is not None:
            return self._spark.relation_exists(schema, name)
        rows = self._query(
            "select count(*) from information_schema.tables where table_schema = :s and table_name = :n",
            {"s": schema or self._default_schema, "n": name or ""},
        )
        return bool(rows and rows[0][0])

    # --- validation --------------------------------------------------------------------------------------------

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> SuiteResult:
        """Validate one product's latest relation with its suite: GX's ``ExpectationSuiteValidationResult``,
        as its JSON."""
        import great_expectations as gx

        version = product.latest
        batch_parameters: dict[str, Any] | None = None
        if self._spark is not None:
            # the product's table as a DataFrame of dp's session (a whole-dataframe batch)
            frame = self._spark.raw.table(self._spark.relation(version.schema, version.alias or ""))
            asset = self._datasource.add_dataframe_asset(name=product.id)
            batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
            batch_parameters = {"dataframe": frame}
        else:
            with warnings.catch_warnings():
                # ``schema_name`` is deprecated for a per-schema connection; one connection serves all.
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
        result: Any = definition.run(
            batch_parameters=batch_parameters,
            expectation_parameters=dict(parameters),
            result_format=self._result_format,
            run_id=self._run_id,
        )
        return SuiteResult(result.to_json_dict())

    def add_result(self, suite: Suite, result: SuiteResult) -> None:
        """Store a result another engine computed for ``suite`` in this run's GX context (suite and
        validation result stores), so the Data Docs show it beside GX's own."""
        import great_expectations as gxm
        from great_expectations.core.expectation_validation_result import (
            expectationSuiteValidationResultSchema,
        )
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        loaded = expectationSuiteValidationResultSchema.load(copy.deepcopy(result.to_json_dict()))
        with contextlib.suppress(Exception):  # already there when GX validated part of it
            self._context.suites.add(
                gxm.ExpectationSuite(
                    name=suite.gx_suite.name,
                    expectations=list(suite.gx_suite.expectation_configurations),
                    meta=dict(suite.gx_suite.meta or {}),
                )
            )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.gx_suite.name),
            run_id=self._run_id,
            batch_identifier=result.meta.get("active_batch_definition", {}).get("data_asset_name"),
        )
        self._context.validation_results_store.set(key, loaded)

    def build_data_docs(self) -> None:
        """Build the Data Docs site (GX's site builder) for every result validated or added in this run:
        sample values escaped first (GX places them into the pages as raw HTML), then every page made
        readable offline (``validation.data_docs``)."""
        from dataproducts.validation.data_docs import escape_suite_result, make_offline

        store = self._context.validation_results_store
        for key in store.list_keys():
            result = store.get(key)
            if result is not None:
                escape_suite_result(result.results)
                store.set(key, result)
        self._context.build_data_docs(site_names=[DATA_DOCS_SITE])
        if self._data_docs_dir is not None:
            make_offline(self._data_docs_dir)

    def close(self) -> None:
        """Close every connection of the run (the datasource keeps its own SQLAlchemy engine), so the
        process can open the warehouse again, e.g. read-write; on Spark, let go of dp's session."""
        if self._spark is not None:
            spark, self._spark = self._spark, None
            spark.close()
            return
        if self._execution_engine is not None:
            with contextlib.suppress(Exception):
                self._execution_engine.close()
        engine = getattr(self._datasource, "_engine", None)
        if engine is not None:
            with contextlib.suppress(Exception):
                engine.dispose()
