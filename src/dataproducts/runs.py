"""Run records: what a run was judged on, in a folder of its own, written once (docs/runs.md).

A *run* is one ``dbt build`` of the project: the nightly job's own, or one run by hand and adopted by the
next ``dp validate`` / ``dp report``. Its record is ``<runs>/<run id>/``::

    run.json                       who, when, which dbt invocation, as-of day, selection (partial or not)
    dbt/manifest.json              the artifacts it was judged on
    dbt/run_results.json
    dbt/sources.json               source freshness, when it was checked for this build
    dbt/dp_products.json           the product declarations (products/*.yml) it was judged with
    validations/<stamp>/           one folder per ``dp validate`` (summary.json, GX results, Data Docs)
    sources/<stamp>.json           source freshness checked after the record was made
    reports/<stamp>/               one folder per ``dp report`` (slo_report.json, .md, .html)

Every part is written into a staging folder (``.staging-*``) and renamed into place: a reader sees it
whole or not at all, and nothing in a record is ever changed afterwards. Only retention (``prune``)
removes records. Staging leftovers of killed commands are removed by the next writer, which holds the
project lock (``lock.py``), so no live writer's staging folder can be mistaken for a leftover.

Adoption of a build run by hand: the newest ``build``/``run`` invocation in ``target/run_results.json``
or, when a later ``dbt docs generate`` / ``dbt compile`` has replaced that file, in the warehouse's
invocation ledger (``dp_meta.dbt_invocations``, written by the project's on-run-end hook). Its manifest is
``target/manifest.json`` when that is the build's own, or a later parse of the same nodes (``dbt parse``,
``dbt source freshness`` and ``dbt docs generate`` write one), noted in ``run.json``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from dataproducts.artifacts import RunResults, load_manifest, load_run_results, load_sources
from dataproducts.config import ProjectConfig
from dataproducts.declarations import read_declarations, write_snapshot
from dataproducts.errors import ArtifactError, OutputError, RunRecordError, WarehouseError, first_line
from dataproducts.fileio import display_path, make_staging_dir, write_atomic
from dataproducts.warehouse import Warehouse, connected

RECORD_SCHEMA_VERSION = 1
RECORD_FILE = "run.json"
DBT_DIR = "dbt"
VALIDATIONS = "validations"
REPORTS = "reports"
SOURCES = "sources"
STAGING = ".staging-"
TRASH = ".trash-"
BUILD_COMMANDS = ("build", "run")
# sources.json checked more than this before the build is an earlier night's: not this run's
SOURCES_MAX_LAG = dt.timedelta(hours=12)
LEDGER = "dp_meta.dbt_invocations"
RUN_RESULTS_SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"


class RunMeta(BaseModel):
    """``run.json``: the record's identity, written once with it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    run_id: str
    origin: Literal["nightly", "dbt"]
    dbt_invocation_id: str
    dbt_command: str
    as_of: dt.date
    as_of_origin: str
    built_at: str
    recorded_at: str
    selection: list[str] | None = None
    manifest_invocation_id: str | None = None
    sources_invocation_id: str | None = None
    notes: list[str] = []

    @property
    def partial(self) -> bool:
        return self.selection is not None


