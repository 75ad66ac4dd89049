"""The project's dbt profile, read the way dbt reads it: where dbt writes the warehouse.

A project adopting ``dp`` keeps its own ``profiles.yml``: in the project directory, in ``DBT_PROFILES_DIR`` or
in ``~/.dbt`` (the same order dbt follows; ``dp`` always runs dbt from the project directory). The profile
named by ``dbt_project.yml`` (``DBT_PROFILE`` overrides it) and its target (``DBT_TARGET``, else the
profile's ``target``; ``dp --target`` overrides both) say which adapter dbt uses and where it writes:

* ``type: duckdb``: the file at ``path`` is the warehouse ``dp`` reads, unless ``--warehouse`` /
  ``DP_WAREHOUSE`` / ``dataproducts.yml`` say otherwise, and then the profile's path must read
  ``env_var('DP_WAREHOUSE')`` so that dbt writes the same file.
* ``type: postgres``: the server and database at ``host``/``port``/``user``/``password``/``dbname`` (dbt's
  own keys; ``pass`` and ``database`` are dbt's aliases), ``schema`` the target's default schema.

Only those keys are rendered, with ``env_var`` and dbt's ``as_*`` filters: no dbt import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from dataproducts.errors import ConfigError
from dataproducts.fileio import read_yaml

PROFILES_FILE = "profiles.yml"
WAREHOUSE_ENV = "DP_WAREHOUSE"
SUPPORTED_ADAPTERS = ("duckdb", "postgres")
IN_MEMORY = (":memory:", "")


@dataclass(frozen=True)
class PostgresOutput:
    """A ``type: postgres`` output of the profile, rendered: where dbt builds and ``dp`` reads."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    schema: str


@dataclass(frozen=True)
class DbtProfile:
    """What ``dp`` needs of the project's dbt profile (every field None when there is no profile)."""

    profiles_dir: Path
    file: Path | None = None  # the profiles.yml read, None when none was found
    name: str | None = None
    target: str | None = None
    adapter: str | None = None
    path: str | None = None  # the DuckDB path, rendered without DP_WAREHOUSE: where dbt writes by default
    reads_warehouse_env: bool = False  # the path reads env_var('DP_WAREHOUSE')
    postgres: PostgresOutput | None = None  # a postgres target's connection, rendered

    @property
    def where(self) -> str:
        return f"{self.file}: profile {self.name!r}, target {self.target!r}"


def profiles_dir(project_dir: Path, environ: Mapping[str, str] | None = None) -> Path:
    """``DBT_PROFILES_DIR``, else the project directory when it holds a profiles.yml, else ``~/.dbt``."""
    env = os.environ if environ is None else environ
    if env.get("DBT_PROFILES_DIR"):
        given = Path(env["DBT_PROFILES_DIR"]).expanduser()
        return given if given.is_absolute() else (project_dir / given).resolve()
    if (project_dir / PROFILES_FILE).is_file():
        return project_dir
    return Path.home() / ".dbt"


class _Missing(Exception):
    pass


