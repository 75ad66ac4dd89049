"""What one run produced, read and cross-checked: dbt artifacts, validation results and warehouse facts.

Input rules (docs/slo.md, docs/runs.md): everything comes from one run record. ``manifest.json`` and
``run_results.json`` are required and must be the ones the record names; source freshness and validation
results are optional (their SLIs are then unknown), but when present they must be readable, and every
validation must belong to the record's dbt invocation. Any violation raises an ``ArtifactError`` naming the file, before anything is computed.
The warehouse (a DuckDB file or a PostgreSQL database: ``warehouse.py``) is opened read-only and only
queried with ``count(*)``/``count(column)`` and the catalog: no table is loaded into memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import (
    Manifest,
    RunResults,
    SourcesResults,
    load_manifest,
    load_run_results,
    load_sources,
)
from dataproducts.config import ProjectConfig
from dataproducts.constants import as_of_datetime
from dataproducts.errors import ArtifactError, RunRecordError, WarehouseError
from dataproducts.fileio import display_path
from dataproducts.products import DataProduct
from dataproducts.runs import VALIDATIONS, Record, parse_ts
from dataproducts.slo.slis import Check, SourceFreshness
from dataproducts.warehouse import Warehouse, connected


@dataclass(frozen=True)
class ValidationSummary:
    """The run's validation results: per product, the newest ``dp validate`` part that validated it."""

    path: Path
    invocation_id: str | None
    as_of: str | None
    products: Mapping[str, Mapping[str, Any]]
    part_of: Mapping[str, Path] = field(default_factory=dict)  # product -> its validation part folder


@dataclass(frozen=True)
class RunInputs:
    manifest: Manifest
    manifest_path: Path
    run_results: RunResults
    run_results_path: Path
    sources: SourcesResults | None
    sources_path: Path
    sources_note: str | None  # why sources.json is not used
    validation: ValidationSummary | None
    validation_path: Path
    validation_note: str | None  # why no validation results are used
    as_of_date: dt.date
    as_of_origin: str
    record: Record | None = None

    @property
    def invocation_id(self) -> str:
        return self.run_results.metadata.invocation_id or ""

    @property
    def run_id(self) -> str:
        return self.record.run_id if self.record is not None else self.invocation_id

    @property
    def as_of_time(self) -> dt.datetime:
        """The as-of time: D 06:00 UTC."""
        return as_of_datetime(self.as_of_date)


def load_validation_summary(path: Path) -> ValidationSummary | None:
    """The ``dp validate`` summary, or None when there is none; ``ArtifactError`` naming the file and the
    key when it is not a valid summary (``validation.results.ValidationSummaryModel``)."""
    from dataproducts.validation.results import load_summary

    if not path.is_file():
        return None
    model = load_summary(path)
    products = {p.id: p.model_dump(mode="json") for p in model.products}
    return ValidationSummary(
        path=path,
        invocation_id=model.invocation_id,
        as_of=model.as_of.isoformat(),
        products=products,
        part_of=dict.fromkeys(products, path.parent),
    )


def merged_validation(record: Record) -> ValidationSummary | None:
    """Every ``dp validate`` of the run merged: per product the newest result (a partial validation
    replaces only the products it validated)."""
    products: dict[str, Mapping[str, Any]] = {}
    part_of: dict[str, Path] = {}
    last: ValidationSummary | None = None
    for part in record.parts(VALIDATIONS):
        summary = load_validation_summary(part / "summary.json")
        if summary is None:
            continue
        if summary.invocation_id != record.meta.dbt_invocation_id:
            raise ArtifactError(
                f"{summary.path}: validation results of dbt invocation {summary.invocation_id}, but the run "
                f"record {record.run_id} is of {record.meta.dbt_invocation_id}"
            )
        products.update(summary.products)
        part_of.update(summary.part_of)
        last = summary
    if last is None:
        return None
    return ValidationSummary(last.path, last.invocation_id, last.as_of, products, part_of)