@dataclass(frozen=True)
class Record:
    path: Path
    meta: RunMeta

    @property
    def run_id(self) -> str:
        return self.meta.run_id

    @property
    def partial(self) -> bool:
        return self.meta.partial

    @property
    def manifest_path(self) -> Path:
        return self.path / DBT_DIR / "manifest.json"

    @property
    def run_results_path(self) -> Path:
        return self.path / DBT_DIR / "run_results.json"

    def sources_paths(self) -> list[Path]:
        """Source freshness results of this run, oldest first (the newest is the one judged)."""
        own = self.path / DBT_DIR / "sources.json"
        later = sorted((self.path / SOURCES).glob("*.json")) if (self.path / SOURCES).is_dir() else []
        return ([own] if own.is_file() else []) + later

    def parts(self, kind: str) -> list[Path]:
        folder = self.path / kind
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def stamp(now: dt.datetime | None = None) -> str:
    """A sortable, unique-enough part name: ``20261120T061502.123456Z``."""
    return (now or _now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def parse_ts(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def new_run_id(built_at: dt.datetime, invocation_id: str) -> str:
    return f"{built_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{invocation_id[:8]}"


# --- reading ------------------------------------------------------------------------------------------------


def read_record(path: Path) -> Record:
    meta_path = path / RECORD_FILE
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunRecordError(f"{meta_path}: not a run record (no {RECORD_FILE})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunRecordError(f"{meta_path}: cannot read the run record ({first_line(exc)})") from exc
    except json.JSONDecodeError as exc:
        raise RunRecordError(f"{meta_path}: not valid JSON (line {exc.lineno}); damaged run record") from exc
    try:
        meta = RunMeta.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(root)"
        raise RunRecordError(f"{meta_path}: {where}: {first.get('msg')}") from exc
    if meta.run_id != path.name:
        raise RunRecordError(f"{meta_path}: run_id {meta.run_id!r} does not match its folder {path.name!r}")
    return Record(path, meta)


def list_records(runs_dir: Path) -> list[Record]:
    """Every record, oldest build first."""
    if not runs_dir.is_dir():
        return []
    records = [
        read_record(p)
        for p in runs_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / RECORD_FILE).exists()
    ]
    return sorted(records, key=lambda r: (r.meta.built_at, r.meta.recorded_at, r.run_id))


def find_record(runs_dir: Path, ref: str) -> Record:
    """A record by run id, dbt invocation id, or a unique prefix of either."""
    records = list_records(runs_dir)
    exact = [r for r in records if ref in (r.run_id, r.meta.dbt_invocation_id)]
    if exact:
        return exact[-1]
    matches = [r for r in records if r.run_id.startswith(ref) or r.meta.dbt_invocation_id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise RunRecordError(
            f"--run {ref}: ambiguous, matches {', '.join(r.run_id for r in matches[:5])} (give more of it)"
        )
    raise RunRecordError(f"--run {ref}: no such run record in {runs_dir} (see `ls {runs_dir}`)")


def latest_record(runs_dir: Path, *, complete: bool = True) -> Record | None:
    records = [r for r in list_records(runs_dir) if not (complete and r.partial)]
    return records[-1] if records else None


# --- writing ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def staging_dir(parent: Path, name: str) -> Iterator[Path]:
    """A staging folder in ``parent``, removed on any failure; the caller renames it into place."""
    staging = make_staging_dir(parent, f"{STAGING}{name}-")
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_dir(staging: Path, final: Path) -> Path:
    """Rename a finished staging folder into place (``final`` must not exist: records are written once)."""
    try:
        if final.exists():
            raise RunRecordError(f"{final}: already exists (run records are written once)")
        staging.rename(final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{final}: cannot write ({exc.strerror or first_line(exc)})") from exc
    return final


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


def add_part(record: Record, kind: str, fill: Any, *, name: str | None = None) -> Path:
    """Write one part (``validations``, ``reports``): ``fill(staging_dir)`` then rename into place."""
    parent = record.path / kind
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{parent}: cannot create ({exc.strerror})") from exc
    part = name or stamp()
    with staging_dir(parent, part) as staging:
        fill(staging)
        return publish_dir(staging, parent / part)


# --- leftovers and retention ----------------------------------------------------------------------------------


def remove_leftovers(cfg: ProjectConfig) -> list[Path]:
    """Staging folders and temporary files of killed commands. Only call while holding the project lock."""
    removed: list[Path] = []
    candidates: list[Path] = []
    if cfg.runs_dir.is_dir():
        candidates += [p for p in cfg.runs_dir.iterdir() if p.name.startswith((STAGING, TRASH))]
        for record in cfg.runs_dir.iterdir():
            if record.is_dir() and not record.name.startswith("."):
                for kind in (VALIDATIONS, REPORTS, SOURCES, DBT_DIR):
                    folder = record / kind
                    if folder.is_dir():
                        candidates += [p for p in folder.iterdir() if p.name.startswith(".")]
                candidates += [
                    p for p in record.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")
                ]
    for folder, prefixes in (
        (cfg.reports_dir, (".slo-report-", ".latest-old-", STAGING)),
        (cfg.target_dir, (".validation-",)),
        (cfg.reports_dir / "catalog", (STAGING,)),
        (cfg.reports_dir / "contracts", (STAGING,)),
    ):
        if folder.is_dir():
            candidates += [
                p
                for p in folder.iterdir()
                if p.name.startswith(prefixes) or _old_swap(p) or _publish_staging(p)
            ]
    for path in candidates:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            continue  # not ours to remove, or already gone
    return removed


def _publish_staging(path: Path) -> bool:
    """``.latest-staging-<pid>-<hex>``, ``.<as-of day>-staging-...``: a report copy being published."""
    return path.name.startswith(".") and "-staging-" in path.name


def _old_swap(path: Path) -> bool:
    """``.latest-old-<pid>``-style folders left by an interrupted directory swap."""
    return path.name.startswith(".") and "-old-" in path.name


def prune(cfg: ProjectConfig, now: dt.datetime | None = None) -> list[str]:
    """Remove records built more than ``retention_days`` ago; the newest complete record always stays."""
    now = now or _now()
    records = list_records(cfg.runs_dir)
    keep = latest_record(cfg.runs_dir)
    cutoff = now - dt.timedelta(days=cfg.retention_days)
    pruned = []
    for record in records:
        built = parse_ts(record.meta.built_at)
        if keep is not None and record.run_id == keep.run_id:
            continue
        if built is None or built >= cutoff:
            continue
        trash = cfg.runs_dir / f"{TRASH}{record.run_id}"
        try:
            record.path.rename(trash)  # gone at once for readers; removed below (or by the next writer)
        except OSError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
        pruned.append(record.run_id)
    return pruned


# --- adopting a dbt build run by hand -------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    invocation_id: str
    command: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    payload: dict[str, Any] | None


def read_ledger(warehouse: Warehouse) -> list[LedgerRow]:
    """The warehouse's invocation ledger, oldest first ([] when there is none yet)."""
    if not warehouse.exists():
        return []
    with connected(warehouse) as con:
        try:
            if not con.relation_exists("dp_meta", "dbt_invocations"):
                return []
            rows = con.rows(
                "select invocation_id, command, started_at, finished_at, payload "
                f"from {LEDGER} order by started_at"
            )
        except WarehouseError as exc:
            why = str(exc).removeprefix(f"{warehouse.label}: ")
            raise WarehouseError(f"{warehouse.label}: cannot read {LEDGER} ({why})") from exc
    out = []
    for inv, command, started, finished, payload in rows:
        try:
            data = json.loads(payload) if payload else None
        except json.JSONDecodeError:
            data = None
        out.append(
            LedgerRow(
                str(inv),
                str(command),
                started.replace(tzinfo=dt.UTC),
                finished.replace(tzinfo=dt.UTC) if finished else None,
                data if isinstance(data, dict) else None,
            )
        )
    return out


def _ledger_run_results(row: LedgerRow) -> dict[str, Any]:
    """run_results.json (v6) of a build, from its ledger row."""
    payload = row.payload or {}
    finished = row.finished_at or row.started_at
    return {
        "metadata": {
            "dbt_schema_version": RUN_RESULTS_SCHEMA,
            "dbt_version": payload.get("dbt_version"),
            "generated_at": _iso(finished),
            "invocation_id": row.invocation_id,
            "dp_source": f"{LEDGER} (the warehouse's invocation ledger)",
        },
        "results": [
            {
                "unique_id": r.get("unique_id"),
                "status": r.get("status"),
                "message": r.get("message"),
                "failures": r.get("failures"),
                "execution_time": r.get("execution_time") or 0.0,
                "adapter_response": {},
                "timing": [],
                "thread_id": "",
            }
            for r in payload.get("results") or []
            if isinstance(r, dict)
        ],
        "elapsed_time": (finished - row.started_at).total_seconds(),
        "args": dict(payload.get("args") or {"which": row.command}),
    }


@dataclass(frozen=True)
class BuildCandidate:
    invocation_id: str
    command: str
    built_at: dt.datetime
    run_results: dict[str, Any]
    origin: str  # where its results were found


def _target_build(cfg: ProjectConfig) -> BuildCandidate | None:
    path = cfg.target_dir / "run_results.json"
    if not path.is_file():
        return None
    results = load_run_results(path)
    which = str(results.args.get("which") or "")
    built = parse_ts(results.metadata.generated_at)
    if which not in BUILD_COMMANDS or not results.metadata.invocation_id or built is None:
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return BuildCandidate(results.metadata.invocation_id, which, built, data, _display(path, cfg))


def _display(path: Path, cfg: ProjectConfig) -> str:
    return display_path(path, cfg.project_dir)


def unfinished_build(cfg: ProjectConfig, after: dt.datetime | None) -> LedgerRow | None:
    """A ledger row of a build that started (after ``after``) and never finished: dbt was killed or is
    still running."""
    rows = [r for r in read_ledger(cfg.db) if r.command in BUILD_COMMANDS]
    if not rows:
        return None
    last = rows[-1]
    if last.finished_at is None and (after is None or last.started_at > after - dt.timedelta(seconds=1)):
        return last
    return None


def newest_build(cfg: ProjectConfig) -> BuildCandidate | None:
    """The newest finished dbt build of the warehouse, from target/ or the ledger."""
    candidates = [c for c in [_target_build(cfg)] if c is not None]
    for row in read_ledger(cfg.db):
        if row.command in BUILD_COMMANDS and row.finished_at is not None and row.payload:
            candidates.append(
                BuildCandidate(
                    row.invocation_id, row.command, row.finished_at, _ledger_run_results(row), LEDGER
                )
            )
    if not candidates:
        return None
    # the same invocation in both: target/ holds dbt's own file, prefer it
    candidates.sort(key=lambda c: (c.built_at, c.origin != LEDGER))
    newest = candidates[-1]
    same = [c for c in candidates if c.invocation_id == newest.invocation_id and c.origin != LEDGER]
    return same[-1] if same else newest


def _vars_as_of(args: dict[str, Any]) -> dt.date | None:
    import yaml

    raw = args.get("vars")
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


def _manifest_for(cfg: ProjectConfig, build: BuildCandidate) -> tuple[Path, str | None, list[str]]:
    """The manifest to judge ``build`` with, its invocation id, and notes."""
    path = cfg.target_dir / "manifest.json"
    label = _display(path, cfg)
    if not path.is_file():
        raise ArtifactError(f"{label}: manifest not found (run dbt build or dp nightly)")
    manifest = load_manifest(path)
    inv = manifest.metadata.invocation_id
    if inv == build.invocation_id:
        return path, inv, []
    generated = parse_ts(manifest.metadata.generated_at)
    ids = {r.get("unique_id") for r in build.run_results.get("results", [])}
    raw = json.loads(path.read_text(encoding="utf-8"))
    known = {uid for value in raw.values() if isinstance(value, dict) for uid in value}
    missing = sorted(str(i) for i in ids if i and i not in known)
    if generated is None or generated < build.built_at - dt.timedelta(minutes=30) or missing:
        why = f"{len(missing)} of its nodes are not in it" if missing else "it is older than the build"
        raise ArtifactError(
            f"{label}: from dbt invocation {inv}, not from the build {build.invocation_id}, and {why} "
            "(the project changed since the build: run dbt build again)"
        )
    return path, inv, [f"manifest from a later dbt parse of the same project ({inv}), not the build's own"]


def _sources_for(cfg: ProjectConfig, built_at: dt.datetime, since: dt.datetime | None) -> Path | None:
    """``target/sources.json`` when it was checked for this build (not an earlier night's) and is newer
    than ``since``."""
    path = cfg.target_dir / "sources.json"
    if not path.is_file():
        return None
    sources = load_sources(path)
    checked = parse_ts(sources.metadata.generated_at)
    if checked is None or built_at - checked > SOURCES_MAX_LAG:
        return None
    if since is not None and checked <= since:
        return None
    return path


def adopt_build(cfg: ProjectConfig, *, as_of: dt.date | None = None) -> Record:
    """The record of the newest dbt build of the warehouse, made now if that build has none yet.

    Call while holding the project lock. ``as_of``: the as-of day the caller was asked for; a record made
    now takes it when the build did not set ``--vars '{as_of: ...}'``.
    """
    build = newest_build(cfg)
    if build is None:
        raise ArtifactError(
            f"{_display(cfg.target_dir / 'run_results.json', cfg)}: no dbt build found "
            "(run dbt build, or dp nightly)"
        )
    for record in reversed(list_records(cfg.runs_dir)):
        if record.meta.dbt_invocation_id == build.invocation_id:
            _add_later_sources(cfg, record)
            return read_record(record.path)
    manifest_path, manifest_inv, notes = _manifest_for(cfg, build)
    run_results = RunResults.model_validate(build.run_results)
    vars_as_of = _vars_as_of(run_results.args)
    if vars_as_of is not None:
        record_as_of, origin = vars_as_of, "dbt vars of the build"
    elif as_of is not None:
        record_as_of, origin = as_of, "--as-of (the build set no as_of var)"
    else:
        record_as_of, origin = build.built_at.date(), "the build's day (the build set no as_of var)"
    if build.origin == LEDGER:
        notes.append(f"run results from {LEDGER}: target/run_results.json was replaced after the build")
    sources_path = _sources_for(cfg, build.built_at, None)
    sources_inv = load_sources(sources_path).metadata.invocation_id if sources_path else None
    now = _now()
    meta = RunMeta(
        run_id=new_run_id(build.built_at, build.invocation_id),
        origin="dbt",
        dbt_invocation_id=build.invocation_id,
        dbt_command=build.command,
        as_of=record_as_of,
        as_of_origin=origin,
        built_at=_iso(build.built_at),
        recorded_at=_iso(now),
        selection=_selection(run_results.args),
        manifest_invocation_id=manifest_inv,
        sources_invocation_id=sources_inv,
        notes=notes,
    )

    declarations = read_declarations(cfg.project_dir)  # the record keeps the declarations it is judged on

    def fill(staging: Path) -> None:
        (staging / DBT_DIR).mkdir()
        shutil.copyfile(manifest_path, staging / DBT_DIR / "manifest.json")
        write_json(staging / DBT_DIR / "run_results.json", build.run_results)
        if sources_path is not None:
            shutil.copyfile(sources_path, staging / DBT_DIR / "sources.json")
        write_snapshot(staging / DBT_DIR, declarations)
        write_json(staging / RECORD_FILE, meta.model_dump(mode="json"))

    return create_record(cfg.runs_dir, meta.run_id, fill)


def _selection(args: dict[str, Any]) -> list[str] | None:
    """A hand-run build with ``--select``/``--exclude`` built part of the project: a partial run."""
    select = [str(s) for s in args.get("select") or []]
    exclude = [str(s) for s in args.get("exclude") or []]
    if not select and not exclude and not args.get("selector"):
        return None
    return [*select, *(f"--exclude {e}" for e in exclude)] or [f"--selector {args.get('selector')}"]


def create_record(runs_dir: Path, run_id: str, fill: Any) -> Record:
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{runs_dir}: cannot create the run records folder ({exc.strerror})") from exc
    if runs_dir.exists() and not runs_dir.is_dir():
        raise OutputError(f"{runs_dir}: not a folder")
    with staging_dir(runs_dir, run_id) as staging:
        fill(staging)
        final = publish_dir(staging, runs_dir / run_id)
    return read_record(final)


def _add_later_sources(cfg: ProjectConfig, record: Record) -> None:
    """``dbt source freshness`` run after the record was made, for the same build: a new part."""
    built = parse_ts(record.meta.built_at)
    if built is None:
        return
    previous = record.sources_paths()
    since = parse_ts(load_sources(previous[-1]).metadata.generated_at) if previous else None
    path = _sources_for(cfg, built, since)
    if path is None:
        return
    parent = record.path / SOURCES
    try:
        parent.mkdir(exist_ok=True)
        tmp = parent / f".{stamp()}.json.tmp"
        shutil.copyfile(path, tmp)
        tmp.replace(parent / f"{stamp()}.json")
    except OSError as exc:
        raise OutputError(f"{parent}: cannot write ({exc.strerror})") from exc


def describe(records: Sequence[Record]) -> str:
    return ", ".join(r.run_id for r in records)
