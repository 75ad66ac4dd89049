"""The nightly job and its multi-day simulation.

``nightly``: ``dbt source freshness`` -> ``dbt build`` -> ``dp validate`` (library call) -> ``dp report``
(library call) -> ``dbt docs generate --static`` into ``<target>/docs`` (a separate target path, so the
report's manifest and run results are never clobbered). A failing freshness check or build does not stop
the job: the report is still written, with the failed products breached and the others judged as usual.
Only a dbt that could not run at all (exit 2) or an input error stops it (exit 2). The exit code is the
report's (``--fail-on``).

``simulate``: for each of N days, ``dp generate --as-of D`` (with a deterministic incident schedule using
the generator's faults) and then the nightly steps for that day, so every history row comes from a real run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dataproducts.config import ProjectConfig
from dataproducts.dbt import DbtInvocation, run_dbt
from dataproducts.errors import DataProductsError, DbtError, ExitCode, UsageError
from dataproducts.slo.report import DOCS_SUBDIR, WrittenReport, run_report

# --- progress -------------------------------------------------------------------------------------------------


class Progress:
    """``[2/5] dbt build ... ok (8.4s)`` on a terminal; timestamped plain lines otherwise."""

    def __init__(
        self, total: int, stream: TextIO | None = None, *, prefix: str = "", quiet: bool = False
    ) -> None:
        self.total = total
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.prefix = prefix
        self.quiet = quiet
        self._step = 0

    def _stamp(self) -> str:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def start(self, name: str) -> None:
        self._step += 1
        if self.quiet:
            return
        label = f"{self.prefix}[{self._step}/{self.total}] {name}"
        if self.tty:
            self.stream.write(f"{label} ... ")
        else:
            self.stream.write(f"{self._stamp()} {label}: started\n")
        self.stream.flush()
        self._label = label

    def done(self, status: str, seconds: float, detail: str = "") -> None:
        if self.quiet:
            return
        text = f"{status} ({seconds:.1f}s)" + (f": {detail}" if detail else "")
        if self.tty:
            self.stream.write(text + "\n")
        else:
            self.stream.write(f"{self._stamp()} {self._label}: {text}\n")
        self.stream.flush()

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


# --- nightly --------------------------------------------------------------------------------------------------


def _read_json(path: Any) -> Mapping[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _dbt_log(cfg: ProjectConfig) -> Path:
    return Path(os.environ.get("DBT_LOG_PATH") or cfg.project_dir / "logs") / "dbt.log"


def _dbt_detail(cfg: ProjectConfig, file: str, invocation: DbtInvocation) -> str:
    """Counts by status from the artifact dbt just wrote (``pass 71, error 2``), or where the log is."""
    data = _read_json(cfg.target_dir / file)
    log = _dbt_log(cfg)
    if not data or not isinstance(data.get("results"), list):
        return f"no {file}; see {log}"
    counts: dict[str, int] = {}
    for result in data["results"]:
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
    text = ", ".join(f"{status} {n}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return text + ("" if invocation.success else f"; details in {log}")


def _dbt_selectors(cfg: ProjectConfig, select: Sequence[str] | None) -> list[str]:
    """``+<model>`` for every selected product (from the manifest the freshness step just wrote)."""
    if not select:
        return []
    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products, select_products

    products = select_products(load_products(load_manifest(cfg.manifest_path)), select)
    return ["--select", " ".join(f"+{p.name}" for p in products)]


def _built_products(cfg: ProjectConfig, select: Sequence[str] | None) -> list[str]:
    """Ids of the (selected) products whose latest version the build just built: only those have a
    fresh table to validate (a product that failed is judged unknown/breached by the report anyway)."""
    from dataproducts.artifacts import load_manifest, load_run_results
    from dataproducts.products import load_products, select_products

    products = select_products(load_products(load_manifest(cfg.manifest_path)), select)
    results = load_run_results(cfg.target_dir / "run_results.json").by_id()
    return [p.id for p in products if p.unique_id in results and results[p.unique_id].status == "success"]


def nightly(
    cfg: ProjectConfig,
    *,
    as_of: dt.date | None = None,
    select: Sequence[str] | None = None,
    window_days: int | None = None,
    fail_on: str = "breached",
    docs: bool = True,
    data_docs: bool = True,
    progress: Progress | None = None,
) -> NightlyResult:
    """Run the nightly job for one as-of day (default today UTC); see the module docstring."""
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    progress = progress or Progress(5 if docs else 4)
    dbt_vars = {"as_of": as_of.isoformat()}
    steps: list[StepResult] = []

    def record(name: str, status: str, seconds: float, detail: str = "") -> None:
        steps.append(StepResult(name, status, seconds, detail))
        progress.done(status, seconds, detail)

    # 1. source freshness: a stale source is a finding, not a reason to stop
    progress.start("dbt source freshness")
    fresh = run_dbt(cfg, ["source", "freshness", "--quiet"], dbt_vars=dbt_vars, quiet=True)
    sources_note = None
    if fresh.crashed:
        sources_note = f"dbt source freshness could not run (exit {fresh.returncode}); freshness not checked"
        record("dbt source freshness", "failed", fresh.seconds, sources_note)
    else:
        status = "ok" if fresh.success else "failed"
        record("dbt source freshness", status, fresh.seconds, _dbt_detail(cfg, "sources.json", fresh))

    # 2. build: failures are judged by the report; a dbt that could not run stops the job
    progress.start("dbt build")
    build = run_dbt(cfg, ["build", "--quiet", *_dbt_selectors(cfg, select)], dbt_vars=dbt_vars, quiet=True)
    record(
        "dbt build",
        "ok" if build.success else "failed",
        build.seconds,
        _dbt_detail(cfg, "run_results.json", build),
    )
    if build.crashed:
        raise DbtError(f"dbt build could not run (exit {build.returncode}); see {_dbt_log(cfg)}")

    # 3. validate (library call) the products that were built; an input or warehouse error leaves
    # validity unknown, never met
    progress.start("dp validate")
    started = time.perf_counter()
    validation_note = None
    try:
        from dataproducts.validation.runner import run_validation

        built = _built_products(cfg, select)
        if not built:
            raise DbtError("no data product was built")
        run = run_validation(cfg, select=built, as_of=as_of, data_docs=data_docs)
        failed = sum(1 for p in run.products if p.status != "passed")
        record(
            "dp validate",
            "ok" if not failed else "failed",
            time.perf_counter() - started,
            f"{len(run.products) - failed} of {len(run.products)} products passed",
        )
    except DataProductsError as exc:
        validation_note = f"dp validate could not run: {exc}"
        record("dp validate", "failed", time.perf_counter() - started, str(exc))

    # 4. report
    progress.start("dp report")
    started = time.perf_counter()
    written = run_report(
        cfg,
        as_of=as_of,
        window_days=window_days,
        select=select,
        sources_note=sources_note,
        validation_note=validation_note,
    )
    doc = written.report.document
    record(
        "dp report",
        "ok",
        time.perf_counter() - started,
        f"{doc['overall_status']} ("
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in doc["summary"].items() if n)
        + f") -> {written.latest_dir}",
    )

    # 5. the dbt docs site the report links to, in its own target path
    if docs:
        progress.start("dbt docs generate")
        docs_cfg = dataclasses.replace(cfg, target_dir=cfg.target_dir / DOCS_SUBDIR)
        gen = run_dbt(docs_cfg, ["docs", "generate", "--static", "--quiet"], dbt_vars=dbt_vars, quiet=True)
        detail = str(docs_cfg.target_dir / "static_index.html") if gen.success else f"see {_dbt_log(cfg)}"
        record("dbt docs generate", "ok" if gen.success else "failed", gen.seconds, detail)

    return NightlyResult(as_of, tuple(steps), written, written.report.exit_code(fail_on))


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
    extra: Mapping[str, Any] = field(default_factory=dict)


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
) -> SimulateResult:
    """Run the real pipeline for ``days`` consecutive as-of days; see the module docstring."""
    from dataproducts.generate import generate

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
        generate(cfg.warehouse, scale=scale, seed=seed, as_of=day, faults=faults)
        steps = 5 if docs and is_last else 4
        progress = Progress(steps, stream, prefix=f"  day {number}/{days} ", quiet=not verbose)
        last = nightly(
            cfg,
            as_of=day,
            window_days=window_days,
            fail_on="never",
            docs=docs and is_last,
            data_docs=is_last,
            progress=progress,
        )
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
