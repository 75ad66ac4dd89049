"""Real processes, no mocks: what issue 10 promises when commands meet each other or get killed.

These tests start the real ``dp`` command line and a real ``dbt build`` as separate processes, in process
groups of their own, and prove three things on a tiny generated warehouse (``--scale 0.02``):

1. Two ``dp nightly`` at once: 10 of 10 times one runs and the other exits 2 naming the holder (pid,
   command, start time); with ``--wait`` the second waits for the first and then runs.
2. ``dp validate`` started at random moments of a ``dbt build`` typed by hand: it waits (``--wait``) or
   refuses (exit 2 naming the dbt process), and the build always succeeds (exit 0). Also when validate
   starts just *before* dbt (its check saw no dbt; dbt's first connection then meets validate's
   read-only one): the profile's connect retries let dbt wait for it.
3. SIGKILL of the whole process group at 10 random moments of ``dp nightly`` (10 consecutive as-of days):
   after each kill the SLO history is readable with no half-recorded run and ``reports/latest`` is absent
   or a complete valid report; the next complete ``dp nightly`` exits 0 or 1, leaves no leftovers, and its
   report's trend shows each killed day as ``missed`` unless that day's run was recorded.

They take minutes, so ``make test`` skips them (marker ``processes``); ``make test-processes`` runs them.
Every trial prints what happened (who won, when the kill landed, what was left) for a failing run's log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, SMALL_SCALE
from dataproducts.generate import generate
from dataproducts.slo.document import validate_document

pytestmark = pytest.mark.processes

DBT = str(Path(sys.executable).parent / "dbt")
DAY0 = dt.date(2026, 11, 1)
SEED = 7
HOLDER = re.compile(r"locked by pid (\d+) \(dp nightly, started (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)")
DBT_WRITER = re.compile(r"being written by dbt build \(pid (\d+), started \S+\)")


def _now() -> float:
    return time.monotonic()


@dataclass
class Proc:
    """A process started in a session (process group) of its own, output in files."""

    name: str
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    started: float = field(default_factory=_now)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stdout(self) -> str:
        return self.out.read_text(errors="replace") if self.out.exists() else ""

    def stderr(self) -> str:
        return self.err.read_text(errors="replace") if self.err.exists() else ""

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"{self.name} (pid {self.pid}) still running after {timeout:.0f}s; killed.\n"
                f"stdout: {self.stdout()[-2000:]}\nstderr: {self.stderr()[-2000:]}"
            ) from None

    def kill(self) -> None:
        """SIGKILL the whole process group (dp and the dbt it runs), as an OOM killer or a cancel would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait()


@dataclass
class Project:
    """One temporary configuration of the repository's dbt project: every generated file under ``tmp``."""

    tmp: Path
    procs: list[Proc] = field(default_factory=list)
    _count: int = 0

    @property
    def warehouse(self) -> Path:
        return self.tmp / "warehouse.duckdb"

    @property
    def target(self) -> Path:
        return self.tmp / "target"

    @property
    def reports(self) -> Path:
        return self.tmp / "reports"

    @property
    def history(self) -> Path:
        return self.tmp / "history.duckdb"

    @property
    def runs(self) -> Path:
        return self.tmp / "runs"

    @property
    def files(self) -> Path:
        return self.tmp / "files"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DO_NOT_TRACK": "1",
            "DBT_LOG_PATH": str(self.tmp / "logs"),
            "DP_WAREHOUSE": str(self.warehouse),
        }

    def _start(self, name: str, argv: list[str]) -> Proc:
        self._count += 1
        stem = self.tmp / "out" / f"{self._count:03d}-{name.replace(' ', '_')}"
        stem.parent.mkdir(exist_ok=True)
        out, err = stem.with_suffix(".out"), stem.with_suffix(".err")
        with out.open("wb") as o, err.open("wb") as e:
            popen = subprocess.Popen(
                argv, cwd=REPO, env=self.env(), stdout=o, stderr=e, start_new_session=True
            )
        proc = Proc(name, popen, out, err)
        self.procs.append(proc)
        return proc

    def nightly(self, day: dt.date, *extra: str) -> Proc:
        paths = ["--warehouse", str(self.warehouse), "--target-dir", str(self.target)]
        paths += [
            "--reports-dir",
            str(self.reports),
            "--history",
            str(self.history),
            "--runs-dir",
            str(self.runs),
            "--files-dir",
            str(self.files),
        ]
        argv = [sys.executable, "-m", "dataproducts", "nightly", "--as-of", day.isoformat(), "--no-docs"]
        return self._start(f"dp nightly {day}", [*argv, *paths, *extra])

    def validate(self, day: dt.date, *extra: str) -> Proc:
        paths = [
            "--warehouse",
            str(self.warehouse),
            "--target-dir",
            str(self.target),
            "--runs-dir",
            str(self.runs),
        ]
        argv = [sys.executable, "-m", "dataproducts", "validate", "--as-of", day.isoformat(), "--no-docs"]
        return self._start("dp validate", [*argv, *paths, *extra])

    def dbt_build(self, day: dt.date) -> Proc:
        """``dbt build`` as a user types it in the project folder (the warehouse from DP_WAREHOUSE)."""
        vars_ = json.dumps({"as_of": day.isoformat()})
        argv = [DBT, "build", "--quiet", "--target-path", str(self.target), "--vars", vars_]
        return self._start("dbt build", argv)

    def generate(self, day: dt.date) -> None:
        generate(self.warehouse, scale=SMALL_SCALE, seed=SEED, as_of=day)

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.kill()


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Project]:
    proj = Project(tmp_path)
    try:
        yield proj
    finally:
        proj.kill_all()


