"""The runner as a distribution: the wheel built from this tree, installed into a fresh venv, on a dbt project
that knows nothing of `dp` (tests/fixtures/projects/corner_shop).

The wheel is built from a copy of the tree (pyproject.toml, README.md, src/), installed with its
dependencies from the package index into a new venv (no editable install, no --system-site-packages), and
every command runs with that venv's bin first on PATH, in a copy of the fixture project, with an environment
that holds no PYTHONPATH, no DP_* or DBT_* setting and no path into this repository. `make test-wheel`.

The journey (issue 16): `dbt build && dp init && dp nightly` exits 0 or 1 with an SLO report covering every
product `dp init` proposed; `dp init` again changes nothing; `dp check` gives advice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "dataproducts"
FIXTURE = REPO / "tests" / "fixtures" / "projects" / "corner_shop"
# kept out of the wheel on purpose (tests/unit/test_package_data.py says why)
NOT_SHIPPED = {"sql/generate/.sqlfluff"}
# what dbt and dp generate in a project: left out of the "dp init changes nothing" comparison
GENERATED_DIRS = {"target", "logs", "runs", "reports", "dbt_packages"}
GENERATED_SUFFIXES = (".duckdb", ".duckdb.wal")
VERSIONED = ("dbt-core", "dbt-duckdb", "great-expectations", "duckdb")

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(1800)]


def _data_files(root: Path) -> set[str]:
    """The non-Python files of a package folder, relative to it."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    }


def _run(
    args: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(proc.args)} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


