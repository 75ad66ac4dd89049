"""Shared fixtures: a small generated warehouse built by real dbt, in a temporary directory.

Tests never touch the repository's own warehouse, target or reports: each fixture points the runner at
temporary paths through ``ProjectConfig`` (the same way ``--project-dir``/``DP_*`` do for users).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dataproducts.config import ProjectConfig, load_config
from dataproducts.dbt import ensure_deps, run_dbt
from dataproducts.generate import generate
from dataproducts.runs import Record
from postgres_support import PostgresServer, binaries_missing, running_server

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 20)
SMALL_SCALE = 0.02

os.environ.setdefault("DO_NOT_TRACK", "1")
# A safety net: a test that forgets --runs-dir never writes run records (or takes the lock) in the repository.
_SAFETY_RUNS = Path(tempfile.mkdtemp(prefix="dp-test-runs-"))
os.environ.setdefault("DP_RUNS_DIR", str(_SAFETY_RUNS))
# ... nor publishes Parquet runs (the files port) into the repository's files/.
os.environ.setdefault("DP_FILES_DIR", str(_SAFETY_RUNS / "files"))
# The tests' warehouses are tiny: dbt builds two models at once there (the default, one, is for warehouses
# whose models need DuckDB's whole memory limit each; profiles.yml).
os.environ.setdefault("DP_THREADS", "2")

# The slowest tests and files first (measured with --durations, most first). `make pytest` hands whole files to
# the workers in collection order (--no-loadscope-reorder); a long one collected last keeps one worker busy
# for minutes while the other has nothing left to do.
SLOW_FIRST = (
    "tests/package/test_wheel.py",
    # `make test-processes` (worksteal) gives each of the two workers half of these four in order, and a
    # worker cannot take the other's last queued test: the two longest (about 5 and 4 minutes) must be in
    # different halves, each beside a short one (in one half they ran one after the other: the whole run took their sum, 9:22)
    "tests/processes/test_processes.py::test_sigkill_at_random_moments_of_nightly",
    "tests/processes/test_processes.py::test_two_nightlies_at_once_one_runs_the_other_names_it",
    "tests/processes/test_readme.py",
    "tests/processes/test_processes.py::test_validate_during_a_hand_run_dbt_build_waits_or_refuses",
    "tests/cli/test_issue10_regressions.py",
    "tests/integration/test_incremental.py",
    "tests/cli/test_check_cli.py",
    "tests/integration/test_simulate.py",
    "tests/integration/test_nightly.py",
    "tests/portal/test_portal.py",  # about 60 s: the shared portal night (tests/portal_support.py)
    "tests/browser/test_portal_browser.py",  # the same night when on another worker, then Chromium
    "tests/cli/test_init_cli.py",
    "tests/unit/test_sql_engine_strategies.py",
    "tests/cli/test_report_cli.py",
    "tests/integration/test_postgres_port.py",
    "tests/integration/test_nightly_postgres.py",  # about 80 s, 45 of them its nightly
    "tests/integration/test_access_postgres.py",  # about 70 s: one build, then each role's probes
    "tests/api/test_api.py",  # about 40-60 s: one nightly, then the API server's requests
    "tests/integration/test_dbt_project.py",
    "tests/cli/test_diff_cli.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid, rank.get(item.nodeid.split("::", 1)[0], len(rank))))


@pytest.fixture(scope="session", autouse=True)
def dbt_packages_installed() -> None:
    """The repository's dbt packages (packages.yml) installed, as `make install` does: tests run plain dbt
    on the repository too, not only the runner (which installs missing packages by itself). A stat per
    package when they are installed."""
    ensure_deps(load_config(REPO))


def copy_ignore(root: Path, *patterns: str) -> Callable[[str, list[str]], set[str]]:
    """A ``shutil.copytree`` ignore for a copy of the project at ``root``: ``patterns`` anywhere, and every
    ``dbt_packages`` folder below the top one. The dbt package's integration tests install it from
    ``local: ../`` (a symlink to its own parent) and copytree would follow that loop forever; the project's
    own dbt_packages/ is copied (its symlinks followed), so a copy builds without `dbt deps`."""
    base = shutil.ignore_patterns(*patterns)

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = set(base(directory, names))
        if "dbt_packages" in names and Path(directory) != root:
            ignored.add("dbt_packages")
        return ignored

    return ignore


@dataclass(frozen=True)
class BuiltProject:
    config: ProjectConfig
    as_of: dt.date
    faults: tuple[str, ...]
    build_returncode: int


def make_config(tmp: Path, project_dir: Path = REPO) -> ProjectConfig:
    """A configuration of ``project_dir`` whose generated files all live under ``tmp``."""
    return load_config(
        project_dir,
        warehouse=str(tmp / "warehouse.duckdb"),
        target_dir=str(tmp / "target"),
        reports_dir=str(tmp / "reports"),
        history=str(tmp / "history.duckdb"),
        runs_dir=str(tmp / "runs"),
        files_dir=str(tmp / "files"),
    )


def build_project(
    tmp: Path,
    *,
    faults: tuple[str, ...] = (),
    as_of: dt.date = AS_OF,
    scale: float = SMALL_SCALE,
    project_dir: Path = REPO,
) -> BuiltProject:
    config = make_config(tmp, project_dir)
    generate(config.warehouse, scale=scale, seed=7, as_of=as_of, faults=faults)
    result = run_dbt(
        config,
        ["build", "--quiet"],
        dbt_vars={"as_of": as_of.isoformat()},
        quiet=True,
        extra_env={"DBT_LOG_PATH": str(tmp / "logs")},
    )
    return BuiltProject(config, as_of, faults, result.returncode)


@pytest.fixture(scope="session")
def built_clean(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """The project generated at a small scale without faults and built once by `dbt build`."""
    built = build_project(tmp_path_factory.mktemp("clean"))
    assert built.build_returncode == 0, "dbt build failed on clean generated data"
    return built


@pytest.fixture(scope="session")
def built_faulty(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """Built on data with the nulls, duplicates and volume_drop faults (dbt build still succeeds)."""
    built = build_project(tmp_path_factory.mktemp("faulty"), faults=("nulls", "duplicates", "volume_drop"))
    assert built.build_returncode == 0, "dbt build failed on data with nulls,duplicates,volume_drop"
    return built


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for this test session (one per xdist worker), started through
    scripts/postgres on a free 127.0.0.1 port with a data folder of its own, stopped and removed at the end.
    Fails, naming what to install, when the server binaries are missing: never skips."""
    reason = binaries_missing()
    if reason:
        pytest.fail(reason)
    with running_server() as server:
        yield server


