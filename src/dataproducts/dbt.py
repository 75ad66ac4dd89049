"""Running dbt for the runner: a subprocess of the dbt installed beside this Python.

dbt runs in its own process so that its DuckDB connection is closed when it exits (DuckDB allows one writer)
and our read-only connections never meet a database instance dbt left open in this process. The profile
reads the warehouse path from ``DP_WAREHOUSE``; artifacts go to the project's target directory.

Like dbt Cloud, the runner installs the project's dbt packages (``packages.yml`` / ``dependencies.yml``) with
``dbt deps`` before a command that needs them, once, when one is not installed yet (``ensure_deps``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataproducts.config import ProjectConfig
from dataproducts.errors import DbtError


@dataclass(frozen=True)
class DbtInvocation:
    args: tuple[str, ...]
    returncode: int
    seconds: float
    output: str = ""  # what dbt printed, when it ran quietly

    def lock_conflict(self) -> str | None:
        """DuckDB's one line when another process held the warehouse's lock, else None."""
        for line in self.output.splitlines():
            if "Could not set lock on file" in line or "Conflicting lock is held" in line:
                return line.strip()
        return None

    @property
    def success(self) -> bool:
        return self.returncode == 0

    @property
    def crashed(self) -> bool:
        """dbt exits 2 when it could not run at all (bad project, profile, parse error)."""
        return self.returncode not in (0, 1)


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise DbtError("dbt is not installed in this environment (run `make install`)")
    return found


# dbt commands that load the project's packages: the runner installs missing ones first (not for `deps`).
NEEDS_PACKAGES = frozenset(
    {"build", "run", "test", "seed", "snapshot", "compile", "parse", "docs", "source", "ls", "list", "show"}
    | {"run-operation", "retry", "clone"}
)
PACKAGE_FILES = ("packages.yml", "dependencies.yml")  # dbt reads the first that lists packages
LOCK_FILE = "package-lock.yml"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping; {} when it is missing, unreadable or not a mapping (dbt reports those)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _package_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    entries = data.get("packages")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def package_spec(project_dir: Path) -> Path | None:
    """The file that lists the project's dbt packages (``packages.yml`` before ``dependencies.yml``), or None."""
    for name in PACKAGE_FILES:
        path = project_dir / name
        if path.is_file() and _package_entries(_yaml_mapping(path)):
            return path
    return None


def missing_packages(project_dir: Path) -> tuple[str, ...]:
    """The dbt packages the project lists but has not installed, by name (a local package not found by its
    path, or a package that was never locked, by its entry); () when all are installed or none is listed.

    Cheap: two small YAML files and a stat per package. A package counts as installed when
    ``<packages-install-path>/<name>/dbt_project.yml`` exists (what dbt itself looks for); the names come
    from ``package-lock.yml`` and, for ``local:`` packages, from the package's own ``dbt_project.yml``."""
    spec = package_spec(project_dir)
    if spec is None:
        return ()
    install = _yaml_mapping(project_dir / "dbt_project.yml").get("packages-install-path", "dbt_packages")
    if not isinstance(install, str) or "{{" in install:
        return ()  # a templated install path: leave the judgement to dbt
    install_dir = project_dir / install
    names: dict[str, None] = {}
    unlocked: list[str] = []
    for entry in _package_entries(_yaml_mapping(project_dir / LOCK_FILE)):
        if isinstance(entry.get("name"), str):
            names[entry["name"]] = None
    locked = bool(names)  # the lock names every package (git, hub, tarball and their dependencies)
    for entry in _package_entries(_yaml_mapping(spec)):
        local = entry.get("local")
        if isinstance(local, str) and "{{" not in local:
            name = _yaml_mapping(project_dir / local / "dbt_project.yml").get("name")
            if isinstance(name, str):
                names[name] = None
            else:
                unlocked.append(f"local: {local}")
        elif not locked:
            unlocked.append(next((f"{k}: {v}" for k, v in entry.items()), "?"))
    return (*unlocked, *(n for n in names if not (install_dir / n / "dbt_project.yml").is_file()))


