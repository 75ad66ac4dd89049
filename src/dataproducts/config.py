"""Where a project's files live, resolved once with one precedence.

Precedence for every setting: command-line flag > environment variable (``DP_`` prefix) > the project's
``dataproducts.yml`` > default. The warehouse's default is the DuckDB file the project's own dbt profile
writes (``profile.py``), so ``dp`` reads what ``dbt build`` wrote on any project; ``--target`` (else
``DBT_TARGET``, else the profile's own target) picks the profile's output, and with it the warehouse: a
DuckDB file or a PostgreSQL database (``ProjectConfig.db``). Every path is resolved against the dbt project directory (the current
directory unless ``--project-dir``), never against where this package is installed, so two copies of the
project never touch each other's warehouse, artifacts, reports or history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataproducts.errors import ConfigError
from dataproducts.profile import (
    SUPPORTED_ADAPTERS,
    DbtProfile,
    _render,
    check_warehouse,
    profiles_dir,
    read_profile,
)
from dataproducts.warehouse import DuckDBWarehouse, PostgresWarehouse, SparkWarehouse, Warehouse

CONFIG_FILE = "dataproducts.yml"

# setting name -> (environment variable, default relative to the project directory)
_PATH_SETTINGS: dict[str, tuple[str, str]] = {
    "warehouse": ("DP_WAREHOUSE", "warehouse/dataproducts.duckdb"),
    "target_dir": ("DP_TARGET_DIR", "target"),
    "reports_dir": ("DP_REPORTS_DIR", "reports"),
    "history": ("DP_HISTORY", "warehouse/slo_history.duckdb"),
    "runs_dir": ("DP_RUNS_DIR", "runs"),
    "files_dir": ("DP_FILES_DIR", "files"),
    "api_tokens": ("DP_API_TOKENS", "api_tokens.json"),  # the data API's token hashes (dataproducts.api)
}
# sections read by their own packages (dataproducts.lineage, dataproducts.alerts), checked there
_SECTIONS = ("openlineage", "alerts")
DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 36500


@dataclass(frozen=True)
class ProjectConfig:
    """Resolved locations and settings of one dbt project."""

    project_dir: Path
    warehouse: Path
    target_dir: Path
    reports_dir: Path
    history: Path
    runs_dir: Path
    files_dir: Path  # the files port: published Parquet runs (dataproducts.files)
    retention_days: int = DEFAULT_RETENTION_DAYS
    settings: Mapping[str, Any] = field(default_factory=dict)
    profile: DbtProfile | None = None  # the project's dbt profile (profile.py), None when not read
    target: str | None = None  # dbt target asked for (--target); None: DBT_TARGET or the profile's own
    api_tokens: Path = Path("api_tokens.json")  # the data API's bearer token hashes (dataproducts.api.tokens)

    @property
    def db(self) -> Warehouse:
        """The warehouse the profile's target builds: the DuckDB file, the PostgreSQL database (its
        connection rendered now: a missing DP_PG_PASSWORD is a ConfigError naming the profile), or the Spark
        warehouse of a session target (read through a Spark session of ``dp``'s own)."""
        if self.profile is not None and self.profile.adapter == "postgres":
            pg = self.profile.postgres_target()
            schema = _render(self.profile.output.get("schema") or "public", pg.where, self.profile.environ)
            return PostgresWarehouse(pg.host, pg.port, pg.user, pg.password, pg.dbname, schema)
        if self.profile is not None and self.profile.adapter == "spark":
            from dataproducts.spark import spark_target

            spark = spark_target(self.profile, reader="dp")
            return SparkWarehouse(spark.target, tuple(spark.conf.items()), self.project_dir)
        return DuckDBWarehouse(self.warehouse)

    @property
    def on_duckdb(self) -> bool:
        """Whether the warehouse is a DuckDB file (locks, file checks and the compiled engine apply)."""
        return self.profile is None or self.profile.adapter not in ("postgres", "spark")

    @property
    def profiles_dir(self) -> Path:
        """Where dbt's profiles.yml is read from: DBT_PROFILES_DIR, the project, or ~/.dbt."""
        return self.profile.profiles_dir if self.profile else profiles_dir(self.project_dir)

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"

    @property
    def validation_dir(self) -> Path:
        return self.target_dir / "validation"

    @property
    def expectations_dir(self) -> Path:
        return self.project_dir / "expectations"

    def dbt_env(self) -> dict[str, str]:
        """Environment for dbt: the profile reads the warehouse path from ``DP_WAREHOUSE``; ``DBT_TARGET``
        is the target ``dp`` was given (dbt reads it as ``--target``)."""
        env = {
            "DP_WAREHOUSE": str(self.warehouse),
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }
        if self.target:
            env["DBT_TARGET"] = self.target
        return env

    @property
    def default_warehouse(self) -> str:
        """The warehouse path the profile uses when ``DP_WAREHOUSE`` is not set."""
        if self.profile and self.profile.path:
            return self.profile.path
        return _PATH_SETTINGS["warehouse"][1]


def _read_config_file(project_dir: Path) -> dict[str, Any]:
    path = project_dir / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return data


def load_config(
    project_dir: str | os.PathLike[str] | None = None,
    *,
    target: str | None = None,
    adapters: tuple[str, ...] = SUPPORTED_ADAPTERS,
    **overrides: Any,
) -> ProjectConfig:
    """Resolve the project's configuration.

    ``target`` is the dbt target (``--target``; else ``DBT_TARGET``, else the profile's own), ``adapters``
    the profile types the command works on (DuckDB only unless it says so). ``overrides`` are command-line
    values (``None`` means not given) for ``warehouse``, ``target_dir``, ``reports_dir``, ``history``,
    ``runs_dir``, ``files_dir`` and ``retention_days``.
    """
    raw_dir = project_dir if project_dir is not None else os.environ.get("DP_PROJECT_DIR") or "."
    root = Path(raw_dir).expanduser().resolve()
    if not root.is_dir():
        raise ConfigError(f"project directory {root} does not exist")
    if not (root / "dbt_project.yml").is_file():
        raise ConfigError(f"{root} is not a dbt project: no dbt_project.yml (use --project-dir)")
    file_settings = _read_config_file(root)
    unknown = sorted(set(file_settings) - {*_PATH_SETTINGS, "retention_days", *_SECTIONS})
    if unknown:
        raise ConfigError(
            f"{root / CONFIG_FILE}: unknown setting {unknown[0]!r} "
            f"(known: {', '.join([*_PATH_SETTINGS, 'retention_days', *_SECTIONS])})"
        )
    profile = read_profile(root, target=target)
    paths: dict[str, Path] = {}
    origins: dict[str, str] = {}
    for name, (env_var, default) in _PATH_SETTINGS.items():
        if name == "warehouse" and profile.path:
            default = profile.path  # where the project's own profile makes dbt write
        candidates = (
            (overrides.get(name), f"--{name.replace('_', '-')}"),
            (os.environ.get(env_var), env_var),
            (file_settings.get(name), f"{root / CONFIG_FILE}: {name}"),
        )
        value, origins[name] = next(((v, o) for v, o in candidates if v), (default, ""))
        if not isinstance(value, str | os.PathLike):
            raise ConfigError(f"{root / CONFIG_FILE}: {name}: expected a path, got {value!r}")
        path = Path(value).expanduser()
        paths[name] = path if path.is_absolute() else (root / path)
    check_warehouse(profile, root, paths["warehouse"], origins["warehouse"] or None, adapters)
    retention = _retention(overrides.get("retention_days"), root, file_settings)
    return ProjectConfig(
        project_dir=root,
        settings=file_settings,
        retention_days=retention,
        profile=profile,
        target=target,
        **paths,
    )


def _retention(flag: Any, root: Path, file_settings: Mapping[str, Any]) -> int:
    """Days of run records to keep: flag > ``DP_RETENTION_DAYS`` > ``retention_days`` > 30."""
    if flag is not None:
        value, origin = flag, "--retention-days"
    elif os.environ.get("DP_RETENTION_DAYS"):
        value, origin = os.environ["DP_RETENTION_DAYS"], "DP_RETENTION_DAYS"
    elif "retention_days" in file_settings:
        value, origin = file_settings["retention_days"], f"{root / CONFIG_FILE}: retention_days"
    else:
        return DEFAULT_RETENTION_DAYS
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"{origin}: expected a number of days from 1 to {MAX_RETENTION_DAYS}, got {value!r}"
        )
    return value
