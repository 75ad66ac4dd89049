"""The ``sql`` validation engine: a product's suite compiled into one scan of its table.

``SqlEngine`` validates a product's suite by compiling it (:mod:`.compiler`, each type's builder taken from
:mod:`dataproducts.validation.registry`) into one aggregate scan of the table plus targeted follow-up
queries, on one connection for the whole run: a read-only DuckDB connection to the file, or a Spark or
PostgreSQL warehouse's connection (``warehouse.connect()``, queried with ``rows(sql, params)``);
:mod:`.dialect` writes each engine's SQL. Metric values are turned into results by
:mod:`dataproducts.validation.native`, which reproduces what Great Expectations' expectation classes do with
them (success, ``mostly``, the result format) and GX's JSON, without importing GX; an expectation that
module does not reproduce (a type the registry leaves to GX, an option or value it is unsure of) goes
through GX's own expectation class (``Expectation._validate``) instead. The suite result is GX's
``ExpectationSuiteValidationResult`` JSON. No GX context, datasource, SQLAlchemy engine, reflection or
metric graph is created: that is where GX's time goes.

The same methods (:meth:`SqlEngine.plan`, :meth:`SqlEngine.run_checks`, :meth:`SqlEngine.suite_result`)
serve the ``auto`` engine (:mod:`dataproducts.validation.auto_engine`), which hands what does not compile to
GX. The GX engine of a run (for those expectations, and for the Data Docs, which GX renders) is created by
:meth:`SqlEngine.gx_engine` when first needed.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from dataproducts.errors import SuiteError, WarehouseError
from dataproducts.products import DataProduct
from dataproducts.validation import native, registry
from dataproducts.validation.native import ResultFormat, SuiteResult
from dataproducts.validation.registry import Engine
from dataproducts.validation.sql.catalog import Catalog, load_catalog, load_spark_catalog
from dataproducts.validation.sql.compiler import COMPILED_RESULT_FORMATS, Check, Scan, Table, Unsupported
from dataproducts.validation.sql.dialect import DUCKDB, POSTGRES, SPARK, Dialect
from dataproducts.validation.suites import Suite
from dataproducts.warehouse import existing_warehouse, open_read_only, reason

if TYPE_CHECKING:
    from dataproducts.validation.gx_engine import GxEngine


class SqlConnection(Protocol):
    """What the engine needs of a warehouse connection other than DuckDB's own (``warehouse.Connection``)."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SqlWarehouse(Protocol):
    """A warehouse the engine reaches through its connection: ``dialect`` names the SQL (``spark``,
    ``postgres``)."""

    @property
    def dialect(self) -> str: ...

    def connect(self) -> SqlConnection: ...


DATASOURCE_NAME = "warehouse"  # GxEngine's datasource name: batch ids read "<datasource>-<product id>"
_NO_COLUMN = "_nocolumn"


@dataclass
class Planned:
    """One expectation of a suite, with its configuration as GX evaluates it, and its check (or why there is
    none). ``spec`` and ``kwargs`` are set when the native evaluator handles it, else ``expectation`` is
    GX's own."""

    position: int
    config: dict[str, Any]  # GX's JSON of the configuration (parameters substituted, batch_id set)
    check: Check | None
    reason: str | None = None  # why it is not compiled
    kwargs: dict[str, Any] | None = None  # normalized kwargs (native)
    expectation: Any = None  # the GX Expectation (not native)
    spec: native.Spec | None = None  # the registry's native spec (native)

    @property
    def type(self) -> str:
        return str(self.config["type"])

    @property
    def evaluated_kwargs(self) -> Mapping[str, Any]:
        """The kwargs the check is compiled from: native's, else those of GX's model."""
        if self.kwargs is not None:
            return self.kwargs
        return dict(self.expectation.configuration.kwargs)


def _compiled_format(result_format: ResultFormat) -> ResultFormat:
    if result_format.result_format not in COMPILED_RESULT_FORMATS:
        raise Unsupported(f"result format {result_format.result_format}")
    return result_format


def gx_order(configs: Sequence[Mapping[str, Any]]) -> list[int]:
    """Positions in the order GX's validator evaluates (and reports) expectations: grouped by column in
    order of first appearance, expectations without a column together (``process_expectations_for_validation``)."""
    groups: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        column = (config.get("kwargs") or {}).get("column")
        groups.setdefault(column if isinstance(column, str) else _NO_COLUMN, []).append(i)
    return [i for group in groups.values() for i in group]


