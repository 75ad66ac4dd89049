"""The access policy on a real PostgreSQL server, proven as each consumer.

The project is built once (``dbt build --target postgres`` on a small generated landing area, in a database
of this module's own). Each consumer role of roles.yml gets a login of its own (``CREATE ROLE ... LOGIN
PASSWORD ... IN ROLE <role>``, what a DBA does for a person or a service); connected as that login the tests
prove, for every row of ``dp access --format json --port postgres``, that what the matrix allows is readable,
with exactly the masked columns NULL, and that everything else is refused: every other relation of the
database (other products, other versions, staging, intermediate and private models, the landing schemas,
the latest-version pointer), every write, every CREATE, every grant and every SET ROLE to another role.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from conftest import SMALL_SCALE, dp
from dataproducts.governance.access import load_roles
from postgres_support import REPO, PostgresServer, dbt_on_postgres, dp_on_postgres

pytestmark = pytest.mark.integration

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
LOGIN_PREFIX = "acc_login_"


@dataclass
class AccessBuild:
    server: PostgresServer
    rows: list[dict[str, Any]]  # dp access --format json --port postgres
    relations: dict[str, list[str]]  # every relation of the database (schema.name) -> its columns
    schemas: list[str]
    logins: dict[str, tuple[str, str]]  # role -> (login, password)

    def connect(self, role: str) -> Any:
        login, password = self.logins[role]
        return self.server.connect(user=login, password=password)


def _quoted(relation: str) -> str:
    schema, name = relation.split(".", 1)
    return f'"{schema}"."{name}"'


@pytest.fixture(scope="module")
def access_build(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AccessBuild]:
    server = postgres_server.fresh_database("test_access_postgres")
    workdir = tmp_path_factory.mktemp("access-pg")
    generated = dp_on_postgres(
        server, workdir, "generate", "--target", "postgres", "--scale", str(SMALL_SCALE), "--seed", "7"
    )
    assert generated.returncode == 0, generated.stderr
    build = dbt_on_postgres(
        server, workdir, "build", "--exclude", "resource_type:test", "resource_type:unit_test"
    )
    assert build.returncode == 0, build.stdout[-3000:]
    manifest = str(workdir / "target" / "manifest.json")  # the build's own: no second parse
    matrix = dp("access", "--format", "json", "--port", "postgres", "--manifest", manifest)
    assert matrix.returncode == 0, matrix.stderr
    rows = json.loads(matrix.stdout)
    relations: dict[str, list[str]] = {}
    for schema, name, column in server.query(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns as c "
        "where c.table_schema not in %s order by c.table_schema, c.table_name, c.ordinal_position",
        (SYSTEM_SCHEMAS,),
    ):
        relations.setdefault(f"{schema}.{name}", []).append(column)
    schemas = [
        s
        for (s,) in server.query("select nspname from pg_namespace")
        if not s.startswith(("pg_", "information"))
    ]
    logins: dict[str, tuple[str, str]] = {}
    for role in load_roles(REPO).names:
        login, password = f"{LOGIN_PREFIX}{role}", secrets.token_hex(12)
        server.query(f"drop role if exists {login}")
        server.query(f"create role {login} login password '{password}' in role {role}")
        logins[role] = (login, password)
    try:
        yield AccessBuild(server, rows, relations, schemas, logins)
    finally:
        for login, _ in logins.values():
            server.query(f"drop role if exists {login}")


def _count(cur: Any, sql: str) -> Any:
    cur.execute(sql)
    return cur.fetchone()


def _flat(errors: tuple[Any, ...]) -> tuple[type[Exception], ...]:
    return tuple(e for group in errors for e in (group if isinstance(group, tuple) else (group,)))


def _refused(con: Any, sql: str, *errors: Any) -> bool:
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    except (psycopg2.errors.InsufficientPrivilege, *_flat(errors)):
        return True
    return False


def test_the_matrix_covers_every_role_and_product_relation(access_build: AccessBuild) -> None:
    roles = set(load_roles(REPO).names)
    assert {r["role"] for r in access_build.rows} == roles
    for row in access_build.rows:
        assert row["port"] == "postgres"
        assert row["relation"] in access_build.relations, f"{row['relation']} was not built"
    # the consumer roles exist and cannot log in themselves
    found = dict(
        access_build.server.query(
            "select rolname, rolcanlogin from pg_roles where rolname = any(%s)", (list(roles),)
        )
    )
    assert found == dict.fromkeys(roles, False)


def test_each_role_reads_exactly_what_dp_access_allows(access_build: AccessBuild) -> None:
    admin = access_build.server.connect()
    base_counts: dict[str, tuple[int, ...]] = {}
    with admin.cursor() as cur:
        for row in access_build.rows:
            base = row["relation"].removesuffix("_masked") if row["masked_columns"] else row["relation"]
            columns = access_build.relations[base]
            select = ", ".join(f'count("{c}")' for c in columns)
            base_counts[base] = _count(cur, f"select {select} from {_quoted(base)}")
    admin.close()
    for role in access_build.logins:
        con = access_build.connect(role)
        readable: set[str] = set()
        try:
            for row in (r for r in access_build.rows if r["role"] == role):
                relation = row["relation"]
                if not row["allowed"]:
                    assert _refused(con, f"select 1 from {_quoted(relation)} limit 1"), (
                        f"{role} reads {relation}"
                    )
                    continue
                readable.add(relation)
                columns = access_build.relations[relation]
                base = relation.removesuffix("_masked") if row["masked_columns"] else relation
                with con.cursor() as cur:
                    counts = _count(
                        cur,
                        f"select {', '.join(f'count({chr(34)}{c}{chr(34)})' for c in columns)} from {_quoted(relation)}",
                    )
                assert columns == access_build.relations[base]  # every column, in order
                for column, count, clear in zip(columns, counts, base_counts[base], strict=True):
                    if column in row["masked_columns"]:
                        assert count == 0, f"{role}: {relation}.{column} is not masked"
                    else:
                        assert count == clear, (
                            f"{role}: {relation}.{column} reads {count} values, not {clear}"
                        )
                assert clear_rows_exist(counts), f"{role}: {relation} is empty"
            # everything else in the database is refused: other products and versions, the base table of a
            # masked reader, staging, intermediate and private models, the landing schemas, the pointer view
            for relation in access_build.relations:
                if relation not in readable:
                    assert _refused(con, f"select 1 from {_quoted(relation)} limit 1"), (
                        f"{role} reads {relation}"
                    )
        finally:
            con.close()


def clear_rows_exist(counts: tuple[int, ...]) -> bool:
    return max(counts) > 0


def test_no_role_writes_creates_or_grants(access_build: AccessBuild) -> None:
    roles = list(access_build.logins)
    allowed = {(r["role"], r["relation"]) for r in access_build.rows if r["allowed"]}
    admin = access_build.server
    before = admin.query(
        "select n.nspname, c.relname, c.relacl::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname not in %s order by 1, 2",
        (SYSTEM_SCHEMAS,),
    )
    for role in roles:
        con = access_build.connect(role)
        try:
            for who, relation in sorted(allowed):
                if who != role:
                    continue
                target, first = _quoted(relation), access_build.relations[relation][0]
                # a view dbt builds with a WITH is not updatable at all: refused either way
                cannot = (psycopg2.errors.ObjectNotInPrerequisiteState, psycopg2.errors.FeatureNotSupported)
                assert _refused(con, f"insert into {target} select * from {target} limit 1", cannot)
                assert _refused(con, f'update {target} set "{first}" = "{first}"', cannot)
                assert _refused(con, f"delete from {target}", cannot)
                assert _refused(con, f"truncate {target}", psycopg2.errors.WrongObjectType)
                for other in roles:
                    # without the grant option PostgreSQL warns and grants nothing
                    with con.cursor() as cur, contextlib.suppress(psycopg2.Error):
                        cur.execute(f"grant select on {target} to {other}")
            for schema in access_build.schemas:
                assert _refused(con, f'create table "{schema}".dp_probe (x integer)'), (
                    f"{role} creates in {schema}"
                )
                assert _refused(con, f'create view "{schema}".dp_probe as select 1 as x')
            assert _refused(con, "create schema dp_probe")
            assert _refused(con, "create temporary table dp_probe (x integer)")
            for other in roles:
                if other != role:
                    assert _refused(con, f"set role {other}"), f"{role} becomes {other}"
                    assert _refused(con, f"grant {other} to {access_build.logins[role][0]}")
            assert _refused(con, f"alter role {access_build.logins[role][0]} createrole")
        finally:
            con.close()
    after = admin.query(
        "select n.nspname, c.relname, c.relacl::text from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname not in %s order by 1, 2",
        (SYSTEM_SCHEMAS,),
    )
    assert after == before  # no grant attempt changed a privilege


def test_nothing_is_granted_to_public_on_the_project_schemas(access_build: AccessBuild) -> None:
    schemas = [s for s in access_build.schemas if s != "public"]
    public = access_build.server.query(
        "select n.nspname from pg_namespace as n cross join lateral aclexplode(n.nspacl) as a "
        "where a.grantee = 0 and n.nspname = any(%s) "
        "union all select n.nspname || '.' || c.relname from pg_class as c "
        "join pg_namespace as n on n.oid = c.relnamespace cross join lateral aclexplode(c.relacl) as a "
        "where a.grantee = 0 and n.nspname = any(%s)",
        (schemas, schemas),
    )
    assert public == []
    assert {"staging", "raw_crm", "raw_shop", "raw_telemetry"} <= set(schemas)