def _say(text: str) -> None:
    print(text, flush=True)


def _wait_first(procs: list[Proc], timeout: float) -> Proc:
    deadline = _now() + timeout
    while _now() < deadline:
        for proc in procs:
            if proc.popen.poll() is not None:
                return proc
        time.sleep(0.05)
    raise AssertionError(f"none of {[p.name for p in procs]} exited within {timeout:.0f}s")


def _wait_for_text(proc: Proc, text: str, timeout: float) -> bool:
    deadline = _now() + timeout
    while _now() < deadline:
        if text in proc.stdout():
            return True
        if proc.popen.poll() is not None:
            return text in proc.stdout()
        time.sleep(0.1)
    return False


def _started_at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- 1. two dp nightly at once -------------------------------------------------------------------------------


def test_two_nightlies_at_once_one_runs_the_other_names_it(project: Project) -> None:
    project.generate(DAY0)
    rng = random.Random(10)
    for trial in range(1, 11):
        pair = [project.nightly(DAY0), project.nightly(DAY0)]
        if rng.random() < 0.5:  # which one Popen starts first is itself random
            pair.reverse()
        began = dt.datetime.now(dt.UTC).replace(microsecond=0)
        loser = _wait_first(pair, 120)
        winner = pair[1] if loser is pair[0] else pair[0]
        code, err = loser.popen.returncode, loser.stderr()
        _say(
            f"trial {trial}: winner pid {winner.pid}, loser pid {loser.pid} exit {code} after "
            f"{_now() - loser.started:.1f}s: {err.strip()[:300]}"
        )
        assert code == 2, f"trial {trial}: the second nightly exited {code}, not 2: {err}"
        match = HOLDER.search(err)
        assert match, f"trial {trial}: the refusal does not name the holder (pid, command, started): {err}"
        assert int(match.group(1)) == winner.pid, (
            f"trial {trial}: named pid {match.group(1)}, winner {winner.pid}"
        )
        named = _started_at(match.group(2))
        assert began - dt.timedelta(seconds=5) <= named <= dt.datetime.now(dt.UTC), (
            f"trial {trial}: holder started at {named}, this trial began {began}"
        )
        assert err.count("\n") <= 1, f"trial {trial}: more than one line on stderr: {err}"
        # the winner runs: it is alive, past the lock and into its checks
        assert _wait_for_text(winner, "[1/6] checks: started", 60), (
            f"trial {trial}: the winner did not start its checks: {winner.stdout()} {winner.stderr()}"
        )
        assert winner.popen.poll() is None, f"trial {trial}: winner exited {winner.popen.returncode}"
        _say(f"trial {trial}: winner running its checks; killed after {_now() - winner.started:.1f}s")
        winner.kill()  # the run itself is proved by the --wait trial below; killing it keeps this fast

    # --wait: the second waits for the first, then runs (each a complete nightly of one small product)
    one = ("--select", "sales.products")
    first = project.nightly(DAY0, *one)
    assert _wait_for_text(first, "[1/6] checks: started", 60), first.stderr()
    second = project.nightly(DAY0, *one, "--wait")
    first_code = first.wait(900)
    first_done = dt.datetime.now(dt.UTC)
    time.sleep(0.5)
    second_out = second.stdout()
    _say(
        f"--wait: first exit {first_code} after {_now() - first.started:.0f}s; second before: {second_out!r}"
    )
    assert first_code in (0, 1), f"the first nightly exited {first_code}: {first.stderr()}"
    second_code = second.wait(900)
    _say(f"--wait: second exit {second_code} after {_now() - second.started:.0f}s")
    assert second_code in (0, 1), f"the waiting nightly exited {second_code}: {second.stderr()}"
    stamps = re.findall(r"^(\S+) \[1/6\] checks: started", second.stdout(), re.M)
    assert stamps, second.stdout()
    assert _started_at(stamps[0]) >= first_done.replace(microsecond=0) - dt.timedelta(seconds=2), (
        f"the second started its checks at {stamps[0]}, before the first finished at {first_done}"
    )
    assert "SLO report" in second.stdout(), second.stdout()


