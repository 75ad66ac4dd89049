"""``dp validate``: check every data product with its GX suite after dbt has built the warehouse.

Flow: read the manifest (typed, schema version checked) -> the products -> their suite files (each checked)
-> open the warehouse read-only and check every selected relation is built -> validate each product with
one engine -> write GX's result per product, ``summary.json`` and GX Data Docs into a temporary directory
next to ``target/validation/`` -> swap it in. Any input error (manifest, suite, selection, warehouse) is
raised before anything is written, so a failed run never leaves half a result behind.

Statuses: an expectation *passed*, *failed*, or is an *error* when GX could not evaluate it (GX puts
``exception_info`` in the result instead of raising); an error is never counted as a pass or a failure. A
product is ``error`` if any expectation errored, else ``failed`` if a critical expectation failed, else
``passed`` (failed warnings and infos are counted in its statistics). Exit status: 0 when every critical
expectation passed, 1 when any failed, 2 when a critical expectation could not be evaluated (the results
are still written: they say which) or on an input error (nothing written).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataproducts.artifacts import load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.errors import (
    ArtifactError,
    ExitCode,
    RunRecordError,
    SuiteError,
    UsageError,
    WarehouseError,
)
from dataproducts.fileio import display_path, ensure_dir, make_staging_dir, output_error
from dataproducts.products import NO_PRODUCTS, DataProduct, load_products, select_products
from dataproducts.runs import VALIDATIONS, Record, publish_dir, stamp
from dataproducts.validation.engine import DEFAULT_SAMPLES, Engine, open_engine, result_format
from dataproducts.validation.registry import ENGINE_NAMES
from dataproducts.validation.results import ValidationSummaryModel
from dataproducts.validation.suites import Suite, load_suite, read_suite_json, suite_files, suite_parameters

SUMMARY_SCHEMA_VERSION = 1
SUMMARY_FILE = "summary.json"
DATA_DOCS_DIR = "data_docs"


@dataclass(frozen=True)
class ExpectationOutcome:
    type: str
    column: str | None
    kwargs: Mapping[str, Any]
    severity: str
    status: str  # passed | failed | error
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    missing_count: int | None
    observed_value: Any
    partial_unexpected_list: list[Any]
    exception: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "column": self.column,
            "kwargs": dict(self.kwargs),
            "severity": self.severity,
            "status": self.status,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "missing_count": self.missing_count,
            "observed_value": self.observed_value,
            "partial_unexpected_list": self.partial_unexpected_list,
            "exception": self.exception,
        }


@dataclass(frozen=True)
class ProductOutcome:
    id: str
    unique_id: str
    relation: str
    suite: str
    result_file: str
    status: str  # passed | failed | error
    statistics: Mapping[str, Any]
    expectations: tuple[ExpectationOutcome, ...]

    @property
    def success(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unique_id": self.unique_id,
            "relation": self.relation,
            "suite": self.suite,
            "result_file": self.result_file,
            "success": self.success,
            "status": self.status,
            "statistics": dict(self.statistics),
            "expectations": [e.to_dict() for e in self.expectations],
        }


@dataclass(frozen=True)
class ValidationRun:
    output_dir: Path
    invocation_id: str | None
    generated_at: str
    as_of: dt.date
    engine: str
    products: tuple[ProductOutcome, ...]
    data_docs_index: Path | None = None
    unsuited: tuple[str, ...] = ()  # products without a suite file: their validity is not measured

    @property
    def exit_code(self) -> ExitCode:
        critical = [e for p in self.products for e in p.expectations if e.severity == "critical"]
        if any(e.status == "error" for e in critical):
            return ExitCode.ERROR
        if any(e.status == "failed" for e in critical):
            return ExitCode.FAILED
        return ExitCode.OK

    def summary(self) -> dict[str, Any]:
        return {
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "invocation_id": self.invocation_id,
            "generated_at": self.generated_at,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "products": [p.to_dict() for p in self.products],
        }

    def report(self) -> str:
        """A short human summary for the terminal."""
        lines = []
        for p in self.products:
            stats = p.statistics
            lines.append(
                f"{p.status.upper():7} {p.id}: {stats['passed']} passed, {stats['failed']} failed, "
                f"{stats['errors']} errors ({stats['failed_critical']} critical failed)"
            )
            for e in p.expectations:
                if e.status != "passed":
                    where = f" {e.column}" if e.column else ""
                    count = (
                        f" unexpected={e.unexpected_count} of {e.element_count}"
                        if e.unexpected_count is not None
                        else f" observed={e.observed_value}"
                    )
                    reason = f": {e.exception}" if e.exception else count
                    lines.append(f"    {e.status} [{e.severity}] {e.type}{where}{reason}")
        lines.append(f"results: {self.output_dir}")
        if self.data_docs_index is not None:
            lines.append(f"data docs: {self.data_docs_index}")
        return "\n".join(lines)


# --- reading GX results ---------------------------------------------------------------------------------------


def exception_message(result: Mapping[str, Any]) -> str | None:
    """The message of an expectation GX could not evaluate, else None (``result``: GX's result JSON).

    GX reports it in ``exception_info`` either flat (``raised_exception``, ``exception_message``) or keyed by
    the metric that failed (``{metric_id: {...}}``)."""
    info = result.get("exception_info") or {}
    entries: Iterable[Any] = [info] if "raised_exception" in info else info.values()
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "exception raised").strip()
            return message.splitlines()[0][:500] if message else "exception raised"
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _outcome(result: Mapping[str, Any], severity: str) -> ExpectationOutcome:
    config = result.get("expectation_config") or {}
    kwargs = {
        k: v for k, v in dict(config.get("kwargs") or {}).items() if k not in ("batch_id", "result_format")
    }
    details: Mapping[str, Any] = result.get("result") or {}
    error = exception_message(result)
    status = "error" if error else ("passed" if result.get("success") else "failed")
    return ExpectationOutcome(
        type=str(config.get("type")),
        column=kwargs.get("column") if isinstance(kwargs.get("column"), str) else None,
        kwargs=kwargs,
        severity=severity,
        status=status,
        element_count=_int(details.get("element_count")),
        unexpected_count=_int(details.get("unexpected_count")),
        unexpected_percent=_float(details.get("unexpected_percent")),
        missing_count=_int(details.get("missing_count")),
        observed_value=details.get("observed_value"),
        partial_unexpected_list=list(details.get("partial_unexpected_list") or []),
        exception=error,
    )


def _severity_of(result: Mapping[str, Any], fallback: str) -> str:
    value = (result.get("expectation_config") or {}).get("severity")
    return str(value) if value in ("critical", "warning", "info") else fallback


def summarize(
    product: DataProduct, suite: Suite, suite_label: str, result_file: str, result: Mapping[str, Any]
) -> ProductOutcome:
    """Roll one suite result (GX's JSON) up into the product's outcome."""
    outcomes = tuple(
        _outcome(r, _severity_of(r, suite.severities[i] if i < len(suite.severities) else "critical"))
        for i, r in enumerate(result.get("results") or [])
    )
    count = {s: sum(1 for e in outcomes if e.status == s) for s in ("passed", "failed", "error")}
    failed_by = {
        sev: sum(1 for e in outcomes if e.status == "failed" and e.severity == sev)
        for sev in ("critical", "warning", "info")
    }
    if count["error"]:
        status = "error"
    elif failed_by["critical"]:
        status = "failed"
    else:
        status = "passed"
    gx_stats = dict(result.get("statistics") or {})
    statistics = {
        "evaluated_expectations": len(outcomes),
        "passed": count["passed"],
        "failed": count["failed"],
        "errors": count["error"],
        "failed_critical": failed_by["critical"],
        "failed_warning": failed_by["warning"],
        "failed_info": failed_by["info"],
        "gx_success": bool(result.get("success")),
        "gx_success_percent": gx_stats.get("success_percent"),
    }
    return ProductOutcome(
        id=product.id,
        unique_id=product.unique_id,
        relation=product.relation,
        suite=suite_label,
        result_file=result_file,
        status=status,
        statistics=statistics,
        expectations=outcomes,
    )


# --- inputs ---------------------------------------------------------------------------------------------------


def load_product_suites(cfg: ProjectConfig, products: Sequence[DataProduct]) -> dict[str, Suite]:
    """Every product's suite, checked; and no suite file for a product that does not exist.

    A suite file is optional: a product without one is left out (its validity is not measured; ``dp check``
    reports the missing file as DP006 and ``dp init`` writes a starter suite). A suite that is there must
    be right."""
    suites: dict[str, Suite] = {}
    owned: dict[Path, str] = {}
    for product in products:
        path = product.suite_path(cfg.project_dir)
        label = display_path(path, cfg.project_dir)
        if not path.is_file():
            continue
        suite = load_suite(path)
        if suite.name != product.id:
            raise SuiteError(f"{label}: suite name {suite.name!r} does not match data product {product.id!r}")
        suites[product.id] = suite
        owned[path.resolve()] = product.id
    known = {p.id for p in products}
    for path in suite_files(cfg.expectations_dir):
        if path.resolve() in owned:
            continue
        name = read_suite_json(path).get("name")
        label = display_path(path, cfg.project_dir)
        if name in known:
            raise SuiteError(f"{label}: second suite for data product {name!r} (its suite is elsewhere)")
        raise SuiteError(f"{label}: suite {name!r} is for no data product in the manifest")
    return suites


def _check_relations(engine: Engine, products: Sequence[DataProduct]) -> None:
    for product in products:
        version = product.latest
        if not engine.relation_exists(version.schema, version.alias):
            where = getattr(engine.warehouse, "label", engine.warehouse)
            raise WarehouseError(
                f"{where}: relation {product.relation} of data product {product.id} not found "
                "(has dbt build run against this warehouse?)"
            )


# --- writing --------------------------------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


# --- the run --------------------------------------------------------------------------------------------------


def _selection(
    cfg: ProjectConfig, record: Record, select: Sequence[str] | None, only: Sequence[str] | None
) -> tuple[list[DataProduct], dict[str, Suite], bool]:
    """The products to validate, every product's suite (all checked), and whether the run is partial."""
    manifest = load_manifest(record.manifest_path)
    products = load_products(manifest)
    if not products:
        raise ArtifactError(f"{record.manifest_path}: {NO_PRODUCTS}")
    suites = load_product_suites(cfg, products)
    selected = list(select_products(products, select))
    if only is not None:
        selected = [p for p in selected if p.id in set(only)]
    partial = bool(select) or only is not None and len(selected) < len(products)
    return selected, suites, partial


def unsuited_note(unsuited: Sequence[str]) -> str:
    """Advice for products without a suite file (not an error: their validity is simply not measured)."""
    return (
        f"no quality suite for {', '.join(unsuited)}: validity not measured "
        "(`dp init` writes starter suites under expectations/)"
    )


@dataclass(frozen=True)
class _RunContext:
    """What every product's validation of one run shares."""

    invocation_id: str | None
    as_of: dt.date
    parameters: Mapping[str, Any]
    data_docs: bool


def _validate_into(
    staging: Path,
    cfg: ProjectConfig,
    selected: Sequence[DataProduct],
    suites: Mapping[str, Suite],
    engine: Engine,
    run: _RunContext,
) -> tuple[str, list[ProductOutcome]]:
    """Validate every selected product on ``engine`` (closed after), writing GX's result per product (and
    the Data Docs) into ``staging``; the engine's name and the products' outcomes."""
    try:
        _check_relations(engine, selected)
        outcomes = []
        for product in selected:
            suite = suites[product.id]
            result_file = f"{product.id}.json"
            result_json = engine.validate(product, suite, run.parameters).to_json_dict()
            result_json.setdefault("meta", {})["dataproducts"] = {
                "product": product.id,
                "unique_id": product.unique_id,
                "invocation_id": run.invocation_id,
                "as_of": run.as_of.isoformat(),
                "engine": engine.name,
            }
            _write_json(staging / result_file, result_json)
            label = display_path(suite.path, cfg.project_dir)
            outcomes.append(summarize(product, suite, label, result_file, result_json))
        if run.data_docs:
            engine.build_data_docs()
    finally:
        engine.close()
    return str(engine.name), outcomes


def run_validation(
    cfg: ProjectConfig,
    record: Record,
    *,
    select: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    result_format_name: str = "SUMMARY",
    samples: int = DEFAULT_SAMPLES,
    engine: str = "auto",
    data_docs: bool = True,
    only: Sequence[str] | None = None,
) -> ValidationRun:
    """Validate the selected products (default: all) of one run record and write their results as a new
    part of the record (``validations/<stamp>/``); see the module docstring. ``as_of`` must be the run's
    own as-of day. ``only``: product ids to validate among the selection (the nightly: those built)."""
    if engine not in ENGINE_NAMES:
        raise UsageError(f"unknown engine {engine!r} (available: {', '.join(ENGINE_NAMES)})")
    if as_of is not None and as_of != record.meta.as_of:
        raise RunRecordError(
            f"--as-of {as_of}: run {record.run_id} was built for as-of day {record.meta.as_of} "
            f"({record.meta.as_of_origin}); a run is validated at its own day (omit --as-of)"
        )
    as_of = record.meta.as_of
    fmt = result_format(result_format_name, samples)

    selected, suites, partial = _selection(cfg, record, select, only)
    unsuited = tuple(p.id for p in selected if p.id not in suites)
    selected = [p for p in selected if p.id in suites]
    parameters = suite_parameters(as_of)

    now = dt.datetime.now(dt.UTC)
    invocation_id = record.meta.dbt_invocation_id
    parent = ensure_dir(record.path / VALIDATIONS)
    name = stamp(now)
    output_dir = parent / name
    staging = make_staging_dir(parent, f".staging-{name}-")
    try:
        engine_used, outcomes = _validate_into(
            staging,
            cfg,
            selected,
            suites,
            open_engine(
                engine,
                cfg.db,
                result_format=fmt,
                run_name=invocation_id or f"dp-validate-{now:%Y%m%dT%H%M%SZ}",
                run_time=now,
                data_docs_dir=staging / DATA_DOCS_DIR if data_docs else None,
            ),
            _RunContext(invocation_id, as_of, parameters, data_docs),
        )
        run = ValidationRun(
            output_dir=output_dir,
            invocation_id=invocation_id,
            generated_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            as_of=as_of,
            engine=engine_used,
            products=tuple(outcomes),
            data_docs_index=(output_dir / DATA_DOCS_DIR / "index.html") if data_docs else None,
            unsuited=unsuited,
        )
        summary = run.summary()
        summary["run_id"] = record.run_id
        summary["selection"] = sorted(p.id for p in selected) if partial else None
        # the one model of the results says what a summary is: what is written can be read back
        ValidationSummaryModel.model_validate_json(json.dumps(summary, default=str), strict=True)
        _write_json(staging / SUMMARY_FILE, summary)
        publish_dir(staging, output_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise output_error(output_dir, exc) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run