class SqlEngine:
    """Compiled SQL on the warehouse, read-only, one connection per run: the ``sql`` engine, where every
    expectation must compile. ``warehouse`` is the DuckDB file's path, or a warehouse whose ``dialect`` is
    ``spark`` (``dataproducts.warehouse.SparkWarehouse``) or ``postgres`` (``PostgresWarehouse``), queried
    through ``warehouse.connect()``."""

    name = Engine.SQL

    def __init__(
        self,
        warehouse: Path | SqlWarehouse,
        *,
        run_name: str,
        run_time: dt.datetime,
        result_format: ResultFormat,
        memory_limit: str | None = None,
        threads: int | None = None,
        small_table_rows: int | None = None,
        gx: Callable[[], GxEngine] | None = None,
        data_docs: bool = False,
    ) -> None:
        """``gx`` opens the run's GX engine (for what does not compile under ``auto``, and for the Data
        Docs); ``data_docs``: keep every result for :meth:`build_data_docs`. ``memory_limit`` and ``threads``
        are DuckDB's settings (a Spark session or a PostgreSQL server has its own)."""
        self.dialect: Dialect = _dialect_of(warehouse)
        # The DuckDB file's Path, or the Spark or PostgreSQL warehouse. Typed Any until the Engine protocol
        # (validation/engine.py: ``warehouse -> Path | PostgresWarehouse``) names the Spark warehouse too.
        self.warehouse: Any
        self._result_format = result_format
        self._run_name = run_name
        self._run_time = run_time
        self._small_table_rows = small_table_rows  # None: the compiler's default (SMALL_TABLE_ROWS)
        self._gx_factory = gx
        self._gx: GxEngine | None = None
        self._docs: list[tuple[Suite, SuiteResult]] | None = [] if data_docs else None
        self._rows: Callable[[str, list[Any]], list[tuple[Any, ...]]]
        self.queries: list[str] = []  # every statement of the run, for tests and --debug
        self.catalog: Catalog
        if self.dialect is DUCKDB:
            path = warehouse if isinstance(warehouse, Path) else Path(cast(Any, warehouse).path)
            self.warehouse = existing_warehouse(path)
            self._con = _connect(self.warehouse, memory_limit, threads)
            self._rows = lambda sql, params: list(self._con.execute(sql, params).fetchall())
            self.catalog = load_catalog(self.query)  # one query: every relation's columns, keys and size
        else:
            assert not isinstance(warehouse, Path)
            self.warehouse = warehouse
            self._con = warehouse.connect()
            self._rows = self._con.rows
            try:  # Spark: the relations now, each one's columns when first asked for; PostgreSQL: one query
                if self.dialect is SPARK:
                    self.catalog = load_spark_catalog(self.query, self.dialect)
                else:
                    self.catalog = load_catalog(self.query, self.dialect)
            except BaseException:
                self.close()
                raise

    # --- warehouse ---------------------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        return self._rows(sql, list(params))

    @property
    def connection(self) -> Any:
        """The run's connection: DuckDB's own, read-only (``bench/probe.py`` runs its own SQL with the same
        settings), or the Spark or PostgreSQL warehouse's."""
        return self._con

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        return self.catalog.exists(schema, name)

    def table(self, schema: str | None, name: str) -> Table:
        """The relation as the run's catalog saw it (columns, unique keys, size); read once per run."""
        return self.catalog.table(schema, name)

    def gx_engine(self) -> GxEngine:
        """The run's GX engine, opened when first asked for."""
        if self._gx is None:
            if self._gx_factory is None:
                raise RuntimeError("this SqlEngine was opened without a GX engine")
            self._gx = self._gx_factory()
        return self._gx

    # --- planning ----------------------------------------------------------------------------------------------

    def plan(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> list[Planned]:
        """Evaluate every expectation's configuration as GX does (parameters, batch id, GX's model) and
        compile it."""
        version = product.latest
        table = self.table(version.schema, version.alias or product.name)
        try:
            _compiled_format(self._result_format)
            format_reason = None
        except Unsupported as exc:
            format_reason = str(exc)
        batch_id = f"{DATASOURCE_NAME}-{product.id}"
        planned: list[Planned] = []
        for position, raw in enumerate(suite.expectations):
            p = self._configure(suite, position, raw, parameters, batch_id)
            if p.check is None and p.reason is not None:
                planned.append(p)
                continue
            if format_reason is not None:
                p.reason = format_reason
            elif not table.columns:
                p.reason = "relation has no columns"
            else:
                try:
                    p.check = registry.compile_expectation(
                        p.type, p.evaluated_kwargs, table, small_table_rows=self._small_table_rows
                    )
                except Unsupported as exc:
                    p.reason = str(exc)
            planned.append(p)
        return planned

    def _configure(
        self,
        suite: Suite,
        position: int,
        raw: Mapping[str, Any],
        parameters: Mapping[str, Any],
        batch_id: str,
    ) -> Planned:
        """The expectation as GX's model builds it: natively where the registry has a spec, else by GX."""
        try:
            spec = registry.native_spec(raw["type"])
            kwargs = native.normalize(
                spec, {**native.substitute(raw["kwargs"], parameters), "batch_id": batch_id}
            )
            config = native.config_json(raw, kwargs, raw.get("id") or str(uuid.uuid4()))
            return Planned(position, config, None, kwargs=kwargs, spec=spec)
        except native.NotNative:
            return self._plan_with_gx(suite, position, parameters, batch_id)

    def _plan_with_gx(
        self, suite: Suite, position: int, parameters: Mapping[str, Any], batch_id: str
    ) -> Planned:
        """The expectation built by GX's own model (what the native evaluator does not reproduce)."""
        raw = suite.gx_suite.expectation_configurations[position]
        config = copy.deepcopy(raw)
        try:
            config.process_suite_parameters(suite_parameters=dict(parameters))
            config.kwargs.update({"batch_id": batch_id})
            expectation = config.to_domain_obj()
        except Exception as exc:  # GX would fail the same way: let it
            return Planned(position, raw.to_json_dict(), None, f"cannot evaluate: {exc}")
        evaluated = expectation.configuration
        if evaluated.id is None:  # GX gives every expectation of a suite added to its context an id
            evaluated.id = str(uuid.uuid4())
            expectation.id = evaluated.id
        return Planned(position, evaluated.to_json_dict(), None, expectation=expectation)

    # --- running -----------------------------------------------------------------------------------------------

    def run_checks(self, product: DataProduct, planned: Sequence[Planned]) -> dict[int, dict[str, Any]]:
        """Run the compiled checks of one product: one scan, then follow-ups; GX's result JSON by position."""
        compiled = [(p, p.check) for p in planned if p.check is not None]
        if not compiled:
            return {}
        fmt = _compiled_format(self._result_format)
        version = product.latest
        table = self.table(version.schema, version.alias or product.name)
        scan = Scan()
        for _, check in compiled:
            check.plan(scan)
        sql, params = scan.sql(table.relation)
        # GX resolves bundled aggregate metrics through convert_to_json_serializable (Decimal -> float,
        # dates -> ISO strings ...): so must we, or e.g. a DECIMAL max compares differently with its bounds.
        row = [_scan_value(v) for v in self.query(sql, params)[0]]
        return {p.position: self._evaluate(p, check, row, fmt) for p, check in compiled}

    def _evaluate(self, p: Planned, check: Check, row: Sequence[Any], fmt: ResultFormat) -> dict[str, Any]:
        try:
            metrics = check.metrics(row, self.query, fmt)
        except Exception as exc:  # as GX's validator: an expectation that raised is a failed result with info
            return native.exception_json(p.config, exc)
        if p.kwargs is not None and p.spec is not None:
            try:
                return native.result_json(p.config, native.evaluate(p.spec, p.kwargs, metrics, fmt))
            except native.NotNative:
                p.expectation = _gx_expectation(p.config, p.kwargs)
            except Exception as exc:
                return native.exception_json(p.config, exc)
        return self._evaluate_with_gx(p, metrics)

    def _evaluate_with_gx(self, p: Planned, metrics: Mapping[str, Any]) -> dict[str, Any]:
        from great_expectations.expectations.expectation_configuration import parse_result_format

        try:
            runtime = {"result_format": parse_result_format(self._result_format.to_gx())}
            raw = p.expectation._validate(metrics=dict(metrics), runtime_configuration=runtime)
            result: dict[str, Any] = p.expectation._build_evr(raw_response=raw).to_json_dict()
            result["expectation_config"] = p.config
            return result
        except Exception as exc:
            return native.exception_json(p.config, exc)

    def validate(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> SuiteResult:
        """Validate one product with its suite; every expectation must compile (else ``SuiteError``)."""
        planned = self.plan(product, suite, parameters)
        missing = [p for p in planned if p.check is None]
        if missing:
            details = "; ".join(f"#{p.position + 1} {p.type}: {p.reason}" for p in missing[:5])
            raise SuiteError(
                f"{suite.path}: {len(missing)} expectation(s) not supported by the sql engine ({details}); "
                "use --engine auto"
            )
        results = self.run_checks(product, planned)
        return self.keep_for_docs(suite, self.suite_result(product, suite, planned, results))

    def suite_result(
        self,
        product: DataProduct,
        suite: Suite,
        planned: Sequence[Planned],
        results: Mapping[int, dict[str, Any]],
        first_positions: Sequence[int] = (),
        *,
        engine: Engine | None = None,
    ) -> SuiteResult:
        """GX's ``ExpectationSuiteValidationResult`` JSON for the merged results, with GX's meta; ``engine``
        (default: this one) is named in the meta."""
        # GX reports first the expectations that failed before evaluation (graph building, metric
        # resolution), then the rest grouped by column: ``first`` are those, in GX's order.
        order = gx_order([p.config for p in planned])
        first = [i for i in first_positions if i in results]
        ordered = [results[i] for i in first] + [results[i] for i in order if i in results and i not in first]
        stats = native.statistics(ordered)
        return SuiteResult(
            {
                "success": stats["evaluated_expectations"] == stats["successful_expectations"],
                "results": ordered,
                "suite_name": suite.name,
                "suite_parameters": {},
                "statistics": stats,
                "meta": self._meta(product, engine or self.name),
                "id": None,
            }
        )

    def _meta(self, product: DataProduct, engine: Engine) -> dict[str, Any]:
        """The ``meta`` GX's validation writes for one batch of the product's latest relation."""
        version = product.latest
        now = dt.datetime.now(dt.UTC)
        run_time = self._run_time.isoformat()
        return {
            "great_expectations_version": native.installed_gx_version() or "unknown",
            "batch_spec": {
                "type": "table",
                "data_asset_name": product.id,
                "table_name": version.alias,
                "schema_name": version.schema,
                "batch_identifiers": {},
            },
            "batch_markers": {"ge_load_time": now.strftime("%Y%m%dT%H%M%S.%fZ")},
            "active_batch_definition": {
                "datasource_name": DATASOURCE_NAME,
                "data_connector_name": "fluent",
                "data_asset_name": product.id,
                "batch_identifiers": {},
            },
            "validation_id": str(uuid.uuid4()),
            "checkpoint_id": None,
            "run_id": {"run_name": self._run_name, "run_time": run_time},
            "validation_time": run_time,
            "batch_parameters": None,
            "engine": str(engine),
        }

    # --- Data Docs and closing ---------------------------------------------------------------------------------

    def keep_for_docs(self, suite: Suite, result: SuiteResult) -> SuiteResult:
        """Keep ``result`` for the Data Docs (when this run builds them); returns it."""
        if self._docs is not None:
            self._docs.append((suite, result))
        return result

    def build_data_docs(self) -> None:
        """GX's Data Docs for the run: the compiled results are stored in the run's GX engine (opened now if
        no expectation needed it), then GX's site builder renders every result."""
        gx = self.gx_engine()
        for suite, result in self._docs or []:
            gx.add_result(suite, result)
        gx.build_data_docs()

    def close(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self._con.close()
        finally:
            if self._gx is not None:
                self._gx.close()


def _dialect_of(warehouse: Path | SqlWarehouse) -> Dialect:
    """DuckDB for a path (or a warehouse whose ``dialect`` is ``duckdb``), Spark or PostgreSQL for theirs; the
    compiled engine writes no other SQL."""
    if isinstance(warehouse, Path):
        return DUCKDB
    name = getattr(warehouse, "dialect", None)
    if name == "duckdb":
        return DUCKDB
    if name == "spark":
        return SPARK
    if name == "postgres":
        return POSTGRES
    label = getattr(warehouse, "label", warehouse)
    raise WarehouseError(f"{label}: the compiled validation engine writes no {name} SQL (use --engine gx)")


def _connect(warehouse: Path, memory_limit: str | None, threads: int | None) -> Any:
    """The run's read-only DuckDB connection, with the same configuration duckdb_engine (GX's driver) opens
    the file with: DuckDB refuses a second connection to one file in one process with another configuration,
    and ``auto`` runs GX beside us. Settings go through SET instead (they apply to the file's database)."""
    import duckdb

    con = open_read_only(warehouse, config={"custom_user_agent": _duckdb_engine_user_agent()})
    try:
        con.execute("set preserve_insertion_order = false")
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        if threads:
            con.execute(f"set threads = {int(threads)}")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"{warehouse}: cannot open read-only: {reason(exc)}") from exc
    return con


def _scan_value(value: Any) -> Any:
    """A value of the aggregate scan as GX's metric resolution hands it over (lists, e.g. of sampled values,
    are left as DuckDB returns them, as GX's follow-up queries would)."""
    if isinstance(value, list):
        return value
    try:
        return native.to_json(value)
    except native.NotNative:
        return value


def _gx_expectation(config: Mapping[str, Any], kwargs: Mapping[str, Any]) -> Any:
    """GX's Expectation for a configuration the native evaluator planned but cannot evaluate."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    fields = {k: config[k] for k in ("meta", "notes", "id", "description", "severity") if k in config}
    return ExpectationConfiguration(type=config["type"], kwargs=dict(kwargs), **fields).to_domain_obj()


def _duckdb_engine_user_agent() -> str:
    """duckdb_engine's ``custom_user_agent`` (``duckdb_engine.PGDialect_duckdb.connect``), without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"duckdb_engine/{version('duckdb_engine')}(sqlalchemy/{version('sqlalchemy')})"
    except PackageNotFoundError:  # no GX driver installed: nothing to agree with
        return "dataproducts"