# --- 2. dp validate during a dbt build run by hand ------------------------------------------------------------


def _build_invocation(project: Project) -> str:
    data = json.loads((project.target / "run_results.json").read_text())
    return str(data["metadata"]["invocation_id"])


def _validated_invocations(project: Project) -> dict[str, int]:
    """dbt invocation id -> validations recorded for it."""
    out = {}
    for run in project.runs.iterdir():
        if (run / "run.json").is_file():
            meta = json.loads((run / "run.json").read_text())
            parts = [p for p in (run / "validations").glob("*") if not p.name.startswith(".")]
            out[meta["dbt_invocation_id"]] = len(parts) if (run / "validations").is_dir() else 0
    return out


def test_validate_during_a_hand_run_dbt_build_waits_or_refuses(project: Project) -> None:
    rng = random.Random(20)
    project.generate(DAY0)
    during = 0
    builds = 0
    # trials during the build until 10 refused and 2 waited; then a build where validate starts first
    while during < 12 or builds < 3:
        builds += 1
        pre_start = during >= 12
        day = DAY0
        validate_first: Proc | None = None
        if pre_start:
            use_wait = rng.random() < 0.5
            validate_first = project.validate(day, *(["--wait"] if use_wait else []))
            time.sleep(rng.uniform(0.0, 3.0))
        build = project.dbt_build(day)
        _say(
            f"build {builds}: dbt build pid {build.pid} started"
            + (
                f" {_now() - validate_first.started:.2f}s after dp validate pid {validate_first.pid}"
                if validate_first
                else ""
            )
        )
        waited: list[tuple[Proc, float]] = []
        if not pre_start:
            while build.popen.poll() is None and during < 12:
                time.sleep(rng.uniform(0.2, 6.0))
                if build.popen.poll() is not None:
                    break
                moment = _now() - build.started
                use_wait = during in (5, 11)  # the last trial of each of the first two builds waits
                proc = project.validate(day, *(["--wait"] if use_wait else []))
                if use_wait:
                    waited.append((proc, moment))
                    during += 1
                    break
                code = proc.wait(300)
                err = proc.stderr()
                match = DBT_WRITER.search(err)
                _say(f"  validate at {moment:.1f}s of the build: exit {code}: {err.strip()[:300]}")
                if build.popen.poll() is not None and code != 2:
                    _say("  (the build ended meanwhile; not counted)")
                    continue
                during += 1
                assert code == 2, f"validate at {moment:.1f}s of the build exited {code}, not 2: {err}"
                assert match and int(match.group(1)) == build.pid, (
                    f"validate at {moment:.1f}s does not name dbt build pid {build.pid}: {err}"
                )
        code = build.wait(900)
        _say(f"build {builds}: exit {code} after {_now() - build.started:.1f}s")
        assert code == 0, f"dbt build {builds} exited {code}: {build.stdout()[-3000:]}"
        invocation = _build_invocation(project)
        for proc, moment in waited:
            vcode = proc.wait(600)
            _say(
                f"  validate --wait from {moment:.1f}s of the build: exit {vcode}: {proc.stderr().strip()[:300]}"
            )
            assert vcode in (0, 1), f"validate --wait exited {vcode}: {proc.stderr()}"
            assert _validated_invocations(project).get(invocation), (
                f"validate --wait did not validate the build it waited for ({invocation}): "
                f"{_validated_invocations(project)}"
            )
        if validate_first is not None:
            vcode = validate_first.wait(600)
            err = validate_first.stderr()
            _say(f"  validate started first: exit {vcode}: {err.strip()[:300]}")
            assert vcode in (0, 1, 2), err
            if vcode == 2:
                assert DBT_WRITER.search(err) or "locked by another program" in err, (
                    f"validate started first exited 2 for another reason: {err}"
                )


# --- 3. SIGKILL during dp nightly ----------------------------------------------------------------------------


