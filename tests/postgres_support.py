"""A real, throwaway PostgreSQL server for tests, started and stopped through ``scripts/postgres``.

``running_server()`` starts one on a free loopback port with a data folder of its own (``DP_PG_ROOT``: a
fresh temporary folder), so pytest-xdist workers and two checkouts never share a server, and stops and
removes it afterwards. ``tests/conftest.py`` exposes it as the session fixture ``postgres_server``. When
Debian's server binaries are missing the fixture fails, saying so: it never skips (``.ci/run`` installs
the ``postgresql`` package; ``apt-get install postgresql`` does by hand).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "postgres"
HOST = "127.0.0.1"
_START_ATTEMPTS = 3  # a free port can be taken by another process between finding it and starting


@dataclass(frozen=True)
class PostgresServer:
    """A running server's admin connection (what ``scripts/postgres status`` prints) and its folder."""

    host: str
    port: int
    user: str
    password: str
    database: str
    root: Path  # DP_PG_ROOT: the server's data and log folders are below it

    def env(self) -> dict[str, str]:
        """The ``DP_PG_*`` variables the ``postgres`` target of profiles.yml reads."""
        return {
            "DP_PG_HOST": self.host,
            "DP_PG_PORT": str(self.port),
            "DP_PG_USER": self.user,
            "DP_PG_PASSWORD": self.password,
            "DP_PG_DATABASE": self.database,
            "DP_PG_ROOT": str(self.root),
        }

    def connect(self, user: str | None = None, password: str | None = None, **options: Any) -> Any:
        """A psycopg2 connection (autocommit) as the admin, or as ``user`` with ``password``."""
        import psycopg2

        con = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=user or self.user,
            password=self.password if user is None else password,
            dbname=options.pop("dbname", self.database),
            connect_timeout=10,
            **options,
        )
        con.autocommit = True
        return con

    def fresh_database(self, name: str) -> PostgresServer:
        """This server with a new, empty database ``name`` (dropped first when it exists): a test module
        builds the project in a database of its own, so modules sharing the session's server never see each
        other's relations (roles are the cluster's, shared)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        con = self.connect(dbname="postgres")
        try:
            with con.cursor() as cur:
                cur.execute(f"drop database if exists {name} with (force)")
                cur.execute(f"create database {name}")
        finally:
            con.close()
        return dataclasses.replace(self, database=name)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Rows of one statement run as the admin."""
        con = self.connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            con.close()


def binaries_missing() -> str | None:
    """Why no server can be started here (None when Debian's or the PATH's initdb and pg_ctl exist)."""
    if os.environ.get("DP_PG_BIN"):
        folder = Path(os.environ["DP_PG_BIN"])
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return None
        return f"DP_PG_BIN={folder} holds no initdb and pg_ctl"
    for folder in Path("/usr/lib/postgresql").glob("*/bin"):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return None
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return None
    return (
        "PostgreSQL server binaries (initdb, pg_ctl) are missing: not in /usr/lib/postgresql/*/bin nor on "
        "PATH. Install Debian's postgresql package (apt-get install postgresql; .ci/run does) to run the "
        "PostgreSQL tests"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def script(
    action: str, *args: str, port: int, root: Path, project: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """``<project>/scripts/postgres ACTION`` for the server on ``port`` below ``root``."""
    env = {**os.environ, "DP_PG_PORT": str(port), "DP_PG_ROOT": str(root)}
    return subprocess.run(
        [str(project / "scripts" / "postgres"), action, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def parse_status(stdout: str) -> dict[str, str]:
    """``NAME=value`` lines into a mapping (the format ``scripts/postgres status`` prints)."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip()
    return values


def make_root() -> Path:
    """A fresh folder for a server's data, traversable (not readable) by the `postgres` user that runs it
    when the tests run as root."""
    root = Path(tempfile.mkdtemp(prefix="dp-pg-test-", dir="/tmp"))
    root.chmod(0o711)
    return root


def start_server(root: Path, project: Path = REPO) -> PostgresServer:
    """``scripts/postgres up`` on a free port below ``root``; the connection ``status`` prints."""
    reason = binaries_missing()
    if reason:
        raise RuntimeError(reason)
    failures: list[str] = []
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        up = script("up", port=port, root=root, project=project)
        if up.returncode != 0:
            failures.append(up.stderr.strip())
            if "taken by another program" in up.stderr:
                script("down", "--purge", port=port, root=root, project=project)
                continue
            break
        status = script("status", port=port, root=root, project=project)
        if status.returncode != 0:
            raise RuntimeError(f"scripts/postgres status after up failed: {status.stderr.strip()}")
        values = parse_status(status.stdout)
        return PostgresServer(
            host=values["DP_PG_HOST"],
            port=int(values["DP_PG_PORT"]),
            user=values["DP_PG_USER"],
            password=values["DP_PG_PASSWORD"],
            database=values["DP_PG_DATABASE"],
            root=root,
        )
    raise RuntimeError("scripts/postgres up failed: " + " | ".join(failures))


def stop_server(server: PostgresServer, project: Path = REPO) -> None:
    """``scripts/postgres down --purge``: the server stopped, its data and log folders removed."""
    down = script("down", "--purge", port=server.port, root=server.root, project=project)
    if down.returncode != 0:
        raise RuntimeError(f"scripts/postgres down failed: {down.stderr.strip()}")


@contextlib.contextmanager
def running_server(project: Path = REPO) -> Iterator[PostgresServer]:
    """A server for the duration of the block, stopped and removed afterwards (also on errors)."""
    root = make_root()
    try:
        server = start_server(root, project)
        try:
            yield server
        finally:
            stop_server(server, project)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def dbt_on_postgres(
    server: PostgresServer, workdir: Path, *args: str, project: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI on ``project``'s ``postgres`` target (the server's DP_PG_* variables), its target and
    log folders under ``workdir``."""
    env = {**os.environ, **server.env(), "DO_NOT_TRACK": "1"}
    command = [
        dbt_executable(),
        *args,
        "--target",
        "postgres",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)


def dp_on_postgres(
    server: PostgresServer, workdir: Path, *args: str, project: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """The real ``dp`` command line with the server's DP_PG_* variables and its warehouse, landing file and
    run records under ``workdir`` (``dp generate --target postgres ...``)."""
    env = {**os.environ, **server.env(), "DO_NOT_TRACK": "1"}
    command = [
        sys.executable,
        "-m",
        "dataproducts",
        *args,
        "--project-dir",
        str(project),
        "--warehouse",
        str(workdir / "warehouse.duckdb"),
        "--runs-dir",
        str(workdir / "runs"),
    ]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
