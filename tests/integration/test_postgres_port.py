"""The PostgreSQL port: a real server started by scripts/postgres, the landing data loaded into it by
``dp generate --target postgres``, and ``dbt build --target postgres`` giving every product the same
relations, columns, types and row counts as the DuckDB build of the same data.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from postgres_support import REPO, PostgresServer, free_port, make_root, parse_status, script

pytestmark = pytest.mark.integration


# --- scripts/postgres -------------------------------------------------------------------------------------


def _postmaster_pid(root: Path, port: int) -> int:
    [data] = root.glob(f"dp-postgres-*-{port}/data")
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def test_up_status_down_are_idempotent(postgres_server: PostgresServer) -> None:
    # a server of its own: the session's is not stopped under the other tests (the fixture proves the
    # binaries are there, so this test fails instead of erroring when they are not)
    root, port = make_root(), free_port()
    try:
        down = script("status", port=port, root=root)
        assert down.returncode == 1 and down.stdout == ""
        assert down.stderr.count("\n") == 1 and f"not running on 127.0.0.1:{port}" in down.stderr

        assert script("up", port=port, root=root).returncode == 0
        pid = _postmaster_pid(root, port)
        again = script("up", port=port, root=root)
        assert again.returncode == 0 and "already running" in again.stderr
        assert _postmaster_pid(root, port) == pid  # up twice = one server

        status = script("status", port=port, root=root)
        assert status.returncode == 0
        values = parse_status(status.stdout)
        assert list(values) == ["DP_PG_HOST", "DP_PG_PORT", "DP_PG_USER", "DP_PG_PASSWORD", "DP_PG_DATABASE"]
        assert values["DP_PG_HOST"] == "127.0.0.1" and values["DP_PG_PORT"] == str(port)
        server = PostgresServer(
            host=values["DP_PG_HOST"],
            port=port,
            user=values["DP_PG_USER"],
            password=values["DP_PG_PASSWORD"],
            database=values["DP_PG_DATABASE"],
            root=root,
        )
        assert server.query("select current_database(), current_user") == [
            (values["DP_PG_DATABASE"], values["DP_PG_USER"])
        ]
        [password_file] = root.glob(f"dp-postgres-*-{port}/admin.password")
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert password_file.read_text().strip() == values["DP_PG_PASSWORD"]

        assert script("down", port=port, root=root).returncode == 0
        assert script("status", port=port, root=root).returncode == 1
        twice = script("down", port=port, root=root)
        assert twice.returncode == 0 and "not running" in twice.stderr  # down when down = ok

        # up again: the same cluster (its password) comes back
        assert script("up", port=port, root=root).returncode == 0
        assert parse_status(script("status", port=port, root=root).stdout) == values
        purged = script("down", "--purge", port=port, root=root)
        assert purged.returncode == 0 and not list(root.glob("dp-postgres-*"))
    finally:
        script("down", "--purge", port=port, root=root)
        shutil.rmtree(root, ignore_errors=True)


def test_the_server_listens_on_loopback_only_and_wants_passwords(postgres_server: PostgresServer) -> None:
    import psycopg2

    settings = dict(
        postgres_server.query(
            "select name, setting from pg_settings where name in "
            "('listen_addresses', 'unix_socket_directories', 'password_encryption')"
        )
    )
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",
        "password_encryption": "scram-sha-256",
    }
    methods = {row[0] for row in postgres_server.query("select auth_method from pg_hba_file_rules")}
    assert methods == {"scram-sha-256"}  # no trust, no peer
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        postgres_server.connect(user=postgres_server.user, password="wrong")


def test_two_copies_of_the_project_never_share_a_server(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    # another copy of the project (scripts/postgres keys its cluster by the project's path) asking for the
    # session server's port: not its server, and the port clash is one clear line
    other = tmp_path / "other"
    (other / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "postgres", other / "scripts" / "postgres")
    port, root = postgres_server.port, postgres_server.root
    status = script("status", port=port, root=root, project=other)
    assert status.returncode == 1 and "not running" in status.stderr
    clash = script("up", port=port, root=root, project=other)
    assert clash.returncode == 2
    assert clash.stderr.strip().count("\n") == 0
    assert f"port {port} on 127.0.0.1 is taken by another program: set DP_PG_PORT" in clash.stderr
    script("down", "--purge", port=port, root=root, project=other)
    # the session's server is untouched
    assert postgres_server.query("select 1") == [(1,)]


def test_a_bad_port_is_a_usage_error() -> None:
    bad = script("status", port=0, root=Path("/tmp"))
    assert bad.returncode == 2 and "DP_PG_PORT must be a port number" in bad.stderr
    env = {**os.environ, "DP_PG_PORT": "x"}
    import subprocess

    usage = subprocess.run(
        [str(REPO / "scripts" / "postgres"), "restart"], env=env, capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1
