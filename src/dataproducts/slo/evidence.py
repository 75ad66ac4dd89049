"""What one run produced, read and cross-checked: dbt artifacts, validation results and warehouse facts.

Input rules (docs/slo.md): ``manifest.json`` and ``run_results.json`` are required and must come from the
same dbt invocation; ``sources.json`` and ``target/validation/summary.json`` are optional (their SLIs are
then unknown), but when present they must be readable, and the validation summary must belong to the same
invocation. Any violation raises an ``ArtifactError`` naming the file, before anything is computed.
The warehouse is opened read-only and only queried with ``count(*)``/``count(column)`` and
``information_schema``: no table is loaded into memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataproducts.artifacts import (
    Manifest,
    RunResults,
    SourcesResults,
    load_manifest,
    load_run_results,
    load_sources,
)
from dataproducts.config import ProjectConfig
from dataproducts.errors import ArtifactError, WarehouseError
from dataproducts.products import DataProduct
from dataproducts.slo.slis import Check, SourceFreshness

VALIDATION_SUMMARY_VERSIONS = frozenset({1})
# sources.json older than the run's artifacts by more than this is from an earlier night: ignored
SOURCES_MAX_LAG = dt.timedelta(hours=12)


@dataclass(frozen=True)
class ValidationSummary:
    path: Path
    invocation_id: str | None
    as_of: str | None
    products: Mapping[str, Mapping[str, Any]]


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

    @property
    def invocation_id(self) -> str:
        return self.run_results.metadata.invocation_id or ""

    @property
    def as_of_time(self) -> dt.datetime:
        """The as-of time: D 06:00 UTC."""
        return dt.datetime.combine(self.as_of_date, dt.time(6), tzinfo=dt.UTC)


def _parse_ts(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def load_validation_summary(path: Path) -> ValidationSummary | None:
    """The ``dp validate`` summary, or None when there is none; ``ArtifactError`` when it is unreadable."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read the validation summary ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}); truncated validation summary?"
        ) from exc
    if not isinstance(data, dict) or data.get("schema_version") not in VALIDATION_SUMMARY_VERSIONS:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise ArtifactError(
            f"{path}: unsupported validation summary (schema_version {found!r}, this dp reads 1)"
        )
    products = data.get("products")
    if not isinstance(products, list) or not all(isinstance(p, dict) and "id" in p for p in products):
        raise ArtifactError(f"{path}: validation summary without a products list")
    return ValidationSummary(
        path=path,
        invocation_id=data.get("invocation_id"),
        as_of=data.get("as_of"),
        products={p["id"]: p for p in products},
    )