def load_inputs(
    cfg: ProjectConfig,
    record: Record,
    *,
    as_of: dt.date | None = None,
    sources_note: str | None = None,
    validation_note: str | None = None,
) -> RunInputs:
    """Read and cross-check a run record's artifacts. ``as_of`` (from ``--as-of``) must be the run's own
    as-of day. ``sources_note``/``validation_note``: the caller (the nightly job) knows that step did not
    run this time."""
    if as_of is not None and as_of != record.meta.as_of:
        raise RunRecordError(
            f"--as-of {as_of}: run {record.run_id} was built for as-of day {record.meta.as_of} "
            f"({record.meta.as_of_origin}); a run is judged at its own day (omit --as-of, or build for {as_of})"
        )
    manifest_path = record.manifest_path
    run_results_path = record.run_results_path
    manifest = load_manifest(manifest_path)
    run_results = load_run_results(run_results_path)
    invocation = run_results.metadata.invocation_id
    if not invocation:
        raise ArtifactError(f"{run_results_path}: no metadata.invocation_id")
    if invocation != record.meta.dbt_invocation_id:
        raise ArtifactError(
            f"{run_results_path}: from dbt invocation {invocation}, but the run record "
            f"{record.run_id} is of {record.meta.dbt_invocation_id}"
        )
    if manifest.metadata.invocation_id != (record.meta.manifest_invocation_id or invocation):
        raise ArtifactError(
            f"{manifest_path}: from dbt invocation {manifest.metadata.invocation_id}, not the one its run "
            f"record names ({record.meta.manifest_invocation_id or invocation})"
        )

    sources_paths = record.sources_paths()
    sources_path = sources_paths[-1] if sources_paths else record.path / "dbt" / "sources.json"
    sources: SourcesResults | None = None
    if sources_note is None:
        if sources_paths:
            sources = load_sources(sources_path)
        else:
            sources_note = (
                "no source freshness results for this run (run dbt source freshness after the build)"
            )

    validation: ValidationSummary | None = None
    validation_path = record.path / VALIDATIONS
    if validation_note is None:
        validation = merged_validation(record)
        if validation is None:
            validation_note = f"no validation results in run {record.run_id} (run dp validate)"
        else:
            validation_path = validation.path
    return RunInputs(
        manifest=manifest,
        manifest_path=manifest_path,
        run_results=run_results,
        run_results_path=run_results_path,
        sources=sources,
        sources_path=sources_path,
        sources_note=sources_note,
        validation=validation,
        validation_path=validation_path,
        validation_note=validation_note,
        as_of_date=record.meta.as_of,
        as_of_origin=record.meta.as_of_origin,
        record=record,
    )


def _rel(path: Path, cfg: ProjectConfig) -> str:
    return display_path(path, cfg.project_dir)


# --- per-product evidence from the artifacts -----------------------------------------------------------------


def source_freshness(inputs: RunInputs) -> list[SourceFreshness] | None:
    if inputs.sources is None:
        return None
    return [
        SourceFreshness(
            source=r.unique_id,
            max_loaded_at=parse_ts(r.max_loaded_at),
            status=r.status,
            error=(r.error or "").splitlines()[0][:200] if r.error else None,
        )
        for r in inputs.sources.results
    ]


def run_statuses(inputs: RunInputs, unique_ids: Iterable[str]) -> dict[str, str | None]:
    by_id = inputs.run_results.by_id()
    return {uid: (by_id[uid].status if uid in by_id else None) for uid in unique_ids}


def product_test_ids(manifest: Manifest, product: DataProduct) -> list[str]:
    """The product's own dbt data tests (attached to one of its versions); unit tests excluded."""
    own = set(product.unique_ids)
    tests = []
    for uid in product.tests:
        node = manifest.nodes.get(uid)
        if node is None or node.resource_type != "test":
            continue
        attached = node.attached_node or next((n for n in node.depends_on.nodes if n in own), None)
        if attached in own:
            tests.append(uid)
    return tests


_DBT_STATUS = {"pass": "passed", "success": "passed", "fail": "failed", "warn": "failed"}