def _deps_error(output: str) -> str:
    """The line of dbt's output that says why `dbt deps` failed."""
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if "Encountered an error" in line:
            for detail in lines[index + 1 :]:
                if not detail.endswith("Error") and not detail.startswith("Traceback"):
                    return detail[:300]
    return lines[-1][:300] if lines else "no output"


def ensure_deps(config: ProjectConfig, *, extra_env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Run ``dbt deps`` once when a package the project lists is not installed; returns the packages it
    installed (() when nothing was missing, the usual case: no dbt process is started then).

    Prints one line (stderr) when it ran; raises a one-line ``DbtError`` naming the packages file when
    `dbt deps` fails. Concurrent runners take turns (a lock on the packages file) and the later ones find
    the packages installed."""
    project_dir = config.project_dir
    if not missing_packages(project_dir):
        return ()
    spec = package_spec(project_dir)
    assert spec is not None  # missing_packages found one
    with spec.open("rb") as held:
        _lock(held)
        missing = missing_packages(project_dir)
        if not missing:
            return ()
        args = [dbt_executable(), "deps", "--quiet", "--project-dir", str(project_dir)]
        env = {**os.environ, **config.dbt_env(), **(extra_env or {}), "DBT_USE_COLORS": "false"}
        env.setdefault("DBT_LOG_PATH", str(project_dir / "logs"))
        started = time.perf_counter()
        try:
            proc = subprocess.run(args, cwd=project_dir, env=env, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise DbtError(f"cannot start dbt ({args[0]}): {exc}") from exc
        if proc.returncode != 0:
            why = _deps_error(f"{proc.stdout}\n{proc.stderr}")
            raise DbtError(f"{spec}: dbt deps could not install the packages it lists: {why}")
        still = missing_packages(project_dir)
        if still:
            raise DbtError(f"{spec}: dbt deps ran but did not install {', '.join(still)}")
    seconds = time.perf_counter() - started
    print(
        f"dp: dbt deps installed the packages of {spec.name} ({', '.join(missing)}) in {seconds:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return missing


def _lock(handle: Any) -> None:
    """An exclusive advisory lock on an open file until it is closed (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def run_dbt(
    config: ProjectConfig,
    command: Sequence[str],
    *,
    dbt_vars: Mapping[str, Any] | None = None,
    quiet: bool = False,
    extra_env: Mapping[str, str] | None = None,
    target_dir: Path | None = None,
) -> DbtInvocation:
    """Run ``dbt <command>`` on the project; returns dbt's exit code (0 ok, 1 failures, 2 could not run).
    ``target_dir``: where its artifacts go (default: the project's target directory). Missing dbt packages
    are installed first (``ensure_deps``)."""
    if command and command[0] in NEEDS_PACKAGES:
        ensure_deps(config, extra_env=extra_env)
    args = [
        dbt_executable(),
        *command,
        "--project-dir",
        str(config.project_dir),
        "--profiles-dir",
        str(config.profiles_dir),
        "--target-path",
        str(target_dir or config.target_dir),
    ]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    env = {**os.environ, **config.dbt_env(), **(extra_env or {})}
    env.setdefault("DBT_LOG_PATH", str(config.project_dir / "logs"))
    if not sys.stdout.isatty():
        env.setdefault("DBT_USE_COLORS", "false")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            args,
            cwd=config.project_dir,
            env=env,
            stdout=subprocess.PIPE if quiet else None,
            stderr=subprocess.STDOUT if quiet else None,
            check=False,
        )
    except OSError as exc:
        raise DbtError(f"cannot start dbt ({args[0]}): {exc}") from exc
    output = proc.stdout.decode(errors="replace")[-20000:] if quiet and proc.stdout else ""
    return DbtInvocation(tuple(args[1:]), proc.returncode, time.perf_counter() - started, output)