def _vars_as_of(run_results: RunResults) -> dt.date | None:
    raw = run_results.args.get("vars")
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError:
            return None
    value = raw.get("as_of") if isinstance(raw, dict) else None
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def load_inputs(
    cfg: ProjectConfig,
    *,
    as_of: dt.date | None = None,
    sources_note: str | None = None,
    validation_note: str | None = None,
) -> RunInputs:
    """Read and cross-check the run's artifacts. ``sources_note``/``validation_note``: the caller (the
    nightly job) knows that step did not run this time; its files, if any, are stale and are not read."""
    manifest_path = cfg.manifest_path
    run_results_path = cfg.target_dir / "run_results.json"
    sources_path = cfg.target_dir / "sources.json"
    validation_path = cfg.validation_dir / "summary.json"

    manifest = load_manifest(manifest_path)
    run_results = load_run_results(run_results_path)
    invocation = run_results.metadata.invocation_id
    if not invocation:
        raise ArtifactError(f"{run_results_path}: no metadata.invocation_id")
    if manifest.metadata.invocation_id != invocation:
        raise ArtifactError(
            f"{manifest_path}: from dbt invocation {manifest.metadata.invocation_id}, but run_results.json is "
            f"from {invocation} (artifacts of different dbt runs; rerun dbt build)"
        )

    sources: SourcesResults | None = None
    if sources_note is None:
        if sources_path.is_file():
            sources = load_sources(sources_path)
            built_at = _parse_ts(run_results.metadata.generated_at)
            checked_at = _parse_ts(sources.metadata.generated_at)
            if built_at and checked_at and built_at - checked_at > SOURCES_MAX_LAG:
                sources_note = (
                    f"{_rel(sources_path, cfg)} is from an earlier run ({sources.metadata.generated_at}); "
                    "source freshness not checked for this build"
                )
                sources = None
        else:
            sources_note = f"no source freshness results ({_rel(sources_path, cfg)} not found)"

    validation: ValidationSummary | None = None
    if validation_note is None:
        validation = load_validation_summary(validation_path)
        if validation is None:
            validation_note = f"no validation results ({_rel(validation_path, cfg)} not found)"
        elif validation.invocation_id != invocation:
            raise ArtifactError(
                f"{validation_path}: validation results of dbt invocation {validation.invocation_id}, but "
                f"run_results.json is from {invocation} (rerun dp validate after dbt build)"
            )

    origin = "--as-of"
    if as_of is None:
        as_of = _vars_as_of(run_results)
        origin = "dbt vars (run_results.json)"
    if as_of is None and validation is not None and validation.as_of:
        try:
            as_of = dt.date.fromisoformat(validation.as_of)
            origin = "validation summary"
        except ValueError:
            as_of = None
    if as_of is None:
        as_of = dt.datetime.now(dt.UTC).date()
        origin = "today (UTC)"
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
        as_of_date=as_of,
        as_of_origin=origin,
    )


def _rel(path: Path, cfg: ProjectConfig) -> str:
    try:
        return path.resolve().relative_to(cfg.project_dir).as_posix()
    except ValueError:
        return str(path)


# --- per-product evidence from the artifacts -----------------------------------------------------------------


def source_freshness(inputs: RunInputs) -> list[SourceFreshness] | None:
    if inputs.sources is None:
        return None
    return [
        SourceFreshness(
            source=r.unique_id,
            max_loaded_at=_parse_ts(r.max_loaded_at),
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
                extra={"unique_id": uid},
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
                extra={"kwargs": e.get("kwargs") or {}},
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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_warehouse(
    path: Path,
    relations: Sequence[tuple[str, str]],
    counts: Mapping[tuple[str, str], Sequence[str]],
) -> WarehouseFacts:
    """Columns of ``relations`` (schema, name) and, for ``counts`` (relation -> columns), the row count and
    each column's non-NULL count, in one query per relation. Read-only; nothing is loaded into memory."""
    import duckdb

    if not path.is_file():
        raise WarehouseError(f"{path}: warehouse not found (run dp generate and dbt build first)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise WarehouseError(f"{path}: cannot open the warehouse read-only ({first})") from exc
    facts = WarehouseFacts()
    try:
        if relations:
            wanted = {(s, n) for s, n in relations}
            rows = con.execute(
                "select table_schema, table_name, column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
            ).fetchall()
            for schema, name, column, data_type in rows:
                if (schema, name) in wanted:
                    facts.columns.setdefault(f"{schema}.{name}", {})[column] = data_type
        for (schema, name), columns in counts.items():
            relation = f"{schema}.{name}"
            present = [c for c in columns if c in facts.columns.get(relation, {})]
            if relation not in facts.columns:
                facts.errors[relation] = "relation not found"
                continue
            select = ", ".join(["count(*)", *(f"count({_ident(c)})" for c in present)])
            try:
                row = con.execute(f"select {select} from {_ident(schema)}.{_ident(name)}").fetchone()
            except duckdb.Error as exc:
                facts.errors[relation] = str(exc).strip().splitlines()[0]
                continue
            assert row is not None
            facts.row_counts[relation] = int(row[0])
            facts.non_null[relation] = {c: int(v) for c, v in zip(present, row[1:], strict=True)}
    finally:
        con.close()
    return facts
