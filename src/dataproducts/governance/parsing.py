"""Getting a manifest to govern: ``dbt parse`` (fast, no warehouse), or a given manifest file.

When dbt refuses to parse the project because a model or exposure references another group's private model,
the project still has to be *reported*, in our words, with the product and rule: dbt's own error message
names the referencing node, the private node and its group, and that is read into ``RefusedReference``s
(the runner never patches or imports dbt internals to get further). Only a parse error we cannot explain is
an input error.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dataproducts.artifacts import Manifest, load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.dbt import dbt_executable, ensure_deps
from dataproducts.declarations import SNAPSHOT_FILE, read_declarations
from dataproducts.errors import DbtError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# dbt's DbtReferenceError, e.g. "Node exposure.dataproducts.x attempted to reference node
# model.dataproducts.int_y, which is not allowed because the referenced node is private to the 'sales' group."
_REFERENCE_ERROR = re.compile(
    r"Node (?P<node>\S+) attempted to reference node (?P<target>\S+), which is not allowed because the "
    r"referenced node is (?P<access>private|protected) to the '(?P<scope>[^']+)' (?P<kind>group|package)"
)


@dataclass(frozen=True)
class RefusedReference:
    """One forbidden reference read from dbt's error message."""

    node: str
    target: str
    access: str
    scope: str


@dataclass(frozen=True)
class ManifestSource:
    """A manifest to govern, or (when nothing could be parsed) the references dbt refused."""

    manifest: Manifest | None
    path: Path | None
    notes: tuple[str, ...] = ()
    refused: tuple[RefusedReference, ...] = ()


def _dbt_output(proc: subprocess.CompletedProcess[str]) -> str:
    return _ANSI.sub("", f"{proc.stdout or ''}\n{proc.stderr or ''}")


def _error_summary(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "Encountered an error" in line or "Error" in line.split(":")[0]:
            detail = " ".join(lines[index + 1 : index + 3])
            return detail or line
    return lines[-1] if lines else "no output"


def _parse(config: ProjectConfig, target: Path) -> tuple[int, str]:
    ensure_deps(config)  # a fresh clone: the project's packages (packages.yml) are installed first
    args = [
        dbt_executable(),
        "parse",
        "--quiet",
        "--project-dir",
        str(config.project_dir),
        "--profiles-dir",
        str(config.profiles_dir),
        "--target-path",
        str(target),
    ]
    env = {**os.environ, **config.dbt_env(), "DBT_USE_COLORS": "false"}
    env.setdefault("DBT_LOG_PATH", str(config.project_dir / "logs"))
    try:
        proc = subprocess.run(
            args, cwd=config.project_dir, env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise DbtError(f"cannot start dbt ({args[0]}): {exc}") from exc
    return proc.returncode, _dbt_output(proc)


def parse_manifest(config: ProjectConfig) -> ManifestSource:
    """``dbt parse`` the project into a private folder of its own, never the project's target directory
    (whose artifacts a run is judged on); see the module docstring for failures."""
    with tempfile.TemporaryDirectory(prefix="dp-parse-") as private:
        code, output = _parse(config, Path(private))
        if code == 0:
            path = Path(private) / "manifest.json"
            manifest = load_manifest(path).declare(read_declarations(config.project_dir))
            return ManifestSource(manifest, Path("(dbt parse)"))
    refused = tuple(
        RefusedReference(m["node"], m["target"], m["access"], m["scope"])
        for m in _REFERENCE_ERROR.finditer(output)
    )
    summary = _error_summary(output)
    if not refused:
        raise DbtError(f"dbt parse failed: {summary}")
    note = f"dbt parse refused the project ({summary})"
    return ManifestSource(
        None,
        None,
        notes=(f"{note}; only the refused references could be checked until it parses",),
        refused=refused,
    )


def manifest_from(config: ProjectConfig, manifest_path: Path | None) -> ManifestSource:
    """The manifest at ``manifest_path`` when given, else a fresh ``dbt parse`` of the project."""
    if manifest_path is not None:
        path = Path(manifest_path)
        manifest = load_manifest(path)  # a run record's manifest keeps the declarations of its run
        if not (path.parent / SNAPSHOT_FILE).is_file():
            manifest.declare(read_declarations(config.project_dir))
        return ManifestSource(manifest, path)
    return parse_manifest(config)
