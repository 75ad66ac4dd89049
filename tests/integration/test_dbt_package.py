"""The dbt package dataproducts_utils (packages/dataproducts_utils), installed and built the way another project
uses it.

Its integration-test project installs it from ``packages.yml`` (``local: ../``) and runs every macro and
generic test on small seeds; the tests tagged ``expected_failure`` are meant to fail, and this module checks
that they do, by name and failing-row count, while every other test passes. Everything runs on a copy of the
package folder under tmp_path (``local: ../`` then points at the copy): nothing is written into the
repository. The runner's ``ensure_deps`` (``dbt deps`` when a listed package is not installed) is tested on
another copy.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import REPO
from dataproducts.config import ProjectConfig, load_config
from dataproducts.dbt import DbtInvocation, dbt_executable, ensure_deps, missing_packages, run_dbt
from dataproducts.errors import DbtError

pytestmark = pytest.mark.integration

PACKAGE = REPO / "packages" / "dataproducts_utils"
GENERIC_TESTS = ("recency", "row_count_in_range", "expression_is_true", "unique_combination_of_columns")
# Each test the integration project means to fail, with the rows it returns.
EXPECTED_FAILURES = {
    "recency_fails_beyond_the_interval": 1,
    "recency_judges_a_date_at_its_midnight": 1,
    "recency_fails_on_an_empty_model": 1,
    "row_count_in_range_fails_above_max_value": 1,
    "row_count_in_range_fails_below_min_value": 1,
    "expression_is_true_fails_on_the_model": 1,
    "expression_is_true_fails_on_a_column": 3,
    "expression_is_true_counts_null_as_not_true": 3,
    "unique_combination_of_columns_fails_on_repeated_values": 3,
}


def _copy_package(tmp: Path) -> Path:
    """The package folder without anything installed or built in it; returns its integration-test project."""
    package = tmp / "dataproducts_utils"
    shutil.copytree(
        PACKAGE, package, ignore=shutil.ignore_patterns("dbt_packages", "target", "logs", "*.duckdb")
    )
    return package / "integration_tests"


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "DBT_USE_COLORS": "false",
        "DP_UTILS_IT_WAREHOUSE": str(project / "target" / "integration_tests.duckdb"),
    }
    command = [dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir", str(project)]
    command += ["--log-path", str(project / "logs")]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class Built:
    project: Path
    deps: subprocess.CompletedProcess[str]
    build: subprocess.CompletedProcess[str]

    def json(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.project / "target" / name).read_text(encoding="utf-8"))
        return data

    def tests(self) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """Every data test by name: (its manifest node, its run result)."""
        nodes = self.json("manifest.json")["nodes"]
        return {
            nodes[r["unique_id"]]["name"]: (nodes[r["unique_id"]], r)
            for r in self.json("run_results.json")["results"]
            if r["unique_id"].startswith("test.")
        }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """`dbt deps` and `dbt build` on a copy of the integration-test project."""
    project = _copy_package(tmp_path_factory.mktemp("package"))
    deps = _dbt(project, "deps")
    build = _dbt(project, "build")
    return Built(project, deps, build)


def test_deps_installs_the_package_from_packages_yml(built: Built) -> None:
    assert built.deps.returncode == 0, built.deps.stdout[-3000:]
    installed = built.project / "dbt_packages" / "dataproducts_utils"
    assert (installed / "dbt_project.yml").is_file()
    assert installed.resolve() == built.project.parent.resolve()  # the copy, not the repository
    lock = (built.project / "package-lock.yml").read_text(encoding="utf-8")
    assert "name: dataproducts_utils" in lock


def test_the_tests_meant_to_fail_fail_and_every_other_test_passes(built: Built) -> None:
    assert built.build.returncode == 1, built.build.stdout[-4000:]  # 1: tests failed, dbt itself ran
    tests = built.tests()
    failed = {name: r["failures"] for name, (_, r) in tests.items() if r["status"] == "fail"}
    assert failed == EXPECTED_FAILURES
    tagged = {name for name, (node, _) in tests.items() if "expected_failure" in node["tags"]}
    assert tagged == set(EXPECTED_FAILURES)
    others = {name: r["status"] for name, (_, r) in tests.items() if name not in EXPECTED_FAILURES}
    assert others and set(others.values()) == {"pass"}, others
    built_nodes = [
        r for r in built.json("run_results.json")["results"] if not r["unique_id"].startswith("test.")
    ]
    assert {r["status"] for r in built_nodes} == {"success"}, built_nodes


def test_every_generic_test_of_the_package_is_run_passing_and_failing(built: Built) -> None:
    outcomes: dict[str, set[str]] = {name: set() for name in GENERIC_TESTS}
    for node, result in built.tests().values():
        meta = node["test_metadata"]
        assert meta["namespace"] == "dataproducts_utils", node["name"]  # the documented qualified form
        outcomes[meta["name"]].add(result["status"])
    assert outcomes == {name: {"pass", "fail"} for name in GENERIC_TESTS}


def test_every_macro_of_the_package_is_called(built: Built) -> None:
    manifest = built.json("manifest.json")
    public = {  # not the adapter implementations (default__..., spark__...) the macros dispatch to
        m["name"]
        for m in manifest["macros"].values()
        if m["package_name"] == "dataproducts_utils" and "__" not in m["name"]
    }
    called = {"dp_record_invocation"}  # by the hooks: the ledger test below
    # what the models call, and what the root project's own macros call (the `window` strategy's hand-over,
    # as dbt needs), followed through the package's macros they call in turn
    macros = manifest["macros"]
    todo = [m for node in manifest["nodes"].values() for m in node["depends_on"]["macros"]]
    todo += [m for m in macros.values() if m["package_name"] == "dataproducts_utils_integration_tests"]
    todo = [m["unique_id"] if isinstance(m, dict) else m for m in todo]
    seen: set[str] = set()
    while todo:
        macro_id = todo.pop()
        if macro_id in seen or macro_id not in macros:
            continue
        seen.add(macro_id)
        if ".dataproducts_utils." in macro_id:
            called.add(macro_id.split(".")[-1])
        todo += macros[macro_id]["depends_on"]["macros"]
    assert public <= called, public - called


def test_the_window_strategy_replaces_the_last_days_on_a_rebuild(built: Built) -> None:
    """A second build of the incremental model deletes and re-inserts its window (the newest day and the one
    before it: lookback 1) and ends with exactly the rows a full build has."""
    again = _dbt(built.project, "run", "--select", "events_by_day", "--target-path", "target_again")
    assert again.returncode == 0, again.stdout[-3000:]
    compiled = built.project / "target_again" / "run" / "dataproducts_utils_integration_tests" / "models"
    sql = (compiled / "events_by_day.sql").read_text(encoding="utf-8")
    assert "delete from" in sql and "event_date >= cast('2026-11-18' as date)" in sql, sql
    warehouse = built.project / "target" / "integration_tests.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select * from events_by_day order by event_date").fetchall()
        full = con.execute(
            "select cast(occurred_at as date), count(*), sum(amount) from events group by 1 order by 1"
        ).fetchall()
    assert rows == full and len(rows) == 2


def test_the_package_holds_macros_only_none_of_the_example_project(built: Built) -> None:
    manifest = built.json("manifest.json")
    kinds = {
        node["resource_type"]
        for node in [*manifest["nodes"].values(), *manifest["sources"].values()]
        if node["package_name"] == "dataproducts_utils"
    }
    assert kinds == set(), kinds  # no models, seeds, tests or sources come with the package
    shipped = {
        p.relative_to(PACKAGE).parts[0]
        for p in PACKAGE.rglob("*")
        if p.is_file() and "dbt_packages" not in p.parts and "target" not in p.parts and "logs" not in p.parts
    }
    assert shipped <= {"dbt_project.yml", "README.md", "macros", "integration_tests"}, shipped
    example_models = {p.stem for p in (REPO / "models").rglob("*.sql")}
    package_sql = {p.stem for p in PACKAGE.rglob("*.sql") if "dbt_packages" not in p.parts}
    assert not example_models & package_sql, example_models & package_sql


def test_the_hooks_the_project_opts_into_fill_the_invocation_ledger(built: Built) -> None:
    warehouse = built.project / "target" / "integration_tests.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(  # the build's row (a later test runs the incremental model once more)
            "select command, finished_at, payload from dp_meta.dbt_invocations where command = 'build'"
        ).fetchall()
    ((command, finished_at, payload),) = rows
    assert command == "build" and finished_at is not None
    recorded = {r["unique_id"]: r["status"] for r in json.loads(payload)["results"]}
    results = {
        r["unique_id"]: r["status"]
        for r in built.json("run_results.json")["results"]
        if not r["unique_id"].startswith("operation.")  # the hooks themselves
    }
    assert recorded == results


# --- the runner installs missing packages (ensure_deps) ---------------------------------------------------


@dataclass(frozen=True)
class RunnerCompile:
    """`dp`'s run_dbt compiling as_of_times with an `as_of` that is not a date, on a copy without packages."""

    config: ProjectConfig
    missing_before: tuple[str, ...]
    compiled: DbtInvocation
    stderr: str


