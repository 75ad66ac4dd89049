"""Running dbt for the runner: a subprocess of the dbt installed beside this Python.

dbt runs in its own process so that its DuckDB connection is closed when it exits (DuckDB allows one writer)
and our read-only connections never meet a database instance dbt left open in this process. The profile
reads the warehouse path from ``DP_WAREHOUSE``; artifacts go to the project's target directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    ``target_dir``: where its artifacts go (default: the project's target directory)."""
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
