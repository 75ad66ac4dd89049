"""The ``sql`` and ``auto`` validation engines.

``SqlEngine`` validates a product's suite by compiling it (:mod:`.compiler`) into one aggregate scan of the
table plus targeted follow-up queries, on one read-only DuckDB connection for the whole run. Metric values
are turned into results by :mod:`dataproducts.validation.native`, which reproduces what Great Expectations'
expectation classes do with them (success, ``mostly``, the result format) and GX's JSON, without importing
GX; an expectation that module does not reproduce (an option or value it is unsure of) goes through GX's
own expectation class (``Expectation._validate``) instead. The suite result is GX's
``ExpectationSuiteValidationResult`` JSON. No GX context, datasource, SQLAlchemy engine, reflection or
metric graph is created: that is where GX's time goes.

``AutoEngine`` partitions each suite: compiled expectations run on ``SqlEngine``; the rest (an unsupported
type or option) run on the GX engine, created only when first needed; the results are merged into one
suite result in GX's order.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataproducts.errors import SuiteError, WarehouseError
from dataproducts.products import DataProduct
from dataproducts.validation import native
from dataproducts.validation.engine import existing_warehouse
from dataproducts.validation.sql.catalog import load_catalog
from dataproducts.validation.sql.compiler import (
    COMPILED_RESULT_FORMATS,
    Check,
    Options,
    Scan,
    Table,
    Unsupported,
    compile_expectation,
)
from dataproducts.validation.suites import Suite

DATASOURCE_NAME = "warehouse"  # GxEngine's datasource name: batch ids read "<datasource>-<product id>"
_NO_COLUMN = "_nocolumn"


@dataclass
class Planned:
    """One expectation of a suite, with its configuration as GX evaluates it, and its check (or why there is
    none). ``kwargs`` are set when the native evaluator handles it, else ``expectation`` is GX's own."""

    position: int
    config: dict[str, Any]  # GX's JSON of the configuration (parameters substituted, batch_id set)
    check: Check | None
    reason: str | None = None  # why it is not compiled
    kwargs: dict[str, Any] | None = None  # normalized kwargs (native)
    expectation: Any = None  # the GX Expectation (not native)

    @property
    def type(self) -> str:
        return str(self.config["type"])


def _result_options(result_format: Mapping[str, Any]) -> Options:
    fmt = str(result_format.get("result_format", "SUMMARY")).upper()
    extra = {
        k for k, v in result_format.items() if v and k not in ("result_format", "partial_unexpected_count")
    }
    if fmt not in COMPILED_RESULT_FORMATS or extra:
        raise Unsupported(f"result format {fmt} with {sorted(extra)}" if extra else f"result format {fmt}")
    return Options(fmt, int(result_format.get("partial_unexpected_count", 20)))


def gx_order(configs: Sequence[Mapping[str, Any]]) -> list[int]:
    """Positions in the order GX's validator evaluates (and reports) expectations: grouped by column in
    order of first appearance, expectations without a column together (``process_expectations_for_validation``)."""
    groups: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        column = (config.get("kwargs") or {}).get("column")
        groups.setdefault(column if isinstance(column, str) else _NO_COLUMN, []).append(i)
    return [i for group in groups.values() for i in group]


