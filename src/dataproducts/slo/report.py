"""``dp report``: judge every data product's SLIs for one dbt invocation, roll them into error budgets over
the history, and write the SLO report (JSON, Markdown, HTML) and the run's history rows.

Flow: read and cross-check the inputs (``evidence``) -> open the history read-only -> query the warehouse
read-only -> compute each product's SLIs -> union this run into the history's windows -> budgets, trends,
statuses -> the JSON document (checked against ``schemas/slo_report.schema.json``) -> render Markdown and
HTML into a temporary directory -> record the run in the history (one transaction) -> move the reports into
``reports/latest/`` and ``reports/<as-of date>/``. An input error stops before anything is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, Unpack

from dataproducts.config import ProjectConfig
from dataproducts.constants import SLI_NAMES
from dataproducts.errors import ArtifactError, ExitCode, OutputError, RunRecordError
from dataproducts.fileio import display_path, ensure_dir, make_staging_dir, output_error, swap_in_dir
from dataproducts.products import NO_PRODUCTS, DataProduct, load_products, select_products
from dataproducts.runs import REPORTS, Record, publish_dir, staging_dir, stamp
from dataproducts.slo import document as report_document
from dataproducts.slo import evidence
from dataproducts.slo.budgets import Budget, exit_code, overall_status, product_status, run_status
from dataproducts.slo.history import (
    CheckpointError,
    HistoryReader,
    ProductRecord,
    RunRecord,
    read_history,
    record_run,
)
from dataproducts.slo.model import VOLUME_BASELINE_RUNS, SliResult, Status, Targets, targets_for
from dataproducts.slo.slis import (
    Check,
    availability_sli,
    completeness_sli,
    freshness_sli,
    schema_stability_sli,
    validity_sli,
)

REPORT_SCHEMA_VERSION = "1.0"
REPORT_STEM = "slo_report"
DEPRECATION_HORIZON_DAYS = 30
MAX_SAMPLES = 20
DOCS_SUBDIR = "docs"  # `dbt docs generate --static` writes the docs site to <target>/docs (see pipeline)
DOCS_PAGE = "static_index.html"  # one file that works from file:// (index.html fetches JSON)


@dataclass(frozen=True)
class SloReport:
    document: dict[str, Any]
    run: RunRecord
    statuses: tuple[Status, ...]

    @property
    def overall(self) -> Status:
        return Status(self.document["overall_status"])

    def exit_code(self, fail_on: str = "breached") -> ExitCode:
        return exit_code(self.statuses, fail_on)


@dataclass(frozen=True)
class WrittenReport:
    report: SloReport
    latest_dir: Path
    dated_dir: Path
    files: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    record_part: Path | None = None  # the report's folder in its run record
    checkpoint_error: str | None = None  # recorded, but the history's checkpoint failed

    def summary(self) -> str:
        doc = self.report.document
        lines = [
            f"SLO report {doc['as_of_date']} (run {doc.get('run_id') or doc['invocation_id']}"
            + (", PARTIAL: " + ", ".join(doc.get("selection") or []) if doc.get("partial") else "")
            + f"): {doc['overall_status'].upper()} - "
            + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in doc["summary"].items())
        ]
        for p in doc["products"]:
            bad = [f"{n} {s['status']}" for n, s in p["slis"].items() if s["status"] != "met"]
            budget = p["error_budget"].get("remaining")
            left = f", budget {budget:.0%} left" if isinstance(budget, int | float) else ""
            lines.append(
                f"  {p['status'].upper():9} {p['id']}{left}" + (f" ({'; '.join(bad)})" if bad else "")
            )
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("reports: " + ", ".join(str(self.latest_dir / f) for f in self.files))
        return "\n".join(lines)


# --- helpers ------------------------------------------------------------------------------------------------


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _link(path: Path, from_dir: Path) -> str:
    return Path(os.path.relpath(path.resolve(), from_dir.resolve())).as_posix()


def _budget(objective: float, good: int, bad: int, window_days: int) -> Budget:
    return Budget(objective=objective, runs=good + bad, good_runs=good, bad_runs=bad, window_runs=window_days)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _unknown(name: str, unit: str, target: Mapping[str, Any], reason: str) -> SliResult:
    return SliResult(name, Status.UNKNOWN, None, unit, target, reason)


def _required_columns(product: DataProduct) -> list[str]:
    return [c.name for c in product.columns if {"not_null", "primary_key"} & set(c.constraints)]


def _failing(checks: Sequence[Check]) -> list[dict[str, Any]]:
    out = []
    for c in checks:
        if c.status == "passed":
            continue
        out.append(
            {
                "source": c.source,
                "name": c.name,
                "column": c.column,
                "severity": c.severity,
                "status": "failed" if c.status == "failed" else "error",
                "unexpected_count": c.unexpected_count,
                "element_count": c.element_count,
                "samples": _jsonable(list(c.samples[:MAX_SAMPLES])),
                "message": c.message,
            }
        )
    rank = {"critical": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda c: (c["status"] != "error", rank.get(c["severity"], 3), c["name"]))


def _data_docs_link(
    inputs: evidence.RunInputs, product: DataProduct, from_dir: Path, final: Path
) -> str | None:
    """The product's GX Data Docs page in the validation part that validated it; ``final`` is where the
    record will be (a nightly's record is built in a staging folder)."""
    if inputs.validation is None or product.id not in inputs.validation.part_of or inputs.record is None:
        return None
    part = inputs.validation.part_of[product.id]
    docs = part / "data_docs"
    if not docs.is_dir():
        return None
    moved = final / part.relative_to(inputs.record.path) / "data_docs"
    runs = sorted((docs / "validations" / product.domain / product.name).glob("*/*/*.html"))
    suite_page = docs / "expectations" / product.domain / f"{product.name}.html"
    page = runs[-1] if runs else (suite_page if suite_page.is_file() else docs / "index.html")
    return _link(moved / page.relative_to(docs), from_dir)


def _owner(product: DataProduct) -> dict[str, Any]:
    o = product.owner
    return {"team": o.team, "name": o.name, "email": o.email}


def _exposure_owner(owner: Any) -> dict[str, Any]:
    return {"name": owner.name, "email": owner.email}


# --- one product ----------------------------------------------------------------------------------------------


@dataclass
class _Judged:
    product: DataProduct
    targets: Targets
    slis: dict[str, SliResult]
    run_status: Status
    row_count: int | None
    columns: dict[str, dict[str, str]] | None
    checks: list[Check]
    changes: list[dict[str, Any]]
    previous_invocation: str | None


_Previous = tuple[str, dict[str, dict[str, str | None]]]


def _completeness(
    product: DataProduct, targets: Targets, facts: evidence.WarehouseFacts, baseline: Sequence[int]
) -> SliResult:
    relation = product.relation
    if relation in facts.errors:
        return _unknown(
            "completeness", "ratio", {}, f"{relation}: cannot count rows ({facts.errors[relation]})"
        )
    row_count = facts.row_counts.get(relation)
    non_null = facts.non_null.get(relation, {})
    rows = row_count or 0
    required = {c: (rows - non_null[c] if c in non_null else None) for c in _required_columns(product)}
    return completeness_sli(row_count, baseline, targets.min_volume_ratio, targets.max_volume_ratio, required)


def _validity(
    product: DataProduct, targets: Targets, inputs: evidence.RunInputs
) -> tuple[SliResult, list[Check]]:
    """The GX suite's expectations and the product's own dbt data tests."""
    gx = evidence.gx_checks(inputs, product)
    checks = evidence.dbt_checks(inputs, product)
    if gx is None:
        reason = inputs.validation_note or f"no GX result for {product.id} in the validation summary"
        checks.append(Check("gx", "GX suite", None, "critical", "error", message=reason))
    else:
        checks = gx + checks
    return validity_sli(checks, targets.min_pass_rate), checks


def _schema_stability(
    product: DataProduct, facts: evidence.WarehouseFacts, previous: _Previous | None
) -> tuple[SliResult, dict[str, dict[str, str]], list[dict[str, Any]]]:
    """Every version's relation against its contract and the previous run's columns."""
    contract = {v.relation: {c.name: c.data_type for c in v.columns} for v in product.versions}
    actual = {rel: facts.columns[rel] for rel in contract if rel in facts.columns}
    sli, changes = schema_stability_sli(actual, contract, previous[1] if previous else None)
    if facts.constraints_note and sli.value is not None:
        details = {**sli.details, "constraints_enforced": False}
        sli = dataclasses.replace(sli, reason=f"{sli.reason}; {facts.constraints_note}", details=details)
    if previous:
        sli = dataclasses.replace(sli, details={**sli.details, "previous_invocation_id": previous[0]})
    return sli, actual, changes


def _judge(
    product: DataProduct,
    targets: Targets,
    inputs: evidence.RunInputs,
    facts: evidence.WarehouseFacts,
    baseline: Sequence[int],
    previous: _Previous | None,
    freshness_inputs: Sequence[Any] | None,
) -> _Judged:
    own = evidence.run_statuses(inputs, product.unique_ids)
    upstream = evidence.run_statuses(inputs, product.upstream_models)
    tests = evidence.run_statuses(inputs, product.tests)
    slis: dict[str, SliResult] = {}
    slis["freshness"] = freshness_sli(
        freshness_inputs,
        product.upstream_sources,
        inputs.as_of_time,
        targets.freshness_max_age_hours,
        missing_reason=inputs.sources_note or "no source freshness results",
    )
    slis["availability"] = availability_sli(own, upstream, tests)
    latest_status = own.get(product.unique_id)
    built = latest_status == "success"
    checks: list[Check] = []
    changes: list[dict[str, Any]] = []
    columns: dict[str, dict[str, str]] | None = None
    if built:
        slis["completeness"] = _completeness(product, targets, facts, baseline)
        slis["validity"], checks = _validity(product, targets, inputs)
        slis["schema_stability"], columns, changes = _schema_stability(product, facts, previous)
    else:
        not_built = f"not built in this run ({latest_status or 'not in run_results.json'})"
        slis["completeness"] = _unknown("completeness", "ratio", {}, not_built)
        slis["validity"] = _unknown("validity", "ratio", {"min": targets.min_pass_rate}, not_built)
        slis["schema_stability"] = _unknown("schema_stability", "count", {"max": 0}, not_built)
    return _Judged(
        product=product,
        targets=targets,
        slis=slis,
        run_status=run_status(s.status for s in slis.values()),
        row_count=facts.row_counts.get(product.relation) if built else None,
        columns=columns,
        checks=checks,
        changes=[{"product": product.id, **c} for c in changes],
        previous_invocation=previous[0] if previous else None,
    )


# --- the report -------------------------------------------------------------------------------------------------


class ReportOptions(TypedDict, total=False):
    """What ``dp report`` (and the nightly) may choose about a report; every key optional."""

    as_of: dt.date | None
    window_days: int | None
    select: Sequence[str] | None
    sources_note: str | None
    validation_note: str | None


@dataclass(frozen=True)
class _Scope:
    """The products a report judges, and whether (and to which selection) it is partial."""

    products: list[DataProduct]
    partial: bool
    selection: list[str] | None


def _scope(record: Record, inputs: evidence.RunInputs, select: Sequence[str] | None) -> _Scope:
    products = load_products(inputs.manifest)
    if not products:
        raise ArtifactError(f"{inputs.manifest_path}: {NO_PRODUCTS}")
    products = select_products(products, select)
    partial = record.partial or bool(select)
    if record.partial:
        # a partial build judges only the products it built (the others keep their own runs' rows)
        in_run = inputs.run_results.by_id()
        products = [p for p in products if p.unique_id in in_run]
        if not products:
            raise RunRecordError(
                f"run {record.run_id} is partial ({' '.join(record.meta.selection or [])}) and built none "
                "of the selected data products"
            )
    selection = (
        sorted({*(record.meta.selection or []), *(p.id for p in products if select)}) if partial else None
    )
    return _Scope(products, partial, selection)


def _read_facts(
    cfg: ProjectConfig, inputs: evidence.RunInputs, products: Sequence[DataProduct]
) -> evidence.WarehouseFacts:
    """Row counts, non-null counts and columns of every version's relation (one read-only query pass)."""
    relations = [(v.schema or "", v.alias or "") for p in products for v in p.versions]
    built = evidence.run_statuses(inputs, [p.unique_id for p in products])
    counts = {
        (p.latest.schema or "", p.latest.alias or ""): _required_columns(p)
        for p in products
        if built.get(p.unique_id) == "success"
    }
    return evidence.read_warehouse(cfg.db, relations, counts)


def _judge_all(
    history: HistoryReader,
    inputs: evidence.RunInputs,
    facts: evidence.WarehouseFacts,
    products: Sequence[DataProduct],
    window_days: int | None,
) -> list[_Judged]:
    freshness_inputs = evidence.source_freshness(inputs)
    run_id, as_of_time = inputs.run_id, inputs.as_of_time
    judged: list[_Judged] = []
    for product in products:
        targets = targets_for(product, window_days)
        baseline = history.volume_baseline(product.id, VOLUME_BASELINE_RUNS, run_id=run_id, as_of=as_of_time)
        previous = history.previous_columns(product.id, run_id=run_id, as_of=as_of_time)
        judged.append(_judge(product, targets, inputs, facts, baseline, previous, freshness_inputs))
    return judged


def _run_record(
    inputs: evidence.RunInputs, scope: _Scope, judged: Sequence[_Judged], now: dt.datetime
) -> RunRecord:
    return RunRecord(
        run_id=inputs.run_id,
        dbt_invocation_id=inputs.invocation_id,
        partial=scope.partial,
        selection=scope.selection,
        as_of=inputs.as_of_time,
        generated_at=now,
        project=inputs.manifest.metadata.project_name,
        overall_status=overall_status(j.run_status for j in judged).value,
        products=tuple(
            ProductRecord(
                product_id=j.product.id,
                status=j.run_status.value,
                row_count=j.row_count,
                columns=j.columns,
                slis={n: {k: v for k, v in s.to_dict().items() if k != "details"} for n, s in j.slis.items()},
            )
            for j in judged
        ),
    )


def _error_budget(history: HistoryReader, j: _Judged) -> tuple[Status, str, dict[str, Any]]:
    """The product's status, its reason and its error budget over the window (overall and per SLI)."""
    p, t = j.product, j.targets
    counts_by_sli = history.sli_counts(p.id, t.window_days)
    missed = len(history.missed_days(p.id, t.window_days))
    # a night without a run: bad for availability (and so for the product) unless the descriptor says
    # slo.availability.count_missed_runs: false
    missed_bad = missed if t.count_missed_runs else 0
    per_sli = {}
    for name in SLI_NAMES:
        c = counts_by_sli.get(name)
        extra = missed_bad if name == "availability" else 0
        per_sli[name] = _budget(
            t.objective(name), c.good if c else 0, (c.bad if c else 0) + extra, t.window_days
        ).to_dict(with_good=False)
    pc = history.product_counts(p.id, t.window_days)
    product_budget = _budget(t.product_objective, pc.good, pc.bad + missed_bad, t.window_days)
    status, reason = product_status(j.slis, product_budget)
    budget = {
        "window_days": t.window_days,
        **product_budget.to_dict(),
        "missed_runs": missed,
        "per_sli": per_sli,
    }
    return status, reason, budget


def _trend(history: HistoryReader, j: _Judged) -> list[dict[str, Any]]:
    return [
        {
            "date": point.date.isoformat(),
            "run_id": point.run_id,
            "invocation_id": point.dbt_invocation_id,
            "status": point.status,
            "slis": {n: point.slis[n] for n in SLI_NAMES if n in point.slis},
        }
        for point in history.trend(j.product.id, j.targets.window_days)
    ]


def _versions(p: DataProduct) -> list[dict[str, Any]]:
    return [
        {
            "version": v.version,
            "relation": v.relation,
            "is_latest": v.is_latest,
            "deprecation_date": v.deprecation_date.isoformat() if v.deprecation_date else None,
        }
        for v in p.versions
    ]


@dataclass(frozen=True)
class _Links:
    """Where the report's links start from and point to."""

    cfg: ProjectConfig
    inputs: evidence.RunInputs
    report_dir: Path
    final_record: Path

    def of(self, p: DataProduct) -> dict[str, Any]:
        docs = _link(self.cfg.target_dir / DOCS_SUBDIR / DOCS_PAGE, self.report_dir)
        return {
            "dbt_docs": docs + f"#!/model/{p.unique_id}",
            "data_docs": _data_docs_link(self.inputs, p, self.report_dir, self.final_record),
        }


def _entry(history: HistoryReader, j: _Judged, links: _Links) -> tuple[Status, dict[str, Any]]:
    """One product's section of the report, and its status."""
    p = j.product
    status, reason, budget = _error_budget(history, j)
    return status, {
        "id": p.id,
        "name": p.name,
        "domain": p.domain,
        "owner": _owner(p),
        "description": p.description,
        "relation": p.relation,
        "unique_id": p.unique_id,
        "versions": _versions(p),
        "status": status.value,
        "run_status": j.run_status.value,
        "status_reason": reason,
        "row_count": j.row_count,
        "slis": {n: j.slis[n].to_dict() for n in SLI_NAMES},
        "error_budget": budget,
        "trend": _trend(history, j),
        "failing_checks": _failing(j.checks),
        "links": links.of(p),
        "schema_changes": j.changes,
        "exposures": [
            {"name": e.name, "type": e.type, "owner": _exposure_owner(e.owner), "url": e.url}
            for e in p.exposures
        ],
    }


def _worst_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {s: s.rank for s in Status}
    return sorted(
        entries,
        key=lambda e: (-order[Status(e["status"])], -(e["error_budget"]["burn_rate"] or 0.0), e["id"]),
    )


def _inputs_section(
    cfg: ProjectConfig, inputs: evidence.RunInputs, final_record: Path, history_runs: int
) -> dict[str, Any]:
    """Which files the report was judged from (paths relative to the project)."""

    def rel(path: Path) -> str:
        return display_path(path, cfg.project_dir)

    return {
        "project_dir": str(cfg.project_dir),
        "run_record": rel(final_record),
        "as_of_origin": inputs.as_of_origin,
        "manifest": {
            "path": rel(inputs.manifest_path),
            "invocation_id": inputs.manifest.metadata.invocation_id,
        },
        "run_results": {
            "path": rel(inputs.run_results_path),
            "invocation_id": inputs.invocation_id,
            "generated_at": inputs.run_results.metadata.generated_at,
        },
        "sources": {
            "path": rel(inputs.sources_path),
            "invocation_id": inputs.sources.metadata.invocation_id if inputs.sources else None,
            "used": inputs.sources is not None,
            "note": inputs.sources_note,
        },
        "validation": {
            "path": rel(inputs.validation_path),
            "invocation_id": inputs.validation.invocation_id if inputs.validation else None,
            "used": inputs.validation is not None,
            "note": inputs.validation_note,
        },
        "warehouse": rel(cfg.warehouse) if cfg.on_duckdb else cfg.db.label,
        "history": {"path": rel(cfg.history), "runs_before": history_runs},
        "dbt_docs": rel(cfg.target_dir / DOCS_SUBDIR / DOCS_PAGE),
    }


def _check_history_day(cfg: ProjectConfig, history: HistoryReader, inputs: evidence.RunInputs) -> None:
    recorded = history.recorded_run(inputs.run_id)
    if recorded is not None and recorded[0] != inputs.as_of_date:
        raise RunRecordError(
            f"{cfg.history}: run {inputs.run_id} is recorded for as-of day {recorded[0]}, not "
            f"{inputs.as_of_date}; history is never rewritten under another day"
        )


def build_report(
    cfg: ProjectConfig,
    record: Record,
    *,
    now: dt.datetime | None = None,
    final_record: Path | None = None,
    **options: Unpack[ReportOptions],
) -> SloReport:
    """Compute the report of one run record; writes nothing. ``final_record``: where the record will be
    when it is still being built (the nightly job), for the report's links."""
    inputs = evidence.load_inputs(
        cfg,
        record,
        as_of=options.get("as_of"),
        sources_note=options.get("sources_note"),
        validation_note=options.get("validation_note"),
    )
    final_record = final_record or record.path
    scope = _scope(record, inputs, options.get("select"))
    now = now or dt.datetime.now(dt.UTC)
    links = _Links(cfg, inputs, cfg.reports_dir / "latest", final_record)
    formerly = {p.id: tuple(p.descriptor.model.formerly or ()) for p in scope.products}
    with read_history(cfg.history, formerly) as history:
        history_runs = history.runs_in_history()
        _check_history_day(cfg, history, inputs)
        facts = _read_facts(cfg, inputs, scope.products)
        judged = _judge_all(history, inputs, facts, scope.products, options.get("window_days"))
        run = _run_record(inputs, scope, judged, now)
        history.set_current(run)
        sections = [_entry(history, j, links) for j in judged]
    reported = [status for status, _ in sections]
    windows = sorted({j.targets.window_days for j in judged})
    document: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": _iso(now),
        "as_of": _iso(inputs.as_of_time),
        "as_of_date": inputs.as_of_date.isoformat(),
        "invocation_id": inputs.invocation_id,
        "run_id": inputs.run_id,
        "partial": scope.partial,
        "selection": scope.selection,
        "project": inputs.manifest.metadata.project_name,
        "window_days": windows[0] if len(windows) == 1 else max(windows),
        "overall_status": overall_status(reported).value,
        "summary": {s.value: sum(1 for r in reported if r is s) for s in Status},
        "products": _worst_first([entry for _, entry in sections]),
        "deprecations": _deprecations(scope.products, inputs.as_of_date),
        "schema_changes": [c for j in judged for c in j.changes],
        "inputs": _inputs_section(cfg, inputs, final_record, history_runs),
    }
    document = _jsonable(document)
    validate_document(document)
    return SloReport(document=document, run=run, statuses=tuple(reported))