class Timings:
    """Wall times of the slow steps, printed at the end of the module (make test-wheel)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, step: str, started: float) -> None:
        self.seconds[step] = time.monotonic() - started


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest) -> Iterator[Timings]:
    kept = Timings()
    yield kept
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not kept.seconds:
        return
    with capture.global_and_fixture_disabled():  # fd 1 is captured during teardown
        reporter.write_line("")
        for step, seconds in kept.seconds.items():
            reporter.write_line(f"wheel test: {step}: {seconds:.1f} s")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, timings: Timings) -> Path:
    """The wheel, built from a copy of the tree: nothing is written into the repository."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, tree / name)
    shutil.copytree(
        PACKAGE, tree / "src" / "dataproducts", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    dist = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "--wheel-dir", str(dist), "."],
        cwd=tree,
    )
    timings.add("build the wheel (pip wheel --no-deps)", started)
    assert proc.returncode == 0, _shown(proc)
    wheels = sorted(dist.glob("dataproducts-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@dataclass(frozen=True)
class Venv:
    root: Path
    site_packages: Path
    env: dict[str, str]  # PATH with the venv's bin first; nothing pointing into the repository

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"


def _clean_env(venv: Path) -> dict[str, str]:
    """The caller's environment without anything that would let the repository (or its venv, or the test
    session's settings) leak into the installed runner."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CONDA_PREFIX"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith(("DP_", "DBT_", "PYTEST_", "COV_"))
    }
    repo = str(REPO)
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and not p.startswith(repo)]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    env["DO_NOT_TRACK"] = "1"
    return env


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory, timings: Timings) -> Venv:
    """A new venv (python3.11 -m venv, no system site-packages) holding only the wheel and its dependencies."""
    python = shutil.which("python3.11")
    assert python, "python3.11 not on PATH"
    root = tmp_path_factory.mktemp("venv") / "venv"
    started = time.monotonic()
    proc = _run([python, "-m", "venv", str(root)], cwd=root.parent)
    timings.add("create the venv (python3.11 -m venv)", started)
    assert proc.returncode == 0, _shown(proc)
    env = _clean_env(root)
    started = time.monotonic()
    proc = _run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "--no-input", "--quiet", str(wheel)],
        cwd=root.parent,
        env=env,
        timeout=1200,
    )
    timings.add("install the wheel and its dependencies (pip install)", started)
    assert proc.returncode == 0, _shown(proc)
    probe = _run(
        [str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=root.parent,
        env=env,
    )
    assert probe.returncode == 0, _shown(probe)
    return Venv(root=root, site_packages=Path(probe.stdout.strip()), env=env)


def test_the_wheel_holds_the_package_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    in_wheel = {name.removeprefix("dataproducts/") for name in names if name.startswith("dataproducts/")}
    missing = sorted(_data_files(PACKAGE) - NOT_SHIPPED - in_wheel)
    assert not missing, f"package data missing from {wheel.name}: {missing}"
    assert not any(name.startswith(("tests/", "models/", "bench/")) for name in names)
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "dp = dataproducts.cli:main" in archive.read(entry_points).decode()


def test_the_installed_runner_is_the_wheel_not_the_repository(venv: Venv, tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "import dataproducts\n"
        "dist = metadata.distribution('dataproducts')\n"
        "print(json.dumps({'file': dataproducts.__file__, 'path': sys.path, 'prefix': sys.prefix,\n"
        "                  'direct_url': dist.read_text('direct_url.json')}))\n"
    )
    proc = _run([str(venv.python), "-c", probe], cwd=tmp_path, env=venv.env)
    assert proc.returncode == 0, _shown(proc)
    found: dict[str, Any] = json.loads(proc.stdout)
    assert Path(found["file"]).resolve().is_relative_to(venv.site_packages.resolve()), found["file"]
    assert Path(found["prefix"]).resolve() == venv.root.resolve()
    repo = REPO.resolve()
    leaks = [p for p in found["path"] if p and Path(p).resolve().is_relative_to(repo)]
    assert not leaks, f"the repository is on the venv's sys.path: {leaks}"
    direct_url = json.loads(found["direct_url"] or "{}")
    assert not direct_url.get("dir_info", {}).get("editable"), direct_url
    assert str(direct_url.get("url", "")).endswith(".whl"), direct_url
    # the package data the runner reads at run time, installed beside the code
    installed = venv.site_packages / "dataproducts"
    missing = sorted(_data_files(PACKAGE) - NOT_SHIPPED - _data_files(installed))
    assert not missing, f"package data not installed: {missing}"


def test_dp_version_names_the_stack(venv: Venv, tmp_path: Path) -> None:
    dp = shutil.which("dp", path=venv.env["PATH"])
    assert dp and Path(dp).parent == venv.root / "bin", dp
    proc = _run(["dp", "--version"], cwd=tmp_path, env=venv.env)
    assert proc.returncode == 0, _shown(proc)
    lines = proc.stdout.splitlines()
    assert re.fullmatch(r"dp \d+\.\d+\.\d+\S*", lines[0]), proc.stdout
    for name in VERSIONED:
        assert any(re.fullmatch(rf"{name} \d+\.\d+\S*", line) for line in lines), (name, proc.stdout)
    assert "dbt-core 1.12." in proc.stdout
    assert any(line.startswith("Python 3.11.") for line in lines), proc.stdout


# ---- the journey on a foreign project ------------------------------------------------------------------


def _snapshot(project: Path) -> dict[str, str]:
    """sha256 of every file of the project except what dbt and dp generate."""
    hashes: dict[str, str] = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        generated = relative.parts[0] in GENERATED_DIRS or path.name.endswith(GENERATED_SUFFIXES)
        if path.is_file() and not generated:
            hashes[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _changes(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(name for name in set(before) & set(after) if before[name] != after[name]),
    }


def _mart_models(project: Path) -> set[str]:
    """The models under a marts folder: what `dp init` proposes in a project without public models."""
    return {path.stem for path in (project / "models").rglob("*.sql") if "marts" in path.parts}


def _proposed(project: Path) -> dict[str, str]:
    """model -> domain of every declaration `dp init` wrote (products/<domain>/<model>.yml, key `model:`)."""
    proposed: dict[str, str] = {}
    for path in sorted((project / "products").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and isinstance(data.get("model"), str), f"{path}: no top-level model:"
        relative = path.relative_to(project / "products")
        assert len(relative.parts) == 2, f"{path}: expected products/<domain>/<model>.yml"
        assert data["model"] == path.stem, f"{path}: declares {data['model']!r}"
        assert data["model"] not in proposed, f"{data['model']} declared twice"
        proposed[data["model"]] = relative.parts[0]
    return proposed


def test_build_init_nightly_on_a_foreign_project(venv: Venv, tmp_path: Path, timings: Timings) -> None:
    project = tmp_path / "corner_shop"
    shutil.copytree(
        FIXTURE, project, ignore=shutil.ignore_patterns(*GENERATED_DIRS, "*.duckdb", "*.duckdb.wal")
    )
    env = venv.env

    def step(name: str, *args: str, codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        assert shutil.which(args[0], path=env["PATH"]) == str(venv.root / "bin" / args[0])
        started = time.monotonic()
        proc = _run(list(args), cwd=project, env=env)
        timings.add(name, started)
        assert proc.returncode in codes, _shown(proc)
        return proc

    # the team's own build, as they run it every day
    step("dbt build (corner_shop)", "dbt", "build")
    assert (project / "corner_shop.duckdb").is_file(), "the profile's relative path is the warehouse"
    version = step("dp --version", "dp", "--version")
    assert all(name in version.stdout for name in ("dp ", *VERSIONED, "Python "))

    # dp init: proposes the mart models as products, writes declarations, suites and standards, never
    # edits the team's dbt files
    before_init = _snapshot(project)
    init = step("dp init", "dp", "init")
    after_init = _snapshot(project)
    wrote = _changes(before_init, after_init)
    assert not wrote["removed"] and not wrote["changed"], f"dp init changed the team's files: {wrote}"
    proposed = _proposed(project)
    assert proposed, f"dp init proposed no product\n{_shown(init)}"
    assert set(proposed) == _mart_models(project), (sorted(proposed), sorted(_mart_models(project)))
    expected = {f"products/{domain}/{model}.yml" for model, domain in proposed.items()}
    expected |= {f"expectations/{domain}/{model}.json" for model, domain in proposed.items()}
    expected.add("standards/conformed_columns.yml")
    assert expected <= set(wrote["added"]), sorted(expected - set(wrote["added"]))
    for model, domain in proposed.items():
        suite = json.loads((project / "expectations" / domain / f"{model}.json").read_text(encoding="utf-8"))
        assert isinstance(suite, dict), f"expectations/{domain}/{model}.json is not a suite"
    assert init.stdout.strip(), "dp init printed no plan"
    for model in proposed:
        assert model in init.stdout, f"dp init's plan does not name {model}\n{init.stdout}"

    # the nightly job judges exactly the proposed products
    step("dp nightly", "dp", "nightly", codes=(0, 1))
    reports = sorted(project.glob("runs/*/reports/*/slo_report.json"))
    assert reports, f"no SLO report in a run record under {project / 'runs'}"
    report: dict[str, Any] = json.loads(reports[-1].read_text(encoding="utf-8"))
    schema = json.loads((PACKAGE / "schemas" / "slo_report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    assert {p["name"] for p in report["products"]} == set(proposed), report["products"]
    assert {p["id"] for p in report["products"]} == {f"{d}.{m}" for m, d in proposed.items()}
    latest = project / "reports" / "latest" / "slo_report.json"
    if latest.is_file():  # a complete run publishes its report there too (docs/runs.md)
        published = json.loads(latest.read_text(encoding="utf-8"))
        assert {p["name"] for p in published["products"]} == set(proposed)

    # dp init again: nothing to do, nothing changed
    before_again = _snapshot(project)
    step("dp init (again)", "dp", "init")
    assert _changes(before_again, _snapshot(project)) == {"added": [], "removed": [], "changed": []}

    # dp check: advice for a project without contracts, owners or exposures; never a usage/config error
    check = step("dp check", "dp", "check", codes=(0, 1))
    advice = (check.stdout + check.stderr).lower()
    for topic in ("contract", "owner", "exposure"):
        assert topic in advice, f"dp check says nothing about {topic}s\n{_shown(check)}"
