"""Regression tests for the defects listed under *Why* in issue 10 ("Runs as records") that no other test pins.

Each test's docstring quotes the defect. Every command is the real `dp` (or `dbt`) in a subprocess on small
generated data (scale 0.02), with every path under the test's own tmp_path. The nightly run most tests start
from is made once per module (``nightly_base``) and copied into each test's tmp_path before anything changes.

Covered elsewhere (not repeated here): descriptor values and suites through `dp check` / `dp export odcs`
(tests/cli/test_descriptor_cli.py, tests/unit/test_descriptor.py); catalog links and Markdown escaping,
`diff --output` into a missing folder or under a file, DP_REPORTS_DIR a file for `dp catalog`
(tests/cli/test_outputs_cli.py); history keyed by run and as-of day (tests/unit/test_slo_history.py);
two nightlies at once, validate during a build, SIGKILL (tests/processes/).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import AS_OF, REPO, SMALL_SCALE, BuiltProject, build_project, make_config
from dataproducts.dbt import run_dbt

DAY = AS_OF.isoformat()
SALES_MODELS = Path("models/sales/marts/_sales__models.yml")
SUITE = Path("expectations/sales/orders.json")

# Every path a command can be given, under one root: flag and file name.
PATHS = {
    "warehouse": ("--warehouse", "warehouse.duckdb"),
    "target": ("--target-dir", "target"),
    "reports": ("--reports-dir", "reports"),
    "history": ("--history", "history.duckdb"),
    "runs": ("--runs-dir", "runs"),
}
ALL = tuple(PATHS)
# the path options each command takes
TAKES = {
    "generate": ("warehouse", "runs"),
    "validate": ("warehouse", "target", "runs"),
    "report": ALL,
    "nightly": ALL,
    "check": ("warehouse", "target"),
    "catalog": ("target", "reports"),
    "diff": ("target", "reports"),
    "export": ("warehouse", "target", "reports"),
}


def _paths(root: Path, command: str, *, skip: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for name in TAKES[command]:
        if name not in skip:
            flag, leaf = PATHS[name]
            out += [flag, str(root / leaf)]
    return out


def _umask_022() -> None:
    os.umask(0o022)


def _file_size_limit(limit: int) -> Callable[[], None]:
    def limit_writes() -> None:
        os.umask(0o022)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


def run(
    root: Path,
    command: str,
    *args: str,
    project: Path | None = None,
    skip: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] = _umask_022,
) -> subprocess.CompletedProcess[str]:
    """The real `dp <command>` with every path option it takes under ``root`` (umask 022 in the child)."""
    words = command.split()
    argv = [*words, *args, *_paths(root, words[0], skip=skip)]
    if project is not None:
        argv += ["--project-dir", str(project)]
    return subprocess.run(
        [sys.executable, "-m", "dataproducts", *argv],
        cwd=REPO,
        env={**os.environ, "DBT_LOG_PATH": str(root / "logs"), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=preexec,
    )


def _ok(proc: subprocess.CompletedProcess[str], *codes: int) -> None:
    assert proc.returncode in (codes or (0,)), (proc.args, proc.returncode, proc.stdout[-3000:], proc.stderr)
    assert "different dbt runs" not in proc.stderr + proc.stdout, proc.stderr


def _one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert proc.returncode == 2, (proc.args, proc.stdout[-3000:], proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error" not in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _history(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the SLO history, table by table ({} when there is none)."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute("show tables").fetchall() if t.startswith("slo_")]
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in sorted(tables)}
    finally:
        con.close()


def _records(root: Path) -> list[str]:
    runs = root / "runs"
    return (
        sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))
        if runs.is_dir()
        else []
    )


def _leftovers(root: Path) -> list[str]:
    """Hidden entries the commands leave behind (the project lock and dbt's own files excepted)."""
    keep = {".lock", ".user.yml"}
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob(".*")
        if p.name not in keep and "logs" not in p.relative_to(root).parts
    )


def _report(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "reports" / "latest" / "slo_report.json").read_text())
    return data


