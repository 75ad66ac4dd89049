"""The project's dbt profile, read the way dbt reads it: where dbt writes the warehouse.

A project adopting ``dp`` keeps its own ``profiles.yml``: in the project directory, in ``DBT_PROFILES_DIR`` or
in ``~/.dbt`` (the same order dbt follows; ``dp`` always runs dbt from the project directory). The profile
named by ``dbt_project.yml`` (``DBT_PROFILE`` overrides it) and its target (``DBT_TARGET``, else the
profile's ``target``) say which adapter dbt uses and, for DuckDB, which file it writes: that file is the
warehouse ``dp`` reads, unless ``--warehouse`` / ``DP_WAREHOUSE`` / ``dataproducts.yml`` say otherwise, and
then the profile's path must read ``env_var('DP_WAREHOUSE')`` so that dbt writes the same file.

Only ``type`` and ``path`` are rendered (and, for a PostgreSQL target, its connection: ``host``, ``port``,
``user``, ``password``, ``dbname``), with ``env_var`` and dbt's ``as_*`` filters: no dbt import.
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
SUPPORTED_ADAPTERS = ("duckdb",)  # what every command reads; some also run on POSTGRES_ADAPTERS
POSTGRES_ADAPTERS = ("duckdb", "postgres")
TARGET_ADAPTERS = ("duckdb", "postgres", "spark")  # dp validate, report, check and nightly (--target)
LANDING_ADAPTERS = ("duckdb", "postgres", "spark")  # dp generate: DuckDB, or a copy loaded into the target
IN_MEMORY = (":memory:", "")


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL target's admin connection, rendered from the profile (``DP_PG_*`` in this project's)."""

    target: str
    where: str  # the profile file, profile and target it came from
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str

    def describe(self) -> str:
        return f"PostgreSQL {self.user}@{self.host}:{self.port}/{self.dbname}"


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
    output: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)  # the target's, raw
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)  # it renders with

    def postgres_target(self) -> PostgresTarget:
        """The admin connection of this (postgres) target, rendered now: a missing value is a ConfigError."""
        if self.adapter != "postgres" or self.target is None:
            raise ConfigError(f"{self.where}: type {self.adapter!r}, not a postgres target")
        return _postgres(self.output, self.target, self.where, self.environ)

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
    project_dir: Path, environ: Mapping[str, str] | None = None, target: str | None = None
) -> DbtProfile:
    """The project's profile and target, as dbt would pick them (``target``, like dbt's ``--target``, first,
    then ``DBT_TARGET``, then the profile's); a profile that cannot be found is not an error here (``dp check``
    and ``dp diff`` parse without one): dbt says so when it runs."""
    env = dict(os.environ if environ is None else environ)
    directory = profiles_dir(project_dir, env)
    file = directory / PROFILES_FILE
    project = read_yaml(project_dir / "dbt_project.yml")
    profile_name = env.get("DBT_PROFILE") or (project.get("profile") if isinstance(project, dict) else None)
    if not file.is_file() or not isinstance(profile_name, str):
        return DbtProfile(profiles_dir=directory)
    profiles = read_yaml(file)
    profile = profiles.get(profile_name) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict):
        return DbtProfile(profiles_dir=directory, file=file, name=profile_name)
    where = f"{file}: profile {profile_name!r}"
    target = target or env.get("DBT_TARGET") or _render(profile.get("target", "default"), where, env)
    outputs = profile.get("outputs")
    output = outputs.get(target) if isinstance(outputs, dict) else None
    if not isinstance(output, dict):
        raise ConfigError(f"{where}: no output named {target!r} (its target)")
    where = f"{where}, target {target!r}"
    adapter = _render(output.get("type"), f"{where}: type", env)
    raw_path = output.get("path")
    path = None
    if adapter == "duckdb":
        without = {k: v for k, v in env.items() if k != WAREHOUSE_ENV}
        path = _render(raw_path if raw_path is not None else ":memory:", f"{where}: path", without)
    return DbtProfile(
        profiles_dir=directory,
        file=file,
        name=profile_name,
        target=target,
        adapter=adapter,
        path=path,
        reads_warehouse_env=isinstance(raw_path, str) and WAREHOUSE_ENV in raw_path,
        output=output,
        environ=env,
    )


def _postgres(output: Mapping[str, Any], target: str, where: str, env: Mapping[str, str]) -> PostgresTarget:
    """The connection a postgres output names, rendered as dbt renders it."""
    values = {key: _render(output.get(key), f"{where}: {key}", env) for key in ("host", "port", "user")}
    password = _render(output.get("password", output.get("pass")), f"{where}: password", env)
    dbname = _render(output.get("dbname", output.get("database")), f"{where}: dbname", env)
    for key, value in (*values.items(), ("dbname", dbname)):
        if not value:
            raise ConfigError(f"{where}: {key} is empty (a postgres target needs host, port, user, dbname)")
    port = values["port"]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{where}: port: expected a port number, got {port!r}")
    return PostgresTarget(
        target=target,
        where=where,
        host=values["host"],
        port=int(port),
        user=values["user"],
        password=password,
        dbname=dbname,
    )


def check_warehouse(
    profile: DbtProfile,
    project_dir: Path,
    warehouse: Path,
    origin: str | None,
    adapters: tuple[str, ...] = SUPPORTED_ADAPTERS,
) -> None:
    """Refuse a profile ``dp`` cannot follow: another adapter than ``adapters`` (the command's), an in-memory
    DuckDB, or a warehouse set by ``origin`` (a flag, env var or dataproducts.yml) that dbt would not write
    because its path is fixed."""
    if profile.adapter is None:
        return
    if profile.adapter not in adapters:
        if adapters == SUPPORTED_ADAPTERS:
            raise ConfigError(
                f"{profile.where}: type {profile.adapter!r}: dp reads DuckDB warehouses only (type: duckdb)"
            )
        names = " or ".join(f"type: {name}" for name in adapters)
        raise ConfigError(f"{profile.where}: type {profile.adapter!r}: this dp command works on {names} only")
    if profile.adapter != "duckdb":
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