class SqlEngine:
    """Compiled SQL on the DuckDB warehouse, read-only, one connection per run."""

    name = "sql"

    def __init__(
        self,
        warehouse: Path,
        *,
        result_format: Mapping[str, Any],
        run_name: str,
        run_time: dt.datetime,
        memory_limit: str | None = None,
        threads: int | None = None,
        small_table_rows: int | None = None,
    ) -> None:
        import duckdb

        self.warehouse = existing_warehouse(warehouse)
        self._result_format = dict(result_format)
        self._run_name = run_name
        self._run_time = run_time
        self._small_table_rows = small_table_rows  # None: the compiler's default (SMALL_TABLE_ROWS)
        try:
            # The same configuration duckdb_engine (GX's driver) opens the file with: DuckDB refuses a
            # second connection to one file in one process with another configuration, and ``auto`` runs
            # GX beside us. Settings go through SET instead (they apply to the file's database instance).
            self._con = duckdb.connect(
                str(self.warehouse), read_only=True, config={"custom_user_agent": _duckdb_engine_user_agent()}
            )
            self._con.execute("set preserve_insertion_order = false")
            if memory_limit:
                self._con.execute(f"set memory_limit = '{memory_limit}'")
            if threads:
                self._con.execute(f"set threads = {int(threads)}")
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            if "lock" in message.lower():
                message = "locked by another process (is dbt still running?)"
            raise WarehouseError(f"{self.warehouse}: cannot open read-only: {message}") from exc
        self.queries: list[str] = []  # every statement of the run, for tests and --debug
        self.catalog = load_catalog(self.query)  # one query: every relation's columns, keys and size

    # --- warehouse ---------------------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.queries.append(sql)
        return self._con.execute(sql, list(params)).fetchall()

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        return self.catalog.exists(schema, name)

    def table(self, schema: str | None, name: str) -> Table:
        """The relation as the run's catalog saw it (columns, unique keys, size); read once per run."""
        return self.catalog.table(schema, name)

    # --- planning ----------------------------------------------------------------------------------------------

    def plan(self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]) -> list[Planned]:
        """Evaluate every expectation's configuration as GX does (parameters, batch id, GX's model) and
        compile it."""
        version = product.latest
        table = self.table(version.schema, version.alias or product.name)
        try:
            options: Options | None = _result_options(self._result_format)
            format_reason = None
        except Unsupported as exc:
            options, format_reason = None, str(exc)
        batch_id = f"{DATASOURCE_NAME}-{product.id}"
        planned: list[Planned] = []
        for position, raw in enumerate(suite.expectations):
            try:
                kwargs = native.normalize(
                    raw["type"], {**native.substitute(raw["kwargs"], parameters), "batch_id": batch_id}
                )
                config = native.config_json(raw, kwargs, raw.get("id") or str(uuid.uuid4()))
                p = Planned(position, config, None, kwargs=kwargs)
            except native.NotNative:
                p = self._plan_with_gx(suite, position, parameters, batch_id)
                if p.check is None and p.reason is not None:
                    planned.append(p)
                    continue
            kwargs_used = p.kwargs if p.kwargs is not None else p.expectation.configuration.kwargs
            if format_reason is not None or options is None:
                p.reason = format_reason
            elif not table.columns:
                p.reason = "relation has no columns"
            else:
                try:
                    p.check = compile_expectation(
                        p.type, kwargs_used, table, small_table_rows=self._small_table_rows
                    )
                except Unsupported as exc:
                    p.reason = str(exc)
            planned.append(p)
        return planned

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
        compiled = [p for p in planned if p.check is not None]
        if not compiled:
            return {}
        options = _result_options(self._result_format)
        version = product.latest
        table = self.table(version.schema, version.alias or product.name)
        scan = Scan()
        for p in compiled:
            assert p.check is not None
            p.check.plan(scan)
        sql, params = scan.sql(table.relation)
        # GX resolves bundled aggregate metrics through convert_to_json_serializable (Decimal -> float,
        # dates -> ISO strings ...): so must we, or e.g. a DECIMAL max compares differently with its bounds.
        row = [_scan_value(v) for v in self.query(sql, params)[0]]
        fmt = native.ResultFormat(options.result_format, options.partial_unexpected_count)
        results: dict[int, dict[str, Any]] = {}
        for p in compiled:
            assert p.check is not None
            results[p.position] = self._evaluate(p, row, fmt, options)
        return results

    def _evaluate(
        self, p: Planned, row: Sequence[Any], fmt: native.ResultFormat, options: Options
    ) -> dict[str, Any]:
        assert p.check is not None
        try:
            metrics = p.check.metrics(row, self.query, options)
        except Exception as exc:  # as GX's validator: an expectation that raised is a failed result with info
            return native.exception_json(p.config, exc)
        if p.kwargs is not None:
            try:
                return native.result_json(p.config, native.evaluate(p.type, p.kwargs, metrics, fmt))
            except native.NotNative:
                p.expectation = _gx_expectation(p.config, p.kwargs)
            except Exception as exc:
                return native.exception_json(p.config, exc)
        return self._evaluate_with_gx(p, metrics)

    def _evaluate_with_gx(self, p: Planned, metrics: Mapping[str, Any]) -> dict[str, Any]:
        from great_expectations.core.expectation_validation_result import ExpectationValidationResult
        from great_expectations.expectations.expectation_configuration import parse_result_format

        try:
            runtime = {"result_format": parse_result_format(dict(self._result_format))}
            raw = p.expectation._validate(metrics=dict(metrics), runtime_configuration=runtime)
            if str(self._result_format.get("result_format", "")).upper() == "BOOLEAN_ONLY":
                if isinstance(raw, ExpectationValidationResult):
                    raw.result = {}
                else:
                    raw["result"] = {}
            result: dict[str, Any] = p.expectation._build_evr(raw_response=raw).to_json_dict()
            result["expectation_config"] = p.config
            return result
        except Exception as exc:
            return native.exception_json(p.config, exc)

    def validate(
        self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]
    ) -> native.SuiteResult:
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
        return self.suite_result(product, suite, planned, results)

    def suite_result(
        self,
        product: DataProduct,
        suite: Suite,
        planned: Sequence[Planned],
        results: Mapping[int, dict[str, Any]],
        first_positions: Sequence[int] = (),
    ) -> native.SuiteResult:
        """GX's ``ExpectationSuiteValidationResult`` JSON for the merged results, with GX's meta."""
        # GX reports first the expectations that failed before evaluation (graph building, metric
        # resolution), then the rest grouped by column: ``first`` are those, in GX's order.
        order = gx_order([p.config for p in planned])
        first = [i for i in first_positions if i in results]
        ordered = [results[i] for i in first] + [results[i] for i in order if i in results and i not in first]
        stats = native.statistics(ordered)
        version = product.latest
        now = dt.datetime.now(dt.UTC)
        run_time = self._run_time.isoformat()
        return native.SuiteResult(
            {
                "success": stats["evaluated_expectations"] == stats["successful_expectations"],
                "results": ordered,
                "suite_name": suite.name,
                "suite_parameters": {},
                "statistics": stats,
                "meta": {
                    "great_expectations_version": _gx_version(),
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
                    "engine": self.name,
                },
                "id": None,
            }
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._con.close()


def _scan_value(value: Any) -> Any:
    """A value of the aggregate scan as GX's metric resolution hands it over (lists, e.g. of sampled values,
    are left as DuckDB returns them, as GX's follow-up queries would)."""
    if isinstance(value, list):
        return value
    try:
        return native.to_json(value)
    except native.NotNative:
        return value


@functools.cache
def _gx_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great_expectations")
    except PackageNotFoundError:  # pragma: no cover - GX is a dependency
        return "unknown"


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


class AutoEngine:
    """Compiled SQL where supported, Great Expectations for the rest; one merged result per product."""

    name = "auto"

    def __init__(self, sql: SqlEngine, gx_factory: Callable[[], Any], *, docs: bool = False) -> None:
        self.sql = sql
        self._gx_factory = gx_factory
        self._gx: Any | None = None
        self.strict = False  # True: the ``sql`` engine, every expectation must compile
        self.delegated: dict[str, list[str]] = {}  # product id -> "type: reason", for the report and tests
        self._docs = docs
        self._compiled_results: list[tuple[Suite, native.SuiteResult]] = []  # kept for Data Docs only

    @property
    def warehouse(self) -> Path:
        return self.sql.warehouse

    def relation_exists(self, schema: str | None, name: str | None) -> bool:
        return self.sql.relation_exists(schema, name)

    @property
    def gx(self) -> Any:
        if self._gx is None:
            self._gx = self._gx_factory()
        return self._gx

    def validate(
        self, product: DataProduct, suite: Suite, parameters: Mapping[str, Any]
    ) -> native.SuiteResult:
        if self.strict:
            result = self.sql.validate(product, suite, parameters)
            result.meta["engine"] = self.name
            if self._docs:
                self._compiled_results.append((suite, result))
            return result
        planned = self.sql.plan(product, suite, parameters)
        results = self.sql.run_checks(product, planned)
        rest = [p for p in planned if p.check is None]
        first: list[int] = []
        if rest:
            self.delegated[product.id] = [f"{p.type}: {p.reason}" for p in rest]
            subset = suite.subset([p.position for p in rest])
            gx_result = self.gx.validate(product, subset, parameters).to_json_dict()
            # GX reports in its own order: map each result back to its position in the suite.
            for p, r in _gx_report_positions(gx_result["results"], rest):
                results[p.position] = r
                info = r.get("exception_info") or {}
                if info.get("raised_exception") or "raised_exception" not in (
                    info or {"raised_exception": False}
                ):
                    first.append(p.position)
        result = self.sql.suite_result(product, suite, planned, results, first)
        result.meta["engine"] = self.name
        result.meta["gx_expectations"] = len(rest)
        if self._docs:
            self._compiled_results.append((suite, result))
        return result

    def build_data_docs(self) -> None:
        """GX's Data Docs for the run: the compiled results are stored in the GX engine's context (created
        now if no expectation needed it), then GX's site builder renders every result."""
        import great_expectations as gxm
        from great_expectations.core.expectation_validation_result import (
            expectationSuiteValidationResultSchema,
        )
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        gx = self.gx
        context = gx._context
        for suite, compiled in self._compiled_results:
            result = expectationSuiteValidationResultSchema.load(copy.deepcopy(compiled.to_json_dict()))
            with contextlib.suppress(Exception):  # already there when GX validated part of it
                context.suites.add(
                    gxm.ExpectationSuite(
                        name=suite.gx_suite.name,
                        expectations=list(suite.gx_suite.expectation_configurations),
                        meta=dict(suite.gx_suite.meta or {}),
                    )
                )
            run_id = RunIdentifier(run_name=self.sql._run_name, run_time=self.sql._run_time)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.gx_suite.name),
                run_id=run_id,
                batch_identifier=compiled.meta.get("active_batch_definition", {}).get("data_asset_name"),
            )
            context.validation_results_store.set(key, result)
        gx.build_data_docs()

    def close(self) -> None:
        try:
            self.sql.close()
        finally:
            if self._gx is not None:
                self._gx.close()