@pytest.fixture()
def project_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy of the dbt project (sources only, no generated files) to mutate in a test."""
    dest = tmp_path / "project"
    ignore = copy_ignore(
        REPO,
        ".venv",
        ".venv-*",
        "target",
        "logs",
        "reports",
        "warehouse",
        "runs",
        ".git",
        "*.duckdb",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    )
    shutil.copytree(REPO, dest, ignore=ignore)
    (dest / "warehouse").mkdir(exist_ok=True)
    yield dest


def dp(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `dp` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "dataproducts", *args],
        cwd=cwd or REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def record_of(config: ProjectConfig) -> Record:
    """The run record of the newest build of ``config``'s warehouse (adopted, as `dp validate` does)."""
    from dataproducts.runs import adopt_build

    return adopt_build(config)


def scratch_record(config: ProjectConfig, dest: Path, *, as_of: dt.date | None = None) -> Record:
    """A private copy, under ``dest/runs``, of the record of ``config``'s newest build (optionally for
    another as-of day), for tests that add parts to a record of a shared session build."""
    from dataproducts.runs import RECORD_FILE, read_record

    source = record_of(config)
    target = dest / "runs" / source.run_id
    shutil.copytree(source.path / "dbt", target / "dbt")
    meta = source.meta.model_copy(update={"as_of": as_of or source.meta.as_of})
    (target / RECORD_FILE).write_text(meta.model_dump_json(indent=2), encoding="utf-8")
    return read_record(target)