@pytest.fixture(scope="module")
def runner_compile(tmp_path_factory: pytest.TempPathFactory) -> RunnerCompile:
    tmp = tmp_path_factory.mktemp("runner")
    project = _copy_package(tmp)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("DP_WAREHOUSE", raising=False)
        config = load_config(project, target_dir=str(tmp / "target"), runs_dir=str(tmp / "runs"))
    missing = missing_packages(project)
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        compiled = run_dbt(
            config,
            ["compile", "--select", "as_of_times"],
            dbt_vars={"as_of": "20.11.2026"},
            quiet=True,
            extra_env={"DBT_LOG_PATH": str(tmp / "logs")},
        )
    return RunnerCompile(config, missing, compiled, stderr.getvalue())


def test_the_runner_runs_deps_once_when_a_package_is_missing(
    runner_compile: RunnerCompile, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runner_compile.missing_before == ("dataproducts_utils",)
    assert missing_packages(runner_compile.config.project_dir) == ()
    lines = runner_compile.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("dp: dbt deps installed the packages of packages.yml (dataproducts_utils)")

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no_process)
    assert ensure_deps(runner_compile.config) == ()  # installed: a stat, no dbt
    assert capsys.readouterr().err == ""


def test_an_as_of_that_is_not_a_date_is_a_compile_error(runner_compile: RunnerCompile) -> None:
    """dbt ran after the runner's deps and reached the package's as_of_timestamp, which refuses the var."""
    compiled = runner_compile.compiled
    assert not compiled.success
    assert "var 'as_of' must be a date YYYY-MM-DD, got: 20.11.2026" in compiled.output, compiled.output[
        -2000:
    ]


def test_a_failing_deps_is_one_line_naming_packages_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DP_WAREHOUSE", raising=False)
    project = _copy_package(tmp_path)
    (project / "packages.yml").write_text("packages:\n  - local: ../../no_such_package\n", encoding="utf-8")
    (project / "package-lock.yml").unlink()
    config = load_config(project, target_dir=str(tmp_path / "target"))
    assert missing_packages(project) == ("local: ../../no_such_package",)

    with pytest.raises(DbtError) as raised:
        ensure_deps(config)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{project / 'packages.yml'}: dbt deps could not install"), message
    assert "no_such_package" in message


def test_no_packages_file_means_nothing_to_install(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: bare\nprofile: bare\n", encoding="utf-8")
    assert missing_packages(tmp_path) == ()
    (tmp_path / "dependencies.yml").write_text("packages: []\n", encoding="utf-8")
    assert missing_packages(tmp_path) == ()
