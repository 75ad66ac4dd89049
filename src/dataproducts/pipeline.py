"""The nightly job and its multi-day simulation.

``nightly``: ``dbt source freshness`` -> ``dbt build`` -> ``dp validate`` (library call) -> ``dp report``
(library call) -> ``dbt docs generate --static`` into ``<target>/docs`` (a separate target path, so the
report's manifest and run results are never clobbered). A failing freshness check or build does not stop
the job: the report is still written, with the failed products breached and the others judged as usual.
Only a dbt that could not run at all (exit 2) or an input error stops it (exit 2). The exit code is the
report's (``--fail-on``).

``simulate``: the landing area as of the first day (``dp generate --as-of D``), then for each later day
``dp generate --as-of D --append`` (the day's new rows, late arrivals and status changes, with a
deterministic incident schedule using the generator's faults), each followed by the nightly steps for that
day: the incremental products grow as in a real deployment, and every history row comes from a real run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dataproducts.config import ProjectConfig
from dataproducts.dbt import DbtInvocation, run_dbt
from dataproducts.declarations import SNAPSHOT_FILE, read_declarations, write_snapshot
from dataproducts.errors import (
    ConfigError,
    DataProductsError,
    DbtError,
    ExitCode,
    LockError,
    RunRecordError,
    SuiteError,
    UsageError,
    first_line,
)
from dataproducts.fileio import make_staging_dir
from dataproducts.runs import Record
from dataproducts.slo.report import DOCS_SUBDIR, WrittenReport, run_report

if TYPE_CHECKING:
    from dataproducts.files.publish import Published
    from dataproducts.validation.runner import ValidationRun

# --- progress -------------------------------------------------------------------------------------------------


class Progress:
    """Where the nightly job's steps are reported.

    On a terminal: one line per step on ``stderr`` (or on ``stream`` when that is a terminal), redrawn in
    place while the step runs (``[3/7] dbt build ... 12s``) and replaced by its outcome (``ok (8.4s): ...``),
    status coloured unless NO_COLOR (dataproducts.term). Otherwise (a pipe, a file, cron): timestamped plain
    lines on ``stream`` (default stdout), a ``started`` and an outcome line per step, the same every run so
    that logs can be parsed. ``line`` always writes to ``stream``."""

    def __init__(
        self, total: int, stream: TextIO | None = None, *, prefix: str = "", quiet: bool = False
    ) -> None:
        from dataproducts.term import StepLine, Style, can_redraw, is_terminal

        self.total = total
        self.stream = stream or sys.stdout
        live = self.stream if stream is not None else sys.stderr
        self.tty = is_terminal(live)
        self.prefix = prefix
        self.quiet = quiet
        self._step = 0
        self._label = ""
        self._style = Style.for_stream(live)
        self._live = StepLine(live, self._style, can_redraw(live)) if self.tty else None

    def _stamp(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def start(self, name: str) -> None:
        self._step += 1
        if self.quiet:
            return
        self._label = f"{self.prefix}[{self._step}/{self.total}] {name}"
        if self._live is not None:
            self._live.start(self._style.bold(self._label))
            return
        self.stream.write(f"{self._stamp()} {self._label}: started\n")
        self.stream.flush()

    def done(self, status: str, seconds: float, detail: str = "") -> None:
        if self.quiet:
            return
        if self._live is not None:
            text = f"{self._style.status(status)} ({seconds:.1f}s)" + (f": {detail}" if detail else "")
            self._live.done(text)
            return
        text = f"{status} ({seconds:.1f}s)" + (f": {detail}" if detail else "")
        self.stream.write(f"{self._stamp()} {self._label}: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        """Stop a step line left running (the step raised before reporting its outcome)."""
        if self._live is not None:
            self._live.finish_quietly()

    def line(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()


@dataclass(frozen=True)
class StepResult:
    name: str
    status: str  # ok | failed | skipped
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class NightlyResult:
    as_of: dt.date
    steps: tuple[StepResult, ...]
    report: WrittenReport
    exit_code: ExitCode

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)


def _read_json(path: Any) -> Mapping[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- guards -----------------------------------------------------------------------------------------------------


def warehouse_lock_holder(path: Path, *, write: bool = False) -> str | None:
    """DuckDB's one line when another program holds a lock on ``path`` that keeps us from reading it (or,
    with ``write``, from writing it)."""
    import duckdb

    if not path.is_file():
        return None
    try:
        duckdb.connect(str(path), read_only=not write).close()
    except duckdb.Error as exc:
        text = first_line(exc)
        if "lock" in text.lower():
            return text
    return None


def ensure_dbt_idle(cfg: ProjectConfig, wait: float | None, *, write: bool = False) -> None:
    """Never touch the warehouse while dbt writes it: wait (``--wait``) or refuse, naming the dbt process;
    refuse a warehouse another program holds locked; and, for a reader, refuse a warehouse that a killed
    dbt build left half rebuilt (a ``write``r is about to rebuild it anyway)."""
    from dataproducts.lock import dbt_writers, wait_for
    from dataproducts.runs import unfinished_build

    found: list[Any] = []

    def idle() -> bool:
        found[:] = dbt_writers(cfg.project_dir, cfg.warehouse, cfg.default_warehouse)
        return not found

    if cfg.on_duckdb:  # a PostgreSQL server serves readers and writers at once: no file lock to respect
        wait_for(
            idle,
            wait,
            lambda: (
                f"{cfg.warehouse}: being written by "
                + ", ".join(p.describe() for p in found)
                + "; retry when it has finished, or use --wait [SECONDS]"
            ),
        )
        holder = warehouse_lock_holder(cfg.warehouse, write=write)
        if holder is not None:
            raise LockError(f"{cfg.warehouse}: locked by another program ({holder})")
    if write:
        return
    broken = unfinished_build(cfg, None)
    if broken is not None:
        raise RunRecordError(
            f"{cfg.db.label}: dbt {broken.command} {broken.invocation_id} (started "
            f"{broken.started_at:%Y-%m-%d %H:%M:%S}Z) never finished, so the warehouse is partly rebuilt; "
            "run dbt build (or dp nightly) again"
        )


def _judged_record(cfg: ProjectConfig, run: str | None, as_of: dt.date | None) -> tuple[Record, str | None]:
    """The record to judge: ``--run``, else the newest dbt build (adopted now if it was run by hand); a
    partial newest build gives way to the latest complete record."""
    from dataproducts.runs import adopt_build, find_record, latest_record

    if run:
        return find_record(cfg.runs_dir, run), None
    newest = adopt_build(cfg, as_of=as_of)
    if newest.partial:
        complete = latest_record(cfg.runs_dir)
        if complete is not None:
            return complete, (
                f"the newest build {newest.run_id} is partial; judging the latest complete run "
                f"{complete.run_id} (use --run {newest.run_id} for the partial one)"
            )
    return newest, None


@contextlib.contextmanager
def _judging(
    cfg: ProjectConfig, command: str, run: str | None, wait: float | None, as_of: dt.date | None
) -> Iterator[tuple[Record, str | None]]:
    """What ``dp validate`` and ``dp report`` share: the project lock, leftovers removed, dbt idle, and the
    record to judge (with a note when it is not the newest build)."""
    from dataproducts.lock import acquire_lock
    from dataproducts.runs import remove_leftovers

    # on Spark, one session (JVM) for every read of the warehouse the command makes
    with acquire_lock(cfg.runs_dir, command, wait=wait), cfg.db.session():
        remove_leftovers(cfg)
        ensure_dbt_idle(cfg, wait)
        record, note = _judged_record(cfg, run, as_of)
        _check_adapter(cfg, record)
        yield record, note


def _check_adapter(cfg: ProjectConfig, record: Record) -> None:
    """Refuse to judge a run built on another kind of warehouse than the one ``--target`` reads (a DuckDB
    run against PostgreSQL's tables, or the reverse): its results and the data would not belong together."""
    import re

    try:
        with record.manifest_path.open("r", encoding="utf-8") as handle:
            head = handle.read(8192)  # dbt writes the metadata first
    except OSError:
        return  # the readers say what is wrong with the record
    found = re.search(r'"adapter_type":\s*"(\w+)"', head)
    if found and found.group(1) != cfg.db.dialect:
        raise RunRecordError(
            f"run {record.run_id} was built on {found.group(1)}, but target "
            f"{cfg.profile.target if cfg.profile else None!r} reads {cfg.db.dialect} ({cfg.db.label}): "
            "judge it with the target that built it (--target)"
        )


def validate(
    cfg: ProjectConfig, *, run: str | None = None, wait: float | None = None, **options: Any
) -> ValidationRun:
    """``dp validate``: under the project lock, once dbt is idle, on the run record of the newest build."""
    from dataproducts.validation.runner import run_validation

    with _judging(cfg, "dp validate", run, wait, options.get("as_of")) as (record, _note):
        return run_validation(cfg, record, **options)


def report(
    cfg: ProjectConfig, *, run: str | None = None, wait: float | None = None, **options: Any
) -> WrittenReport:
    """``dp report``: under the project lock, once dbt is idle, on the latest complete run record."""
    from dataproducts.runs import prune

    with _judging(cfg, "dp report", run, wait, options.get("as_of")) as (record, note):
        written = run_report(cfg, record, **options)
        prune(cfg)
    if note:
        written = dataclasses.replace(written, notes=(note, *written.notes))
    return written


def publish_record(cfg: ProjectConfig, record: Record) -> Published:
    """The files port for one run record: the product versions its build made, each role's tree from the
    access matrix (dataproducts.files.publish)."""
    from dataproducts.artifacts import load_manifest, load_run_results
    from dataproducts.files.publish import PORT, publish_run
    from dataproducts.governance.access import build_matrix, load_roles
    from dataproducts.products import load_products

    products = load_products(load_manifest(record.manifest_path))
    built = {r.unique_id for r in load_run_results(record.run_results_path).results if r.status == "success"}
    rows = build_matrix(products, load_roles(cfg.project_dir), (PORT,))
    return publish_run(cfg, record, products, rows, built=built)


def publish(cfg: ProjectConfig, *, wait: float | None = None) -> Published:
    """``dp publish``: under the project lock, once dbt is idle, the files port for the newest build (a
    build run by hand is adopted as a record first)."""
    from dataproducts.lock import acquire_lock
    from dataproducts.runs import adopt_build, remove_leftovers

    if not cfg.on_duckdb:
        raise UsageError(f"dp publish: the files port is published from a DuckDB target, not {cfg.db.label}")
    with acquire_lock(cfg.runs_dir, "dp publish", wait=wait):
        remove_leftovers(cfg)
        ensure_dbt_idle(cfg, wait)
        return publish_record(cfg, adopt_build(cfg))


def generate_landing(cfg: ProjectConfig, *, wait: float | None = None, **options: Any) -> Any:
    """``dp generate`` under the project lock, never while dbt writes the warehouse. For a postgres target
    (the profile's, or ``--target``), generated into ``landing_<target>.duckdb`` next to the warehouse and
    loaded into the server (``postgres.generate_and_load``)."""
    from dataproducts.generate import generate
    from dataproducts.lock import acquire_lock

    if cfg.profile is not None and cfg.profile.adapter == "postgres":
        from dataproducts.postgres import generate_and_load, landing_file

        target = cfg.profile.postgres_target()
        with acquire_lock(cfg.runs_dir, "dp generate", wait=wait):
            return generate_and_load(target, landing_file(cfg.warehouse, target.target), **options)
    if cfg.profile is not None and cfg.profile.adapter == "spark":
        from dataproducts.postgres import landing_file
        from dataproducts.spark import generate_and_load as spark_generate_and_load
        from dataproducts.spark import spark_target

        spark = spark_target(cfg.profile)
        with acquire_lock(cfg.runs_dir, "dp generate", wait=wait):
            landing = landing_file(cfg.warehouse, spark.target)
            return spark_generate_and_load(spark, landing, cfg.project_dir, **options)
    with acquire_lock(cfg.runs_dir, "dp generate", wait=wait):
        ensure_dbt_idle(cfg, wait, write=True)
        return generate(cfg.warehouse, **options)


# --- nightly --------------------------------------------------------------------------------------------------

# files of a dbt target directory that a run record keeps (the rest is dbt's cache and compiled SQL)
_RECORD_ARTIFACTS = ("manifest.json", "run_results.json", "sources.json", SNAPSHOT_FILE)


def _dbt_log(cfg: ProjectConfig) -> Path:
    return Path(os.environ.get("DBT_LOG_PATH") or cfg.project_dir / "logs") / "dbt.log"


def _dbt_detail(cfg: ProjectConfig, path: Path, invocation: DbtInvocation) -> str:
    """Counts by status from the artifact dbt just wrote (``pass 71, error 2``), or where the log is."""
    data = _read_json(path)
    log = _dbt_log(cfg)
    lock = invocation.lock_conflict()
    if lock:
        return f"warehouse locked by another program: {lock}"
    if not data or not isinstance(data.get("results"), list):
        return f"no {path.name}; see {log}"
    counts: dict[str, int] = {}
    for result in data["results"]:
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    text = ", ".join(f"{status} {n}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    text = text or f"no results in {path.name}"  # e.g. freshness on a warehouse without the landing schemas
    return text + ("" if invocation.success else f"; details in {log}")


def _preflight(
    cfg: ProjectConfig, staging: Path, select: Sequence[str] | None, dbt_vars: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """Everything the nightly job can check before it runs dbt's build: all problems at once, and the
    ``+<model>`` build selectors."""
    from dataproducts.artifacts import load_manifest
    from dataproducts.lock import dbt_writers
    from dataproducts.products import NO_PRODUCTS, load_products, select_products
    from dataproducts.slo.history import read_history
    from dataproducts.validation.runner import load_product_suites

    problems: list[str] = []
    for label, path in (("reports", cfg.reports_dir), ("history", cfg.history.parent)):
        blocker = next((p for p in (path, *path.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            problems.append(f"{path}: cannot write the {label} ({blocker} is a file, not a folder)")
        elif blocker is not None and not os.access(blocker, os.W_OK):
            problems.append(f"{path}: cannot write the {label} ({blocker} is not writable)")
    problems.extend(_announce_problems(cfg))
    if cfg.history.exists() and cfg.history.is_dir():
        problems.append(f"{cfg.history}: the SLO history is a folder, not a file")
    else:
        try:
            with read_history(cfg.history):
                pass
        except DataProductsError as exc:
            problems.append(str(exc))
    if not cfg.on_duckdb:
        try:
            cfg.db.connect().close()  # the server is up and lets us in, or dbt would fail less clearly
        except DataProductsError as exc:
            problems.append(str(exc))
    elif cfg.warehouse.is_file():  # absent: the build makes it (a project whose sources are files)
        writers = dbt_writers(cfg.project_dir, cfg.warehouse, cfg.default_warehouse)
        if writers:
            problems.append(f"{cfg.warehouse}: being written by " + ", ".join(w.describe() for w in writers))
        else:
            holder = warehouse_lock_holder(cfg.warehouse, write=True)
            if holder is not None:
                problems.append(f"{cfg.warehouse}: locked by another program ({holder})")
    parse = run_dbt(cfg, ["parse", "--quiet"], dbt_vars=dbt_vars, quiet=True, target_dir=staging)
    selectors: list[str] = []
    if not parse.success:
        problems.append(f"dbt parse failed (exit {parse.returncode}); see {_dbt_log(cfg)}")
        return problems, selectors
    try:
        # the declarations go with the run: the build's manifest lands beside them, the record keeps them
        write_snapshot(staging, read_declarations(cfg.project_dir))
        manifest = load_manifest(staging / "manifest.json")
        products = load_products(manifest)
        if not products:
            problems.append(f"{cfg.project_dir}: {NO_PRODUCTS}")
        load_product_suites(cfg, products)
    except DataProductsError as exc:
        problems.append(str(exc))
        return problems, selectors
    try:
        chosen = select_products(products, select)
        if select:
            selectors = ["--select", " ".join(f"+{p.name}" for p in chosen)]
    except DataProductsError as exc:
        problems.append(str(exc))
    return problems, selectors


@dataclass(frozen=True)
class NightlyOptions:
    """What one nightly run does (the options of ``dp nightly``)."""

    as_of: dt.date | None = None  # default: today (UTC)
    select: Sequence[str] | None = None
    window_days: int | None = None
    fail_on: str = "breached"
    docs: bool = True
    data_docs: bool = True
    full_refresh: bool = False  # dbt build --full-refresh (also chosen by itself: see incremental.py)
    notify: bool = True  # post alerts when dataproducts.yml configures them (dataproducts.alerts)

    @property
    def steps(self) -> int:
        """How many steps the job reports (its progress's N)."""
        return 7 if self.docs else 6


def nightly(
    cfg: ProjectConfig,
    options: NightlyOptions | None = None,
    *,
    progress: Progress | None = None,
    wait: float | None = None,
) -> NightlyResult:
    """Run the nightly job for one as-of day (default today UTC) under the project lock."""
    from dataproducts.lock import acquire_lock

    with acquire_lock(cfg.runs_dir, "dp nightly", wait=wait):
        return run_nightly(cfg, options, progress=progress)


def run_nightly(
    cfg: ProjectConfig, options: NightlyOptions | None = None, *, progress: Progress | None = None
) -> NightlyResult:
    """The nightly job itself; the caller holds the project lock. See the module docstring."""
    job = _Nightly(cfg, options or NightlyOptions(), progress)
    try:
        return job.run()
    finally:
        job.progress.close()  # a step that raised leaves no progress line running


class _Nightly:
    """One nightly run, step by step; each step records its outcome as a ``StepResult``."""

    def __init__(self, cfg: ProjectConfig, options: NightlyOptions, progress: Progress | None) -> None:
        self.cfg = cfg
        self.options = options
        self.as_of = options.as_of or dt.datetime.now(dt.UTC).date()
        self.progress = progress or Progress(options.steps)
        self.dbt_vars = {"as_of": self.as_of.isoformat()}
        self.steps: list[StepResult] = []
        self.sources_note: str | None = None
        self.validation_note: str | None = None
        self.started_at = dt.datetime.now(dt.UTC)

    def record(self, name: str, status: str, seconds: float, detail: str = "") -> None:
        self.steps.append(StepResult(name, status, seconds, detail))
        self.progress.done(status, seconds, detail)

    def run(self) -> NightlyResult:
        from dataproducts.runs import prune, remove_leftovers

        remove_leftovers(self.cfg)
        work = make_staging_dir(self.cfg.runs_dir, ".staging-nightly-")
        try:
            selectors = self.checks(work)
            self.freshness(work)
            self.build(work, selectors)
            run_record = self.keep(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self.cfg.db.session():  # one Spark JVM for what reads the warehouse after the build
            self.validate(run_record)
            written = self.report(run_record)
            self.announce(run_record, written)
            publish_error = self.publish(run_record)
        if self.options.docs:
            self.docs()
        prune(self.cfg)
        if publish_error is not None:
            raise publish_error  # the report is written; the files port is not: exit 2
        return NightlyResult(
            self.as_of, tuple(self.steps), written, _exit_code(written, self.options.fail_on)
        )

    def checks(self, work: Path) -> list[str]:
        """Check before acting: options, descriptors, suites, history, locks, outputs; all at once."""
        self.progress.start("checks")
        started = time.perf_counter()
        problems, selectors = _preflight(self.cfg, work, self.options.select, self.dbt_vars)
        if problems:
            self.record("checks", "failed", time.perf_counter() - started, f"{len(problems)} problem(s)")
            listed = (
                problems[0]
                if len(problems) == 1
                else " | ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))
            )
            raise ConfigError(f"dp nightly ran nothing: {listed}")
        self.record("checks", "ok", time.perf_counter() - started)
        return selectors

    def freshness(self, work: Path) -> None:
        """dbt source freshness: a stale source is a finding, not a reason to stop."""
        self.progress.start("dbt source freshness")
        fresh = run_dbt(
            self.cfg, ["source", "freshness", "--quiet"], dbt_vars=self.dbt_vars, quiet=True, target_dir=work
        )
        if fresh.crashed:
            self.sources_note = (
                f"dbt source freshness could not run (exit {fresh.returncode}); freshness not checked"
            )
            self.record("dbt source freshness", "failed", fresh.seconds, self.sources_note)
            (work / "sources.json").unlink(missing_ok=True)
            return
        detail = _dbt_detail(self.cfg, work / "sources.json", fresh)
        self.record("dbt source freshness", "ok" if fresh.success else "failed", fresh.seconds, detail)

    def build(self, work: Path, selectors: Sequence[str]) -> None:
        """dbt build: failures are judged by the report; a dbt that could not run stops the job. A full
        refresh when asked, or when the landing area does not continue the one the last build used."""
        from dataproducts.incremental import full_refresh_reason, read_landing_state, remember_build

        self.progress.start("dbt build")
        with self.cfg.db.session():  # on Spark, one JVM for both reads, stopped before dbt runs
            landing = read_landing_state(self.cfg.db)
            reason = "--full-refresh" if self.options.full_refresh else full_refresh_reason(self.cfg, landing)
        refresh = ["--full-refresh"] if reason else []
        build = run_dbt(
            self.cfg,
            ["build", "--quiet", *refresh, *selectors],
            dbt_vars=self.dbt_vars,
            quiet=True,
            target_dir=work,
        )
        detail = _dbt_detail(self.cfg, work / "run_results.json", build)
        if reason:
            detail = f"full refresh ({reason}); {detail}" if detail else f"full refresh ({reason})"
        if not build.crashed and not self.options.select and _models_built(work / "run_results.json"):
            remember_build(self.cfg, landing)
        self.record("dbt build", "ok" if build.success else "failed", build.seconds, detail)
        lock = build.lock_conflict()
        if lock:
            raise LockError(
                f"{self.cfg.warehouse}: dbt build could not write it, locked by another program ({lock})"
            )
        if build.crashed:
            raise DbtError(f"dbt build could not run (exit {build.returncode}); see {_dbt_log(self.cfg)}")

    def keep(self, work: Path) -> Record:
        """The run record: the build's artifacts, written once."""
        from dataproducts.artifacts import load_run_results
        from dataproducts.runs import RECORD_FILE, RunMeta, create_record, new_run_id

        results = load_run_results(work / "run_results.json")
        invocation = results.metadata.invocation_id or ""
        built_at = _parse_ts(results.metadata.generated_at) or dt.datetime.now(dt.UTC)
        sources_note = self.sources_note
        meta = RunMeta(
            run_id=new_run_id(built_at, invocation),
            origin="nightly",
            dbt_invocation_id=invocation,
            dbt_command="build",
            as_of=self.as_of,
            as_of_origin="dp nightly --as-of" if self.options.as_of else "dp nightly (today)",
            built_at=_iso(built_at),
            recorded_at=_iso(dt.datetime.now(dt.UTC)),
            selection=_selected_ids(work, self.options.select),
            manifest_invocation_id=invocation,
            sources_invocation_id=None if sources_note else _invocation(work / "sources.json"),
        )

        def fill(staging: Path) -> None:
            (staging / "dbt").mkdir()
            for name in _RECORD_ARTIFACTS:
                if (work / name).is_file() and not (name == "sources.json" and sources_note):
                    shutil.copyfile(work / name, staging / "dbt" / name)
            (staging / RECORD_FILE).write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")

        return create_record(self.cfg.runs_dir, meta.run_id, fill)

    def validate(self, run_record: Record) -> None:
        """dp validate (library call) on the products that were built; an input or warehouse error leaves
        validity unknown, never met."""
        from dataproducts.validation.runner import run_validation

        self.progress.start("dp validate")
        started = time.perf_counter()
        select = self.options.select
        try:
            built = _built_products(run_record, select)
            if not built:
                raise DbtError("no data product was built")
            run = run_validation(
                self.cfg, run_record, select=select, only=built, data_docs=self.options.data_docs
            )
        except (ConfigError, SuiteError):
            raise  # the project's own configuration is wrong: exit 2, never a quiet `unknown`
        except DataProductsError as exc:
            self.validation_note = f"dp validate could not run: {exc}"
            self.record("dp validate", "failed", time.perf_counter() - started, str(exc))
            return
        failed = sum(1 for p in run.products if p.status != "passed")
        passed = f"{len(run.products) - failed} of {len(run.products)} products passed"
        if run.unsuited:
            from dataproducts.validation.runner import unsuited_note

            passed += f"; {unsuited_note(run.unsuited)}"
        self.record("dp validate", "ok" if not failed else "failed", time.perf_counter() - started, passed)

    def report(self, run_record: Record) -> WrittenReport:
        self.progress.start("dp report")
        started = time.perf_counter()
        written = run_report(
            self.cfg,
            run_record,
            window_days=self.options.window_days,
            select=self.options.select,
            sources_note=self.sources_note,
            validation_note=self.validation_note,
        )
        doc = written.report.document
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in doc["summary"].items() if n)
        self.record(
            "dp report",
            "ok",
            time.perf_counter() - started,
            f"{doc['overall_status']} ({counts}) -> {written.latest_dir}",
        )
        return written

    def announce(self, run_record: Record, written: WrittenReport) -> None:
        """OpenLineage events and alerts, when configured: each problem is one warning line on stderr, never
        a failed nightly (dataproducts.lineage, dataproducts.alerts)."""
        from dataproducts.alerts import load_alerts, notify
        from dataproducts.lineage import emit_nightly

        doc = written.report.document
        statuses = {p["id"]: p["status"] for p in doc["products"]}
        lines: list[str] = []
        try:
            emitted = emit_nightly(
                self.cfg,
                run_record,
                started_at=self.started_at,
                statuses=statuses,
                select=self.options.select,
            )
            if emitted is not None:
                self.progress.line(emitted.line())
                lines += emitted.problems
        except Exception as exc:  # the report is written: lineage never fails the night
            lines.append(f"openlineage: no events sent: {first_line(exc)}")
        try:
            settings = load_alerts(self.cfg) if self.options.notify else None
            if settings is not None:
                result = notify(settings, written)
                for line in result.posted:
                    self.progress.line(line)
                lines += result.failures
        except Exception as exc:  # nor do alerts
            lines.append(f"alerts: none posted: {first_line(exc)}")
        for line in lines:
            print(f"dp: warning: {line}", file=sys.stderr)

    def publish(self, run_record: Record) -> DataProductsError | None:
        """The files port: the versions this run built, as Parquet under <files>/runs/<run id>/ (the error,
        if any, is raised once the remaining steps have run)."""
        self.progress.start("dp publish")
        started = time.perf_counter()
        if not self.cfg.on_duckdb:
            self.record("dp publish", "skipped", 0.0, "the files port is published from a DuckDB target")
            return None
        try:
            published = publish_record(self.cfg, run_record)
        except DataProductsError as exc:
            self.record("dp publish", "failed", time.perf_counter() - started, str(exc))
            return exc
        self.record("dp publish", "ok", time.perf_counter() - started, published.summary())
        return None

    def docs(self) -> None:
        """The dbt docs site the report links to, in its own target path."""
        self.progress.start("dbt docs generate")
        docs_cfg = dataclasses.replace(self.cfg, target_dir=self.cfg.target_dir / DOCS_SUBDIR)
        gen = run_dbt(
            docs_cfg, ["docs", "generate", "--static", "--quiet"], dbt_vars=self.dbt_vars, quiet=True
        )
        detail = (
            str(docs_cfg.target_dir / "static_index.html") if gen.success else f"see {_dbt_log(self.cfg)}"
        )
        self.record("dbt docs generate", "ok" if gen.success else "failed", gen.seconds, detail)


def _announce_problems(cfg: ProjectConfig) -> list[str]:
    """Wrong ``openlineage:`` or ``alerts:`` settings, found before the nightly runs anything."""
    from dataproducts.alerts import load_alerts
    from dataproducts.lineage import load_lineage

    problems = []
    for load in (load_lineage, load_alerts):
        try:
            load(cfg)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def _exit_code(written: WrittenReport, fail_on: str) -> ExitCode:
    """The report's exit code; a history checkpoint that failed after the commit is an error (2)."""
    if written.checkpoint_error:
        return ExitCode.ERROR
    return written.report.exit_code(fail_on)


def _parse_ts(value: str | None) -> dt.datetime | None:
    from dataproducts.runs import parse_ts

    return parse_ts(value)


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _invocation(path: Path) -> str | None:
    data = _read_json(path)
    meta = data.get("metadata") if data else None
    return str(meta.get("invocation_id")) if isinstance(meta, dict) and meta.get("invocation_id") else None


def _selected_ids(work: Path, select: Sequence[str] | None) -> list[str] | None:
    if not select:
        return None
    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products, select_products

    return sorted(p.id for p in select_products(load_products(load_manifest(work / "manifest.json")), select))


def _models_built(run_results: Path) -> bool:
    """Whether every model of the build succeeded (tests may have failed): the products now reflect the
    landing area, so the next build can be incremental."""
    from dataproducts.artifacts import load_run_results

    try:
        results = load_run_results(run_results).results
    except DataProductsError:
        return False
    models = [r for r in results if r.unique_id.startswith("model.")]
    return bool(models) and all(r.status == "success" for r in models)


def _built_products(run_record: Record, select: Sequence[str] | None) -> list[str]:
    """Ids of the (selected) products whose latest version the build just built: only those have a
    fresh table to validate (a product that failed is judged unknown/breached by the report anyway)."""
    from dataproducts.artifacts import load_manifest, load_run_results
    from dataproducts.products import load_products, select_products

    products = select_products(load_products(load_manifest(run_record.manifest_path)), select)
    results = load_run_results(run_record.run_results_path).by_id()
    return [p.id for p in products if p.unique_id in results and results[p.unique_id].status == "success"]


# --- simulate ----------------------------------------------------------------------------------------------------


def default_schedule(days: int) -> dict[int, tuple[str, ...]]:
    """Deterministic incidents by day number (1 = the first simulated day, always clean as a baseline):
    the feed goes ``late`` mid-way; with five days or more, ``nulls,duplicates`` earlier and a
    ``volume_drop`` later."""
    schedule: dict[int, tuple[str, ...]] = {}
    if days >= 2:
        schedule[max(2, (days + 1) // 2)] = ("late",)
    if days >= 5:
        schedule.setdefault(max(2, days * 3 // 10), ("nulls", "duplicates"))
        schedule.setdefault(days * 4 // 5, ("volume_drop",))
    return dict(sorted(schedule.items()))


def parse_incidents(values: Sequence[str], days: int, start: dt.date) -> dict[int, tuple[str, ...]]:
    """``3=late`` or ``2026-11-12=nulls,duplicates`` -> {day number: faults}."""
    from dataproducts.generate import parse_faults

    schedule: dict[int, tuple[str, ...]] = {}
    for value in values:
        when, sep, faults = value.partition("=")
        if not sep:
            raise UsageError(f"--incident {value!r}: expected DAY=FAULT[,FAULT] (DAY: 1..{days} or a date)")
        try:
            day = int(when) if when.isdigit() else (dt.date.fromisoformat(when) - start).days + 1
        except ValueError:
            raise UsageError(f"--incident {value!r}: {when!r} is neither a day number nor a date") from None
        if not 1 <= day <= days:
            raise UsageError(f"--incident {value!r}: day {day} is outside the simulated 1..{days}")
        schedule[day] = parse_faults(faults)
    return dict(sorted(schedule.items()))


@dataclass(frozen=True)
class SimulatedDay:
    number: int
    as_of: dt.date
    faults: tuple[str, ...]
    seconds: float
    overall_status: str
    breaches: tuple[str, ...]  # "product: sli, sli"


@dataclass(frozen=True)
class SimulateResult:
    days: tuple[SimulatedDay, ...]
    schedule: Mapping[int, tuple[str, ...]]
    last: NightlyResult | None
    seconds: float


def simulate(
    cfg: ProjectConfig,
    *,
    days: int,
    end: dt.date | None = None,
    start: dt.date | None = None,
    scale: float = 0.05,
    seed: int = 42,
    schedule: Mapping[int, tuple[str, ...]] | None = None,
    window_days: int | None = None,
    docs: bool = True,
    reset_history: bool = False,
    stream: TextIO | None = None,
    verbose: bool = False,
    on_day: Callable[[SimulatedDay], None] | None = None,
    wait: float | None = None,
) -> SimulateResult:
    """Run the real pipeline for ``days`` consecutive as-of days; see the module docstring."""
    if days < 1:
        raise UsageError("--days must be at least 1")
    if start is not None and end is not None:
        raise UsageError("give --start or --end, not both")
    if start is None:
        end = end or dt.datetime.now(dt.UTC).date()
        start = end - dt.timedelta(days=days - 1)
    schedule = dict(schedule) if schedule is not None else default_schedule(days)
    out = Progress(1, stream)
    out.line(
        f"simulating {days} days {start} .. {start + dt.timedelta(days=days - 1)} at scale {scale:g} "
        f"(seed {seed}) into {cfg.warehouse}"
    )
    out.line(
        "incidents: "
        + (
            "; ".join(
                f"day {n} ({start + dt.timedelta(days=n - 1)}): {','.join(f)}" for n, f in schedule.items()
            )
            or "none"
        )
    )
    from dataproducts.lock import acquire_lock

    with acquire_lock(cfg.runs_dir, "dp simulate", wait=wait):
        ensure_dbt_idle(cfg, wait, write=True)
        return _simulate(
            cfg,
            out,
            days,
            start,
            scale,
            seed,
            schedule,
            window_days,
            docs,
            reset_history,
            stream,
            verbose,
            on_day,
        )


def _simulate(
    cfg: ProjectConfig,
    out: Progress,
    days: int,
    start: dt.date,
    scale: float,
    seed: int,
    schedule: Mapping[int, tuple[str, ...]],
    window_days: int | None,
    docs: bool,
    reset_history: bool,
    stream: TextIO | None,
    verbose: bool,
    on_day: Callable[[SimulatedDay], None] | None,
) -> SimulateResult:
    from dataproducts.generate import generate

    if reset_history and cfg.history.exists():
        cfg.history.unlink()
        out.line(f"history reset: {cfg.history}")
    began = time.perf_counter()
    results: list[SimulatedDay] = []
    last: NightlyResult | None = None
    for number in range(1, days + 1):
        day = start + dt.timedelta(days=number - 1)
        faults = tuple(schedule.get(number, ()))
        is_last = number == days
        started = time.perf_counter()
        if number == 1:  # the landing area starts here; each later day arrives as a real one would
            generate(cfg.warehouse, scale=scale, seed=seed, as_of=day, faults=faults)
        else:
            generate(cfg.warehouse, as_of=day, faults=faults, append=True)
        steps = 7 if docs and is_last else 6
        progress = Progress(steps, stream, prefix=f"  day {number}/{days} ", quiet=not verbose)
        options = NightlyOptions(
            as_of=day,
            window_days=window_days,
            fail_on="never",
            docs=docs and is_last,
            data_docs=is_last,
            notify=False,  # a simulated day posts no alerts
        )
        last = run_nightly(cfg, options, progress=progress)
        doc = last.report.report.document
        breaches = tuple(
            f"{p['id']}: " + ", ".join(n for n, s in p["slis"].items() if s["status"] == "breached")
            for p in doc["products"]
            if p["run_status"] == "breached"
        )
        result = SimulatedDay(
            number, day, faults, time.perf_counter() - started, doc["overall_status"], breaches
        )
        results.append(result)
        out.line(
            f"day {number}/{days} {day} [{','.join(faults) or 'clean'}] {result.seconds:.1f}s: "
            f"{result.overall_status}" + (f" - breached {'; '.join(breaches)}" if breaches else "")
        )
        if on_day is not None:
            on_day(result)
    total = time.perf_counter() - began
    out.line(f"simulated {days} days in {total:.1f}s ({total / days:.1f}s per day)")
    if last is not None:
        out.line(last.report.summary())
    return SimulateResult(tuple(results), schedule, last, total)