def _history_facts(path: Path) -> dict[dt.date, dict[str, str]]:
    """as-of day -> product -> status of the recorded runs; asserts no run is half recorded."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        runs = con.execute("select run_id, as_of_date from slo_runs").fetchall()
        products = con.execute("select run_id, product_id, status from slo_product_runs").fetchall()
        slis = con.execute("select distinct run_id, product_id from slo_sli_results").fetchall()
    finally:
        con.close()
    run_ids = {r for r, _ in runs}
    by_run: dict[str, dict[str, str]] = {}
    for run_id, product, status in products:
        by_run.setdefault(run_id, {})[product] = status
    assert not set(by_run) - run_ids, f"product rows without a run row: {set(by_run) - run_ids}"
    assert all(r in by_run for r in run_ids), f"run rows without product rows: {run_ids - set(by_run)}"
    with_slis = {(r, p) for r, p in slis}
    missing = [(r, p) for r, ps in by_run.items() for p in ps if (r, p) not in with_slis]
    assert not missing, f"product rows without SLI rows: {missing}"
    out: dict[dt.date, dict[str, str]] = {}
    for run_id, day in runs:
        out.setdefault(day, {}).update(by_run[run_id])
    return out


def _check_latest_report(project: Project) -> str:
    path = project.reports / "latest" / "slo_report.json"
    if not path.exists():
        return "absent"
    document = json.loads(path.read_text())
    validate_document(document)
    return f"{document['as_of_date']} {document['overall_status']}"


def _leftovers(project: Project) -> list[str]:
    patterns = [
        (project.runs, ".staging-*"),
        (project.runs, ".trash-*"),
        (project.runs, "*/validations/.staging*"),
        (project.runs, "*/reports/.staging*"),
        (project.reports, ".*"),
        (project.target, ".validation-*"),
        (project.files / "runs", ".*"),
    ]
    return sorted(str(p) for folder, pattern in patterns if folder.exists() for p in folder.glob(pattern))


def test_sigkill_at_random_moments_of_nightly(project: Project) -> None:
    rng = random.Random(30)
    project.generate(DAY0)
    base = project.nightly(DAY0)
    code = base.wait(900)
    duration = _now() - base.started
    _say(f"baseline {DAY0}: exit {code} in {duration:.1f}s")
    assert code in (0, 1), base.stderr()
    # each step's share of the baseline run: the kills are spread over the six steps
    steps = [
        (int(n), name, float(sec))
        for n, name, sec in re.findall(r"\[(\d)/6\] ([a-z ]+): (?:ok|failed) \(([\d.]+)s\)", base.stdout())
    ]
    assert len(steps) == 6, base.stdout()
    for trial in range(1, 11):
        day = DAY0 + dt.timedelta(days=trial)
        number, name, seconds = steps[(trial - 1) % 6]
        project.generate(day)
        run = project.nightly(day)
        reached = _wait_for_text(run, f"[{number}/6] {name}: started", 600)
        at = rng.uniform(0.0, seconds + 0.5)
        step_began = _now()
        while run.popen.poll() is None and _now() - step_began < at:
            time.sleep(0.02)
        finished = run.popen.poll()
        elapsed = _now() - run.started
        run.kill()
        history = _history_facts(project.history)
        latest = _check_latest_report(project)
        left = [p.name for p in project.runs.iterdir()] + _leftovers(project)
        _say(
            f"trial {trial} {day}: "
            + (
                f"finished (exit {finished}) before the kill"
                if finished is not None
                else f"killed {at:.2f}s into step {number} {name} ({elapsed:.1f}s into the run)"
            )
            + f"; step reached: {reached}; recorded: {day in history}; latest report: {latest}; left: {left}"
        )

    final_day = DAY0 + dt.timedelta(days=11)
    project.generate(final_day)
    final = project.nightly(final_day)
    code = final.wait(900)
    _say(f"final {final_day}: exit {code}: {final.stderr().strip()[:500]}")
    assert code in (0, 1), f"the nightly after the kills exited {code}: {final.stderr()}\n{final.stdout()}"
    left = _leftovers(project)
    assert not left, f"leftovers after a complete nightly: {left}"
    for folder in sorted((project.files / "runs").iterdir()):  # a killed publish left none looking complete
        assert (folder / "manifest.json").is_file(), f"{folder}: a published files run without its manifest"
    history = _history_facts(project.history)
    document = json.loads((project.reports / "latest" / "slo_report.json").read_text())
    validate_document(document)
    assert document["as_of_date"] == final_day.isoformat(), document["as_of_date"]
    for product in document["products"]:
        trend = {point["date"]: point for point in product["trend"]}
        for offset in range(12):
            day = DAY0 + dt.timedelta(days=offset)
            point = trend.get(day.isoformat())
            assert point is not None, f"{product['id']}: no trend point for {day}: {sorted(trend)}"
            expected = history.get(day, {}).get(product["id"], "missed")
            assert point["status"] == expected, (
                f"{product['id']} {day}: trend says {point['status']}, history says {expected}"
            )
    killed = [DAY0 + dt.timedelta(days=t) for t in range(1, 11)]
    missed = [d for d in killed if d not in history]
    _say(f"final trend: {len(missed)} missed day(s) {missed}; recorded {sorted(set(killed) & set(history))}")