def _deprecations(products: Sequence[DataProduct], as_of_date: dt.date) -> list[dict[str, Any]]:
    out = []
    for p in products:
        for v in p.versions:
            if v.deprecation_date is None:
                continue
            days_left = (v.deprecation_date - as_of_date).days
            if days_left > DEPRECATION_HORIZON_DAYS:
                continue
            out.append(
                {
                    "product": p.id,
                    "version": v.version,
                    "relation": v.relation,
                    "deprecation_date": v.deprecation_date.isoformat(),
                    "days_left": days_left,
                    "exposures": [
                        {"name": e.name, "owner": _exposure_owner(e.owner), "url": e.url}
                        for e in p.exposures
                        if v.unique_id in e.depends_on
                    ],
                }
            )
    return sorted(out, key=lambda d: (d["days_left"], d["product"]))


# --- schema -----------------------------------------------------------------------------------------------------


def report_schema() -> dict[str, Any]:
    """The report's published JSON Schema, generated from ``slo.document.SloReportDocument``."""
    return report_document.report_schema()


def validate_document(document: Mapping[str, Any]) -> report_document.SloReportDocument:
    """The document as its model; ``RuntimeError`` naming the first wrong key (a bug, not an input error)."""
    return report_document.validate_document(document)


# --- writing ----------------------------------------------------------------------------------------------------