def _render(text: Any, where: str, environ: Mapping[str, str]) -> str:
    """Render one profile value with dbt's ``env_var`` and ``as_*`` filters."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    if "{" not in text:
        return text

    def env_var(name: str, default: Any = None) -> str:
        if name in environ:
            return environ[name]
        if default is None:
            raise _Missing(name)
        return str(default)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    for name in ("as_text", "as_number", "as_bool", "as_native"):
        env.filters[name] = lambda value: value
    try:
        return env.from_string(text).render(env_var=env_var).strip()
    except _Missing as exc:
        raise ConfigError(f"{where}: env var {exc} is not set and has no default") from exc
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{where}: cannot render {text!r} ({exc.__class__.__name__}: {exc})") from exc


def read_profile(
    project_dir: Path, environ: Mapping[str, str] | None = None, *, target: str | None = None
) -> DbtProfile:
    """The project's profile and target, as dbt would pick them (``target``, e.g. ``dp --target``, before
    ``DBT_TARGET`` and the profile's own); a profile that cannot be found is not an error here (``dp check``
    and ``dp diff`` parse without one): dbt says so when it runs."""
    env = dict(os.environ if environ is None else environ)
    directory = profiles_dir(project_dir, env)
    file = directory / PROFILES_FILE
    project = read_yaml(project_dir / "dbt_project.yml")
    profile_name = env.get("DBT_PROFILE") or (project.get("profile") if isinstance(project, dict) else None)
    if not file.is_file() or not isinstance(profile_name, str):
        if target:
            raise ConfigError(f"--target {target}: no dbt profile found ({file} is not there)")
        return DbtProfile(profiles_dir=directory)
    profiles = read_yaml(file)
    profile = profiles.get(profile_name) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict):
        if target:
            raise ConfigError(f"--target {target}: {file} has no profile {profile_name!r}")
        return DbtProfile(profiles_dir=directory, file=file, name=profile_name)
    where = f"{file}: profile {profile_name!r}"
    given = target
    target = target or env.get("DBT_TARGET") or _render(profile.get("target", "default"), where, env)
    outputs = profile.get("outputs")
    output = outputs.get(target) if isinstance(outputs, dict) else None
    if not isinstance(output, dict):
        known = ", ".join(sorted(outputs)) if isinstance(outputs, dict) else "none"
        origin = "--target" if given else ("DBT_TARGET" if env.get("DBT_TARGET") else "its target")
        raise ConfigError(f"{where}: no output named {target!r} ({origin}; outputs: {known})")
    where = f"{where}, target {target!r}"
    adapter = _render(output.get("type"), f"{where}: type", env)
    raw_path = output.get("path")
    path = None
    if adapter == "duckdb":
        without = {k: v for k, v in env.items() if k != WAREHOUSE_ENV}
        path = _render(raw_path if raw_path is not None else ":memory:", f"{where}: path", without)
    postgres = _postgres_output(output, where, env) if adapter == "postgres" else None
    return DbtProfile(
        profiles_dir=directory,
        file=file,
        name=profile_name,
        target=target,
        adapter=adapter,
        path=path,
        reads_warehouse_env=isinstance(raw_path, str) and WAREHOUSE_ENV in raw_path,
        postgres=postgres,
    )


def _postgres_output(output: Mapping[str, Any], where: str, env: Mapping[str, str]) -> PostgresOutput:
    """A postgres output's connection keys, rendered (dbt's aliases ``pass`` and ``database`` accepted)."""

    def key(*names: str, required: bool = True) -> str:
        for name in names:
            if output.get(name) is not None:
                return _render(output[name], f"{where}: {name}", env)
        if required:
            raise ConfigError(f"{where}: type postgres needs {names[0]!r}")
        return ""

    port = key("port", required=False) or "5432"
    if not port.isdigit():
        raise ConfigError(f"{where}: port {port!r} is not a number")
    return PostgresOutput(
        host=key("host"),
        port=int(port),
        user=key("user"),
        password=key("password", "pass", required=False),
        dbname=key("dbname", "database"),
        schema=key("schema", required=False) or "public",
    )


def check_warehouse(profile: DbtProfile, project_dir: Path, warehouse: Path, origin: str | None) -> None:
    """Refuse a profile ``dp`` cannot follow: another adapter, an in-memory DuckDB, or a warehouse set by
    ``origin`` (a flag, env var or dataproducts.yml) that dbt would not write because its path is fixed."""
    if profile.adapter is None:
        return
    if profile.adapter not in SUPPORTED_ADAPTERS:
        raise ConfigError(
            f"{profile.where}: type {profile.adapter!r}: dp reads DuckDB and PostgreSQL warehouses only "
            "(type: duckdb or postgres)"
        )
    if profile.adapter == "postgres":  # a DuckDB file set by DP_WAREHOUSE or dataproducts.yml is not read
        if origin == "--warehouse":
            raise ConfigError(
                f"{origin} {warehouse}: target {profile.target!r} builds on PostgreSQL, not in a DuckDB file "
                f"({profile.where}); leave {origin} out or choose a duckdb target"
            )
        return
    if profile.path in IN_MEMORY or str(profile.path).startswith("md:"):
        raise ConfigError(
            f"{profile.where}: path {profile.path!r}: dp needs a DuckDB file that outlives the dbt run"
        )
    if origin is None or profile.reads_warehouse_env or profile.path is None:
        return
    fixed = Path(profile.path).expanduser()
    fixed = fixed if fixed.is_absolute() else project_dir / fixed
    if fixed.resolve() != warehouse.resolve():
        raise ConfigError(
            f"{origin} {warehouse}: dbt writes {profile.path} ({profile.where}); let its path read "
            f"\"{{{{ env_var('{WAREHOUSE_ENV}', '{profile.path}') }}}}\" or leave {origin} out"
        )