def dbt_checks(inputs: RunInputs, product: DataProduct) -> list[Check]:
    """The product's dbt data tests that ran in this build, as checks."""
    by_id = inputs.run_results.by_id()
    checks = []
    for uid in product_test_ids(inputs.manifest, product):
        result = by_id.get(uid)
        if result is None:
            continue
        node = inputs.manifest.nodes[uid]
        name = node.test_metadata.name if node.test_metadata else node.name
        severity = (node.config.severity or "ERROR").upper()
        status = _DBT_STATUS.get(result.status, "error")
        message = result.message
        if status == "error" and result.status == "skipped":
            message = "skipped: an upstream node failed"
        checks.append(
            Check(
                source="dbt",
                name=name,
                column=node.column_name,
                severity="critical" if severity == "ERROR" else "warning",
                status=status,
                unexpected_count=result.failures,
                message=message,
            )
        )
    return checks


def gx_checks(inputs: RunInputs, product: DataProduct) -> list[Check] | None:
    """The product's GX expectations from the validation summary; None when it has no result."""
    if inputs.validation is None:
        return None
    entry = inputs.validation.products.get(product.id)
    if entry is None:
        return None
    checks = []
    for e in entry.get("expectations") or []:
        if not isinstance(e, Mapping):
            continue
        samples = e.get("partial_unexpected_list") or []
        message = e.get("exception")
        if not message and e.get("status") == "failed":
            if e.get("unexpected_count") is not None:
                pct = e.get("unexpected_percent")
                share = f" ({pct:.2f}%)" if isinstance(pct, int | float) else ""
                message = f"{e.get('unexpected_count')} of {e.get('element_count')} values unexpected{share}"
            elif e.get("observed_value") is not None:
                message = f"observed {json.dumps(e.get('observed_value'), default=str)[:200]}"
        checks.append(
            Check(
                source="gx",
                name=str(e.get("type", "expectation")),
                column=e.get("column"),
                severity=str(e.get("severity") or "critical"),
                status=str(e.get("status") or "error"),
                unexpected_count=e.get("unexpected_count"),
                element_count=e.get("element_count"),
                samples=tuple(samples if isinstance(samples, list) else []),
                message=message,
            )
        )
    return checks


# --- warehouse facts --------------------------------------------------------------------------------------------


@dataclass
class WarehouseFacts:
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # relation -> column -> type
    row_counts: dict[str, int] = field(default_factory=dict)
    non_null: dict[str, dict[str, int]] = field(default_factory=dict)  # relation -> column -> non-null count
    errors: dict[str, str] = field(default_factory=dict)  # relation -> why it could not be read
    # what the warehouse does not enforce of a contract (the schema SLI says it), None when it enforces all
    constraints_note: str | None = None


# Spark on Parquet checks a contract's column names and types when dbt builds, but keeps no constraint.
SPARK_CONSTRAINTS_NOTE = (
    "Spark does not enforce the contract's constraints (not null, primary key, unique, check) on Parquet "
    "tables: names and types are checked at build, the rest only by tests and expectations"
)


def read_warehouse(
    warehouse: Warehouse,
    relations: Sequence[tuple[str, str]],
    counts: Mapping[tuple[str, str], Sequence[str]],
) -> WarehouseFacts:
    """Columns of ``relations`` (schema, name) and, for ``counts`` (relation -> columns), the row count and
    each column's non-NULL count, in one query per relation. Read-only; nothing is loaded into memory."""
    facts = WarehouseFacts(constraints_note=SPARK_CONSTRAINTS_NOTE if warehouse.dialect == "spark" else None)
    with connected(warehouse) as con:
        if relations:
            wanted = {(s, n) for s, n in relations}
            for schema, name, column, data_type in con.columns():
                if (schema, name) in wanted:
                    facts.columns.setdefault(f"{schema}.{name}", {})[column] = data_type
        for (schema, name), columns in counts.items():
            relation = f"{schema}.{name}"
            present = [c for c in columns if c in facts.columns.get(relation, {})]
            if relation not in facts.columns:
                facts.errors[relation] = "relation not found"
                continue
            select = ", ".join(["count(*)", *(f"count({con.quote(c)})" for c in present)])
            try:
                rows = con.rows(f"select {select} from {con.relation(schema, name)}")
            except WarehouseError as exc:
                facts.errors[relation] = str(exc).removeprefix(f"{warehouse.label}: ")
                continue
            row = rows[0]
            facts.row_counts[relation] = int(row[0])
            facts.non_null[relation] = {c: int(v) for c, v in zip(present, row[1:], strict=True)}
    return facts
