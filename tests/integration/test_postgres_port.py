"""The PostgreSQL port: a real server started by scripts/postgres, the landing data loaded into it by
``dp generate --target postgres``, and ``dbt build --target postgres`` giving every product the same
relations, columns, types and rows as the DuckDB build of the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import AS_OF, SMALL_SCALE, BuiltProject
from dataproducts.governance.standards import normalize_type
from postgres_support import (
    REPO,
    PostgresServer,
    dbt_on_postgres,
    dp_on_postgres,
    free_port,
    make_root,
    parse_status,
    script,
)

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
    usage = subprocess.run(
        [str(REPO / "scripts" / "postgres"), "restart"], env=env, capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1


# --- the landing data and the build -----------------------------------------------------------------------

PRODUCT_SCHEMAS = ("customers", "sales", "operations", "marketing")
INCREMENTAL = "config.materialized:incremental"


@dataclass(frozen=True)
class PgBuild:
    server: PostgresServer
    workdir: Path
    duckdb: BuiltProject  # the same data built on DuckDB (conftest's built_clean)
    generated: subprocess.CompletedProcess[str]
    appended: subprocess.CompletedProcess[str]
    build: subprocess.CompletedProcess[str]

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return dbt_on_postgres(
            self.server, self.workdir, *args, "--vars", json.dumps({"as_of": AS_OF.isoformat()})
        )

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads((self.workdir / "target" / "manifest.json").read_text()))


@pytest.fixture(scope="module")
def pg_build(
    postgres_server: PostgresServer, built_clean: BuiltProject, tmp_path_factory: pytest.TempPathFactory
) -> PgBuild:
    """The DuckDB build's data (scale 0.02, seed 7, as of AS_OF, origin 730 days before) generated a day
    early and appended to AS_OF by dp generate --target postgres, in a database of this module's own, and
    built there once by dbt build --target postgres."""
    server = postgres_server.fresh_database("test_postgres_port")
    workdir = tmp_path_factory.mktemp("pg-build")
    origin = (AS_OF - dt.timedelta(days=730)).isoformat()
    day_before = (AS_OF - dt.timedelta(days=1)).isoformat()
    generated = dp_on_postgres(
        server, workdir, "generate", "--target", "postgres", "--scale", str(SMALL_SCALE), "--seed", "7",
        "--as-of", day_before, "--history-start", origin,
    )  # fmt: skip
    appended = dp_on_postgres(
        server, workdir, "generate", "--target", "postgres", "--append", "--as-of", AS_OF.isoformat()
    )
    build = dbt_on_postgres(server, workdir, "build", "--vars", json.dumps({"as_of": AS_OF.isoformat()}))
    return PgBuild(server, workdir, built_clean, generated, appended, build)


def test_dp_generate_loads_the_landing_schemas(pg_build: PgBuild) -> None:
    assert pg_build.generated.returncode == 0, pg_build.generated.stderr
    assert pg_build.appended.returncode == 0, pg_build.appended.stderr
    assert "loaded 10 landing tables" in pg_build.appended.stdout
    assert (pg_build.workdir / "landing_postgres.duckdb").is_file()
    # the same landing tables, row for row counted, as the DuckDB warehouse generated at once
    with duckdb.connect(str(pg_build.duckdb.config.warehouse), read_only=True) as con:
        tables = con.sql(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('raw_crm', 'raw_shop', 'raw_telemetry', 'raw_meta') order by 1"
        ).fetchall()
        expected = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in tables}  # type: ignore[index]
    loaded = {name: pg_build.server.query(f"select count(*) from {name}")[0][0] for name in expected}
    assert loaded == expected and loaded["raw_shop.orders"] > 0
    assert pg_build.server.query("select as_of from raw_meta.landing_state") == [(AS_OF,)]


def test_an_append_the_server_does_not_hold_is_refused(pg_build: PgBuild, tmp_path: Path) -> None:
    # another landing file (a fresh checkout's) appending onto the server: refused, nothing changes
    other = dp_on_postgres(
        pg_build.server,
        tmp_path,
        "generate",
        "--target",
        "postgres",
        "--scale",
        "0.02",
        "--as-of",
        "2026-11-10",
    )
    assert other.returncode == 0, other.stderr
    before = pg_build.server.query("select count(*) from raw_shop.orders")
    # now the server holds tmp_path's landing area: pg_build's landing file no longer matches it
    refused = dp_on_postgres(
        pg_build.server,
        pg_build.workdir,
        "generate",
        "--target",
        "postgres",
        "--append",
        "--as-of",
        "2026-11-21",
    )
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "is not the one in" in refused.stderr and "without --append" in refused.stderr
    assert pg_build.server.query("select count(*) from raw_shop.orders") == before
    # put the module's landing data back for the tests after this one
    back = dp_on_postgres(
        pg_build.server, pg_build.workdir, "generate", "--target", "postgres", "--scale", str(SMALL_SCALE),
        "--seed", "7", "--as-of", AS_OF.isoformat(),
    )  # fmt: skip
    assert back.returncode == 0, back.stderr


def test_a_server_that_is_down_is_one_line(tmp_path: Path, postgres_server: PostgresServer) -> None:
    down = dataclasses.replace(postgres_server, port=free_port())
    result = dp_on_postgres(down, tmp_path, "generate", "--target", "postgres", "--scale", "0.02")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot connect" in result.stderr and "Connection refused" in result.stderr
    assert not (tmp_path / "landing_postgres.duckdb").exists()


def _relations(columns: list[tuple[Any, ...]]) -> dict[str, list[tuple[str, str | None]]]:
    found: dict[str, list[tuple[str, str | None]]] = {}
    for schema, table, column, data_type in columns:
        found.setdefault(f"{schema}.{table}", []).append((column, normalize_type(data_type)))
    return found


def _postgres_relations(server: PostgresServer) -> dict[str, list[tuple[str, str | None]]]:
    return _relations(
        server.query(
            "select c.table_schema, c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) "
            "from information_schema.columns as c join pg_attribute as a "
            "on a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass "
            "and a.attname = c.column_name where c.table_schema = any(%s) "
            "order by 1, 2, c.ordinal_position",
            (list(PRODUCT_SCHEMAS),),
        )
    )


def _duckdb_relations(warehouse: Path) -> dict[str, list[tuple[str, str | None]]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return _relations(
            con.execute(
                "select table_schema, table_name, column_name, data_type from information_schema.columns "
                "where table_schema in (?, ?, ?, ?) order by 1, 2, ordinal_position",
                list(PRODUCT_SCHEMAS),
            ).fetchall()
        )


def _same_family(a: str | None, b: str | None) -> bool:
    """Equal types, text and varchar being one (a view of trim(varchar) is text on PostgreSQL)."""
    strings = {"varchar", "text"}
    return a == b or (a in strings and b in strings)


def _assert_same_as_duckdb(pg_build: PgBuild) -> None:
    on_pg = _postgres_relations(pg_build.server)
    on_duckdb = _duckdb_relations(pg_build.duckdb.config.warehouse)
    # the access policy's masked views exist on PostgreSQL only (DuckDB has no roles): each has its base
    # relation's columns, and they are the only extra relations
    masked = {name for name in on_pg if name.endswith("_masked") and name.removesuffix("_masked") in on_pg}
    assert masked, "no masked view on PostgreSQL: the access policy was not applied"
    for name in masked:
        base = name.removesuffix("_masked")
        assert [c for c, _ in on_pg[name]] == [c for c, _ in on_pg[base]], name
        del on_pg[name]
    assert sorted(on_pg) == sorted(on_duckdb)
    for relation, columns in on_duckdb.items():
        assert [c for c, _ in on_pg[relation]] == [c for c, _ in columns], relation
        for (column, pg_type), (_, duck_type) in zip(on_pg[relation], columns, strict=True):
            assert _same_family(pg_type, duck_type), (
                f"{relation}.{column}: {pg_type} on PostgreSQL, {duck_type}"
            )
    # the same rows: decimals, dates and timestamps exactly, doubles to 12 significant digits
    with duckdb.connect(str(pg_build.duckdb.config.warehouse), read_only=True) as con:
        for relation in on_duckdb:
            on_duck = _rows(con.execute(f"select * from {relation}").fetchall())
            on_postgres = _rows(pg_build.server.query(f"select * from {relation}"))
            assert len(on_postgres) == len(on_duck), relation
            assert on_postgres == on_duck, relation


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    def value(v: Any) -> Any:
        return float(f"{v:.12g}") if isinstance(v, float) else v

    return sorted((tuple(value(v) for v in row) for row in rows), key=repr)


def test_dbt_build_on_postgres_passes_with_every_node(pg_build: PgBuild) -> None:
    assert pg_build.build.returncode == 0, pg_build.build.stdout[-3000:]
    results = json.loads((pg_build.workdir / "target" / "run_results.json").read_text())["results"]
    statuses = {r["status"] for r in results}
    assert statuses <= {"success", "pass", "no-op"}, statuses  # no-op: the exposures
    kinds = {r["unique_id"].split(".")[0] for r in results if r["status"] != "no-op"}
    assert kinds == {"model", "test", "unit_test", "operation"}


def test_every_product_relation_matches_duckdb_and_its_contract(pg_build: PgBuild) -> None:
    assert pg_build.build.returncode == 0
    _assert_same_as_duckdb(pg_build)
    on_pg = _postgres_relations(pg_build.server)
    products = [
        node
        for node in pg_build.manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("access") == "public"
    ]
    assert len(products) >= 10
    for node in products:
        relation = f"{node['schema']}.{node['alias']}"
        assert node["config"]["contract"]["enforced"], relation
        declared = [(name, normalize_type(c["data_type"])) for name, c in node["columns"].items()]
        assert [c for c, _ in on_pg[relation]] == [c for c, _ in declared], relation
        for (column, pg_type), (_, contract_type) in zip(on_pg[relation], declared, strict=True):
            assert _same_family(pg_type, contract_type), (
                f"{relation}.{column}: {pg_type}, contract {contract_type}"
            )


def test_the_window_strategy_and_a_full_refresh_on_postgres(pg_build: PgBuild) -> None:
    assert pg_build.build.returncode == 0
    # the incremental models again on the same data: the window is deleted and inserted (not appended)
    incremental = pg_build.dbt("run", "--select", INCREMENTAL)
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    log = (pg_build.workdir / "logs" / "dbt.log").read_text()
    assert "delete from" in log and '"sales"."orders" where order_date >=' in log
    _assert_same_as_duckdb(pg_build)
    # a table replaced on PostgreSQL takes the views built on it along (drop ... cascade; DuckDB binds views
    # late and keeps them): a partial build selects what is built on what it replaces, `+`
    refreshed = pg_build.dbt("run", "--full-refresh", "--select", INCREMENTAL + "+")
    assert refreshed.returncode == 0, refreshed.stdout[-3000:]
    _assert_same_as_duckdb(pg_build)