def _gx_report_positions(
    gx_results: Sequence[Mapping[str, Any]], expected: Sequence[Planned]
) -> list[tuple[Planned, dict[str, Any]]]:
    """Pair GX's results (JSON) with the planned expectations they belong to, by expectation id, else by
    type and kwargs (GX may move a failed metric's expectations to the front)."""

    def key(config: Mapping[str, Any]) -> tuple[str, str]:
        kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
        return str(config.get("type")), json.dumps(kwargs, sort_keys=True, default=str)

    pairs: list[tuple[Planned, dict[str, Any]]] = []
    left = list(expected)
    for result in gx_results:
        config = result.get("expectation_config") or {}
        match = None
        for p in left:
            same_id = p.config.get("id") is not None and p.config.get("id") == config.get("id")
            if same_id or key(p.config) == key(config):
                match = p
                break
        if match is None:
            continue
        left.remove(match)
        pairs.append((match, dict(result)))
    return pairs


ENGINE_NAMES: tuple[str, ...] = ("auto", "gx", "sql")
DEFAULT_MEMORY_LIMIT = "640MB"  # keeps `dp validate` under 1 GiB RSS; DP_DUCKDB_MEMORY_LIMIT overrides


def open_engine(
    name: str,
    warehouse: Path,
    *,
    result_format: Mapping[str, Any],
    run_name: str,
    run_time: dt.datetime,
    data_docs_dir: Path | None = None,
) -> Any:
    """The engine called ``name``: ``gx`` (Great Expectations), ``sql`` (compiled only) or ``auto``
    (compiled where supported, GX for the rest). Same arguments as ``GxEngine``."""
    import os

    from dataproducts.validation.engine import GxEngine

    def gx() -> GxEngine:
        return GxEngine(
            warehouse,
            result_format=result_format,
            run_name=run_name,
            run_time=run_time,
            data_docs_dir=data_docs_dir,
        )

    if name == "gx":
        return gx()
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown engine {name!r} (available: {', '.join(ENGINE_NAMES)})")
    sql = SqlEngine(
        warehouse,
        result_format=result_format,
        run_name=run_name,
        run_time=run_time,
        memory_limit=os.environ.get("DP_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
    )
    auto = AutoEngine(sql, gx, docs=data_docs_dir is not None)
    if name == "sql":
        auto.strict = True
        auto.name = "sql"
    return auto