def _copy(base: Path, tmp_path: Path) -> Path:
    root = tmp_path / "p"
    shutil.copytree(base, root, symlinks=True)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def nightly_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dp generate` and `dp nightly --as-of 2026-11-20 --no-docs` (umask 022) into a folder of its own.
    Tests copy it (``_copy``) before running anything in it."""
    base = tmp_path_factory.mktemp("nightly")
    generate = run(base, "generate", "--scale", str(SMALL_SCALE), "--seed", "7", "--as-of", DAY)
    _ok(generate)
    nightly = run(base, "nightly", "--as-of", DAY, "--no-docs")
    _ok(nightly)
    assert _report(base)["summary"] == {"met": 9, "at_risk": 0, "unknown": 0, "breached": 0}
    assert len(_records(base)) == 1
    return base


@pytest.fixture()
def nightly_copy(nightly_base: Path, tmp_path: Path) -> Path:
    return _copy(nightly_base, tmp_path)


# --- a report judges one run: other commands never change what it reads -----------------------------------------


def test_check_catalog_diff_export_between_nightly_and_report(nightly_copy: Path) -> None:
    """`dp nightly; dp check; dp report` exits 2 ("artifacts of different dbt runs"): `dp check`, `dp catalog`,
    `dp diff` and `dp export odcs` run `dbt parse` into the `target/` that the report reads."""
    root = nightly_copy
    (run_id,) = _records(root)
    state = root / "runs" / run_id / "dbt"
    between = [
        ("check", ()),
        ("catalog", ()),
        ("diff", ("--state", str(state))),
        ("export odcs", ()),
    ]
    for command, args in between:
        _ok(run(root, command, *args), 0, 1)
        report = run(root, "report")
        _ok(report)  # 0: every product met, as documented
        assert _report(root)["run_id"] == run_id, command
        assert _report(root)["summary"]["met"] == 9, command
    assert _records(root) == [run_id]


def test_dbt_commands_between_a_hand_run_build_and_validate_and_report(
    built_clean: BuiltProject, tmp_path: Path
) -> None:
    """The README's own "Working with the project" block (`dbt build` then `dbt source freshness` then
    `dp report`) exits 2; a plain `dbt parse`, `dbt compile` or `dbt docs generate` between a build and the
    report must break nothing (the build is adopted from the warehouse's invocation ledger when a later dbt
    command replaced run_results.json)."""
    root = tmp_path / "p"
    root.mkdir()
    shutil.copyfile(built_clean.config.warehouse, root / "warehouse.duckdb")
    shutil.copytree(built_clean.config.target_dir, root / "target")
    cfg = make_config(root)
    logs = {"DBT_LOG_PATH": str(root / "logs")}

    def dbt(*command: str) -> None:
        result = run_dbt(cfg, list(command), dbt_vars={"as_of": DAY}, quiet=True, extra_env=logs)
        assert result.success, (command, result.output[-2000:])

    dbt("source", "freshness")
    dbt("docs", "generate")  # replaces target/run_results.json
    _ok(run(root, "validate"))
    dbt("parse")
    dbt("compile")  # replaces target/run_results.json again
    report = run(root, "report")
    _ok(report)
    document = _report(root)
    assert document["summary"]["met"] == 9, report.stdout
    (run_id,) = _records(root)
    assert document["run_id"] == run_id
    meta = json.loads((root / "runs" / run_id / "run.json").read_text())
    assert meta["origin"] == "dbt" and meta["as_of"] == DAY
    assert any("dp_meta.dbt_invocations" in note for note in meta["notes"]), meta["notes"]


# --- history is never rewritten behind anyone's back -------------------------------------------------------------


def test_validate_select_keeps_the_other_products_results(nightly_copy: Path) -> None:
    """`dp validate --select orders` deletes the other eight products' results and Data Docs; the next
    `dp report` records 1 met and 8 unknown over the nightly run's history rows."""
    root = nightly_copy
    _ok(run(root, "validate", "--select", "orders"))
    _ok(run(root, "report"))
    document = _report(root)
    assert document["summary"] == {"met": 9, "at_risk": 0, "unknown": 0, "breached": 0}
    assert [p["id"] for p in document["products"] if p["run_status"] == "unknown"] == []
    rows = _history(root / "history.duckdb")
    assert len(rows["slo_runs"]) == 1
    assert {row[2] for row in rows["slo_product_runs"]} == {"met"}, rows["slo_product_runs"]
    assert len(rows["slo_product_runs"]) == 9
    assert [row for row in rows["slo_sli_results"] if row[3] == "unknown"] == []


def test_report_as_of_that_contradicts_the_runs_own_is_refused(nightly_copy: Path) -> None:
    """`dp report --as-of 2027-03-01` after a build for 2026-11-20 silently replaces that run's history row."""
    root = nightly_copy
    history = _history(root / "history.duckdb")
    latest = (root / "reports" / "latest" / "slo_report.json").read_bytes()
    proc = run(root, "report", "--as-of", "2027-03-01")
    _one_line_error(proc, "2027-03-01", DAY)
    assert _history(root / "history.duckdb") == history
    assert (root / "reports" / "latest" / "slo_report.json").read_bytes() == latest
    assert not (root / "reports" / "2027-03-01").exists()
    assert _leftovers(root) == []


# --- a wrong descriptor or suite: exit 2 naming it, never "internal error" or a quiet `unknown` ------------------


def test_wrong_descriptor_type_exits_2_in_validate_and_report(project_copy: Path, tmp_path: Path) -> None:
    """A descriptor with `owner.email: 42` or `domain: 123` passes `dp check` and crashes `dp report` with
    "internal error"."""
    _edit(project_copy / SALES_MODELS, "email: sales-analytics@example.com}", "email: 42}")
    built = build_project(tmp_path / "p", project_dir=project_copy)
    assert built.build_returncode == 0
    root = tmp_path / "p"
    # the owner is a YAML anchor: every sales product's is wrong, and each is named by its own model
    file, key = (
        f"dp: error: {SALES_MODELS}: ",
        ": config.meta.data_product.owner.email: expected a string, got 42",
    )
    _one_line_error(run(root, "validate", "--as-of", DAY, project=project_copy), file, key)
    _one_line_error(run(root, "report", "--as-of", DAY, project=project_copy), file, key)
    assert _history(root / "history.duckdb") == {}
    assert not (root / "reports").exists()


def test_unknown_expectation_type_stops_nightly_before_the_build(project_copy: Path, tmp_path: Path) -> None:
    """An unknown expectation type passes `dp check`, makes `dp nightly` report every product `unknown` and
    exit 0."""
    suite = json.loads((project_copy / SUITE).read_text())
    suite["expectations"][1]["type"] = "expect_column_values_to_be_purple"
    (project_copy / SUITE).write_text(json.dumps(suite, indent=2))
    root = tmp_path / "p"
    _ok(run(root, "generate", "--scale", str(SMALL_SCALE), "--seed", "7", "--as-of", DAY))
    proc = run(root, "nightly", "--as-of", DAY, "--no-docs", project=project_copy)
    _one_line_error(proc, str(SUITE), "expect_column_values_to_be_purple")
    assert "dbt build" not in proc.stdout, proc.stdout
    assert _records(root) == []
    assert _history(root / "history.duckdb") == {}
    assert not (root / "reports").exists()
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:  # dbt never ran a build on this warehouse
        built = con.execute(
            "select count(*) from information_schema.tables where table_schema not like 'raw_%' "
            "and table_catalog = current_database()"
        ).fetchone()
    finally:
        con.close()
    assert built == (0,)
    assert _leftovers(root) == []


def test_nightly_select_nope_leaves_target_alone(nightly_copy: Path) -> None:
    """`dp nightly --select nope` rewrites `target/manifest.json` and `sources.json` before rejecting the
    selector."""
    root = nightly_copy
    (run_id,) = _records(root)
    target = root / "target"
    target.mkdir(exist_ok=True)
    for name in ("manifest.json", "run_results.json", "sources.json"):  # what a build by hand leaves there
        shutil.copyfile(root / "runs" / run_id / "dbt" / name, target / name)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    history = _history(root / "history.duckdb")
    proc = run(root, "nightly", "--select", "nope", "--as-of", DAY, "--no-docs")
    _one_line_error(proc, "nope")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert _records(root) == [run_id]
    assert _history(root / "history.duckdb") == history
    assert _leftovers(root) == []


# --- foreseeable OS errors and out-of-range values: exit 2 naming the path or value -------------------------------


def test_a_failed_history_checkpoint_is_reported_and_the_report_published(nightly_copy: Path) -> None:
    """A full history disk during the checkpoint: the run is recorded, yet the command says it was not and
    publishes no report.

    RLIMIT_FSIZE in the child: 400 000 bytes lets every report file (the HTML is about 270 kB) and the
    history's write-ahead log (about 15 kB) be written, but not the checkpoint's growth of a new history
    file (about 1.3 MB)."""
    root = nightly_copy
    (run_id,) = _records(root)
    history = root / "history.duckdb"
    history.unlink()  # a history that grows at the checkpoint
    shutil.rmtree(root / "reports")
    proc = run(root, "report", preexec=_file_size_limit(400_000))
    line = _one_line_error(proc, str(history), f"run {run_id} is recorded", "checkpoint", "File too large")
    assert "not recorded" not in line
    assert run_id in proc.stdout  # the report's summary
    assert _report(root)["run_id"] == run_id  # published
    con = duckdb.connect(str(history))  # replays the write-ahead log
    try:
        runs = con.execute("select run_id, as_of_date from slo_runs").fetchall()
        products = con.execute("select count(*) from slo_product_runs").fetchone()
    finally:
        con.close()
    assert [(r, d.isoformat()) for r, d in runs] == [(run_id, DAY)]
    assert products == (9,)
    assert _leftovers(root) == []


@pytest.fixture()
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 128 KiB tmpfs: a real "No space left on device" (the report is about 330 kB)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("NOT TESTED: a full reports disk on tmpfs needs root")
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"NOT TESTED: cannot mount a tmpfs here ({proc.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_reports_disk_exits_2_naming_the_path(nightly_copy: Path, full_disk: Path) -> None:
    """A full reports disk ... ends in "internal error"."""
    root = nightly_copy
    (root / "history.duckdb").unlink()  # a new run for this history: nothing may be recorded
    reports = full_disk / "reports"
    proc = run(root, "report", "--reports-dir", str(reports), skip=("reports",))
    _one_line_error(proc, str(reports), "No space left on device")
    assert _history(root / "history.duckdb").get("slo_runs", []) == []
    assert _leftovers(root) == []
    assert sorted(str(p.relative_to(full_disk)) for p in full_disk.rglob(".*")) == []


def test_reports_dir_that_is_a_file_exits_2_naming_it(nightly_copy: Path) -> None:
    """`DP_REPORTS_DIR` pointing at a file ... ends in "internal error"."""
    root = nightly_copy
    history = _history(root / "history.duckdb")
    records = _records(root)
    blocker = root / "a-file"
    blocker.write_text("not a folder")
    env = {"DP_REPORTS_DIR": str(blocker)}
    for command in ("report", "nightly --no-docs"):
        proc = run(root, command, "--as-of", DAY, env=env, skip=("reports",))
        _one_line_error(proc, str(blocker))
        assert blocker.read_text() == "not a folder"
        assert _history(root / "history.duckdb") == history, command
        assert _records(root) == records, command
        assert _leftovers(root) == [], command


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("report", "--as-of", "0001-01-01"),
        ("report", "--window-days", "100000000"),
        ("nightly", "--as-of", "0001-01-01"),
        ("nightly", "--window-days", "100000000"),
        ("validate", "--as-of", "0001-01-01"),
    ],
)
def test_out_of_range_dates_and_windows_exit_2_naming_the_value(
    nightly_copy: Path, command: str, option: str, value: str
) -> None:
    """`--as-of 0001-01-01` and `--window-days 100000000` end in "internal error"."""
    root = nightly_copy
    history = _history(root / "history.duckdb")
    records = _records(root)
    latest = (root / "reports" / "latest" / "slo_report.json").read_bytes()
    record = sorted(str(p.relative_to(root)) for p in (root / "runs" / records[0]).rglob("*"))
    _one_line_error(run(root, command, option, value), value)
    assert _history(root / "history.duckdb") == history
    assert _records(root) == records
    assert (root / "reports" / "latest" / "slo_report.json").read_bytes() == latest
    assert sorted(str(p.relative_to(root)) for p in (root / "runs" / records[0]).rglob("*")) == record
    assert _leftovers(root) == []


# --- outputs that can be published safely ------------------------------------------------------------------------


def test_leftovers_of_killed_runs_are_removed_by_the_next_run(nightly_copy: Path) -> None:
    """Killed runs leave `reports/.slo-report-*` and `target/.validation-*` behind forever."""
    root = nightly_copy
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    leftovers = [
        root / "reports" / f".slo-report-{pid}-0badc0de",
        root / "target" / f".validation-{pid}-0badc0de",
        root / "runs" / f".staging-nightly-{pid}-0badc0de",
    ]
    for folder in leftovers:
        folder.mkdir(parents=True)
        (folder / "half-written.json").write_text("{")
    _ok(run(root, "report"))
    assert [str(p) for p in leftovers if p.exists()] == []
    assert _leftovers(root) == []


def test_every_output_is_0644_and_every_folder_0755_under_umask_022(nightly_copy: Path) -> None:
    """Catalog, contracts and validation outputs are written mode 0600/0700, so a web server running as
    another user cannot publish them."""
    root = nightly_copy  # made by dp generate and dp nightly under umask 022 (copytree keeps the modes)
    for command in ("validate", "report", "catalog", "export odcs"):
        _ok(run(root, command))
    (run_id,) = _records(root)
    validations = list((root / "runs" / run_id / "validations").iterdir())
    assert len(validations) == 2 and all((v / "summary.json").is_file() for v in validations)
    assert any(p.name == "index.html" for v in validations for p in v.rglob("*.html")), "no Data Docs"
    assert (root / "reports" / "catalog" / "catalog.html").is_file()
    assert list((root / "reports" / "contracts").rglob("*.odcs.yaml"))
    wrong = {
        str(p.relative_to(root)): oct(p.stat().st_mode & 0o777)
        for p in root.rglob("*")
        if "logs" not in p.relative_to(root).parts
        and not p.is_symlink()
        and p.stat().st_mode & 0o777 != (0o755 if p.is_dir() else 0o644)
    }
    assert wrong == {}