def _render(document: dict[str, Any], out: Path) -> tuple[list[str], list[str]]:
    files = [f"{REPORT_STEM}.json"]
    notes: list[str] = []
    (out / files[0]).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    try:
        from dataproducts.render import render_html, render_markdown
    except ImportError as exc:
        notes.append(f"Markdown and HTML not written: renderers unavailable ({exc})")
        return files, notes
    (out / f"{REPORT_STEM}.md").write_text(render_markdown(document), encoding="utf-8")
    (out / f"{REPORT_STEM}.html").write_text(render_html(document), encoding="utf-8")
    return [*files, f"{REPORT_STEM}.md", f"{REPORT_STEM}.html"], notes


def _stage_publish(
    cfg: ProjectConfig, part: Path, files: Sequence[str], as_of_date: str
) -> list[tuple[Path, Path]]:
    """Copy a finished report into staging folders for ``reports/latest/`` and ``reports/<as-of day>/``:
    (staging, final) pairs that ``_swap_published`` renames into place. All the writing happens here, so a
    full or unwritable reports folder fails before anything else is changed."""
    staged: list[tuple[Path, Path]] = []
    final = cfg.reports_dir
    try:
        reports = ensure_dir(cfg.reports_dir)
        for final in (reports / "latest", reports / as_of_date):
            if final.exists() and not final.is_dir():
                raise OutputError(f"{final}: cannot write (it is a file, not a folder)")
            staging = make_staging_dir(reports, f".{final.name}-staging-")
            staged.append((staging, final))
            for name in files:
                shutil.copyfile(part / name, staging / name)
    except BaseException as exc:
        for staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise output_error(final, exc) from exc
        raise
    return staged


