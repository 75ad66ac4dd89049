"""The ``--format json`` documents of the commands (docs/cli-json.md describes each shape).

Every document is one JSON object on stdout and nothing else is printed there (progress and advice go to
stderr). Every object has ``status`` (``ok``, ``failed`` or ``error``) and ``exit_code`` (the process's exit
code: 0, 1 or 2), followed by what the command reports. Paths are strings as the command wrote them. The
functions take the finished results of the library calls and compute nothing of their own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dataproducts.errors import ExitCode

if TYPE_CHECKING:
    from dataproducts.files.publish import Published
    from dataproducts.files.verify import Verification
    from dataproducts.generate import GenerateResult
    from dataproducts.governance.odcs import ExportResult
    from dataproducts.init import InitPlan
    from dataproducts.pipeline import NightlyResult, SimulateResult
    from dataproducts.slo.report import WrittenReport
    from dataproducts.validation.runner import ValidationRun

STATUS_BY_EXIT = {ExitCode.OK: "ok", ExitCode.FAILED: "failed", ExitCode.ERROR: "error"}


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, default=str)


def envelope(exit_code: int, **fields: Any) -> dict[str, Any]:
    """``{"status": ..., "exit_code": ..., **fields}``."""
    code = ExitCode(exit_code)
    return {"status": STATUS_BY_EXIT[code], "exit_code": int(code), **fields}


def generate_doc(result: Any) -> dict[str, Any]:
    """``dp generate``: a ``GenerateResult``, or a PostgreSQL target's (``generated`` plus ``loaded``)."""
    generated: GenerateResult = getattr(result, "generated", result)
    loaded = getattr(result, "loaded", None)
    return envelope(
        ExitCode.OK,
        warehouse=str(generated.warehouse),
        as_of=generated.as_of.isoformat(),
        origin=generated.origin.isoformat() if generated.origin else None,
        scale=generated.scale,
        seed=generated.seed,
        faults=list(generated.faults),
        appended=generated.appended,
        previous_as_of=generated.previous_as_of.isoformat() if generated.previous_as_of else None,
        row_counts=dict(generated.row_counts),
        row_changes=dict(generated.row_changes) if generated.appended else None,
        seconds=round(generated.seconds, 3),
        loaded=(
            {"target": loaded.target.describe(), "tables": dict(loaded.tables)}
            if loaded is not None
            else None
        ),
    )


def validate_doc(run: ValidationRun) -> dict[str, Any]:
    """``dp validate``: the summary.json it wrote (docs/validation.md) under ``summary``, and where the
    results went."""
    from dataproducts.validation.runner import SUMMARY_FILE

    try:
        summary = json.loads((run.output_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not written (a library caller's run): what it would have held
        summary = run.summary()
    return envelope(
        run.exit_code,
        results_dir=str(run.output_dir),
        data_docs=str(run.data_docs_index) if run.data_docs_index else None,
        unsuited=list(run.unsuited),
        summary=summary,
    )


def report_fields(written: WrittenReport, fail_on: str) -> dict[str, Any]:
    doc = written.report.document
    return {
        "fail_on": fail_on,
        "overall_status": doc["overall_status"],
        "files": [str(written.latest_dir / f) for f in written.files],
        "notes": list(written.notes),
        "checkpoint_error": written.checkpoint_error,
        "report": doc,
    }


def report_doc(written: WrittenReport, fail_on: str) -> dict[str, Any]:
    """``dp report``: the SLO report document (slo_report.json) under ``report``, its verdict on top."""
    code = ExitCode.ERROR if written.checkpoint_error else written.report.exit_code(fail_on)
    return envelope(code, **report_fields(written, fail_on))


def _steps(steps: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"name": s.name, "status": s.status, "seconds": round(s.seconds, 3), "detail": s.detail}
        for s in steps
    ]


def nightly_doc(result: NightlyResult, fail_on: str) -> dict[str, Any]:
    """``dp nightly``: each step's outcome, and the report as ``dp report`` gives it."""
    return envelope(
        result.exit_code,
        as_of=result.as_of.isoformat(),
        seconds=round(result.seconds, 3),
        steps=_steps(result.steps),
        **report_fields(result.report, fail_on),
    )


def simulate_doc(result: SimulateResult, fail_on: str) -> dict[str, Any]:
    """``dp simulate``: one entry per simulated day, and the last day's report."""
    code = ExitCode.OK if result.last is None else result.last.report.report.exit_code(fail_on)
    return envelope(
        code,
        seconds=round(result.seconds, 3),
        schedule={str(n): list(f) for n, f in result.schedule.items()},
        days=[
            {
                "day": d.number,
                "as_of": d.as_of.isoformat(),
                "faults": list(d.faults),
                "seconds": round(d.seconds, 3),
                "overall_status": d.overall_status,
                "breaches": list(d.breaches),
            }
            for d in result.days
        ],
        last=None if result.last is None else nightly_doc(result.last, fail_on),
    )


def publish_doc(published: Published) -> dict[str, Any]:
    """``dp publish``: what one publish wrote."""
    fields = dataclasses.asdict(published)
    fields["path"] = str(published.path)
    fields["skipped"] = list(published.skipped)
    fields["seconds"] = round(published.seconds, 3)
    return envelope(ExitCode.OK, **fields)


def verify_doc(result: Verification) -> dict[str, Any]:
    """``dp verify``: the run checked, and one entry per problem (none when verified)."""
    manifest = result.manifest
    return envelope(
        result.exit_code,
        verified=not result.problems,
        folder=str(result.folder),
        run_id=manifest.run_id,
        as_of=str(manifest.as_of),
        files=len(manifest.files),
        problems=list(result.problems),
    )


def catalog_doc(paths: Sequence[Path]) -> dict[str, Any]:
    """``dp catalog``: the files written."""
    return envelope(ExitCode.OK, files=[str(p) for p in paths])


def export_doc(standard: str, result: ExportResult) -> dict[str, Any]:
    """``dp export``: one contract file per product."""
    return envelope(
        ExitCode.OK,
        standard=standard,
        contracts=[
            {"product": product, "path": str(path)}
            for product, path in zip(result.products, result.paths, strict=True)
        ],
    )


def init_doc(plan: InitPlan) -> dict[str, Any]:
    """``dp init``: the proposed products and the files written (or, with --dry-run, to be written)."""
    return envelope(
        ExitCode.OK,
        dry_run=plan.dry_run,
        why=plan.why,
        proposals=[
            {
                "product": p.product_id,
                "model": p.model,
                "file": p.file,
                "owner": p.owner,
                "personal_data": list(p.personal_data),
                "expectations": p.expectations,
                "sources": dict(p.sources),
            }
            for p in plan.proposals
        ],
        files=[{"path": f.path, "action": f.action, "detail": f.detail} for f in plan.files],
        notes=list(plan.notes),
    )