def _swap_published(staged: Sequence[tuple[Path, Path]]) -> tuple[Path, Path]:
    """Swap the staged copies in (renames only), each whole."""
    try:
        for staging, final in staged:
            swap_in_dir(staging, final)
    finally:
        for staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)  # gone once swapped in; else a leftover
    latest, dated = (final for _, final in staged)
    return latest, dated


def write_report(
    cfg: ProjectConfig, report: SloReport, record: Record, *, record_history: bool = True
) -> WrittenReport:
    """Render the report into a new part of the run record and into staging copies for ``reports/latest/``
    and the dated folder, then record the run in the history, move the part into place and swap the copies in
    (a partial run's report stays in its record: it never replaces the published report of a complete run).
    Every write that can fail for lack of space comes before the history records the run."""
    notes: list[str] = []
    checkpoint: str | None = None
    parent = ensure_dir(record.path / REPORTS)
    name = stamp()
    partial = bool(report.document.get("partial"))
    staged: list[tuple[Path, Path]] = []
    with staging_dir(parent, name) as staging:
        try:
            files, render_notes = _render(report.document, staging)
        except OSError as exc:
            raise output_error(parent / name, exc) from exc
        notes += render_notes
        if not partial:
            staged = _stage_publish(cfg, staging, files, report.document["as_of_date"])
        try:
            if record_history:
                try:
                    record_run(cfg.history, report.run)
                except CheckpointError as exc:
                    checkpoint = str(exc)  # committed: the run *is* recorded; say so, and still publish
            part = publish_dir(staging, parent / name)
        except BaseException:
            for folder, _ in staged:
                shutil.rmtree(folder, ignore_errors=True)
            raise
    if partial:
        latest, dated = part, part
        notes.append(f"partial run: report kept in its record ({part}), reports/latest left as it was")
    else:
        latest, dated = _swap_published(staged)
    return WrittenReport(report, latest, dated, tuple(files), tuple(notes), part, checkpoint)


def run_report(
    cfg: ProjectConfig, record: Record, *, record_history: bool = True, **options: Unpack[ReportOptions]
) -> WrittenReport:
    """Build and write the report of one run record (the library entry point of ``dp report``)."""
    with cfg.db.session():  # on Spark, one JVM for every read of the warehouse
        report = build_report(cfg, record, **options)
    return write_report(cfg, report, record, record_history=record_history)
