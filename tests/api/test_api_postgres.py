"""The API on a PostgreSQL warehouse (the profile's `postgres` target): the same matrix and masking as on
DuckDB, read through `cfg.db`. A real server (the session's throwaway cluster, a database of this module's
own) holds every product version of the small fixture manifest with a few rows whose every column is set,
and a real uvicorn serves the API on 127.0.0.1; every row of `dp access --port api` is checked over HTTP."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import REPO, dp
from dataproducts.api.tokens import create_token
from dataproducts.artifacts import load_manifest
from dataproducts.config import load_config
from dataproducts.governance.access import load_roles
from dataproducts.products import load_products
from dataproducts.profile import POSTGRES_ADAPTERS
from postgres_support import PostgresServer

pytestmark = pytest.mark.integration

FIXTURE = REPO / "tests" / "fixtures" / "manifest_small.json"
ROWS = 3


@dataclass(frozen=True)
class PgServed:
    base: str
    tokens: dict[str, str]
    values: dict[str, list[dict[str, Any]]]  # relation -> rows as PostgreSQL returns them, by key order

    def get(self, path: str, role: str) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def _pg_type(data_type: str) -> str:
    return "double precision" if data_type.lower() == "double" else data_type


def _value(data_type: str, column: str, n: int) -> Any:
    t = data_type.lower()
    if t.startswith(("int", "bigint")):
        return n
    if t.startswith(("decimal", "numeric")):
        return decimal.Decimal(f"{n}.25")
    if t.startswith("double"):
        return n + 0.5
    if t == "boolean":
        return n % 2 == 0
    if t == "date":
        return dt.date(2026, 11, n)
    if t.startswith("timestamp"):
        return dt.datetime(2026, 11, n, 8, 30)
    return f"{column}-{n}"


@pytest.fixture(scope="module")
def pg_served(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PgServed]:
    import uvicorn

    from dataproducts.api.app import create_app

    server = postgres_server.fresh_database("test_api_postgres")
    tmp = tmp_path_factory.mktemp("api-pg")
    products = load_products(load_manifest(FIXTURE))
    values: dict[str, list[dict[str, Any]]] = {}
    con = server.connect()
    try:
        with con.cursor() as cur:
            for product in products:
                for version in product.versions:
                    cols = version.columns
                    cur.execute(f'create schema if not exists "{version.schema}"')
                    cur.execute(
                        f'create table "{version.schema}"."{version.alias}" ('
                        + ", ".join(f'"{c.name}" {_pg_type(c.data_type or "varchar")}' for c in cols)
                        + ")"
                    )
                    for n in range(1, ROWS + 1):
                        cur.execute(
                            f'insert into "{version.schema}"."{version.alias}" values ('
                            + ", ".join("%s" for _ in cols)
                            + ")",
                            [_value(c.data_type or "varchar", c.name, n) for c in cols],
                        )
                    cur.execute(f'select * from "{version.schema}"."{version.alias}"')
                    names = [d[0] for d in cur.description]
                    values[version.relation] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    (tmp / "target").mkdir()
    (tmp / "target" / "manifest.json").write_bytes(
        FIXTURE.read_bytes()
    )  # no run record: the target's manifest
    saved = dict(os.environ)
    os.environ.update(server.env())
    try:
        cfg = load_config(
            REPO,
            target="postgres",
            adapters=POSTGRES_ADAPTERS,
            target_dir=str(tmp / "target"),
            runs_dir=str(tmp / "runs"),
            history=str(tmp / "history.duckdb"),
            reports_dir=str(tmp / "reports"),
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert not cfg.on_duckdb and cfg.db.label.startswith("postgresql://")
    roles = load_roles(REPO)
    tokens_file = tmp / "tokens.json"
    tokens = {r: create_token(tokens_file, roles, role=r).token for r in roles.names}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(cfg, tokens_file=tokens_file), log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "the API server did not start"
    try:
        yield PgServed(f"http://127.0.0.1:{port}", tokens, values)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _jsonish(value: Any) -> Any:
    from dataproducts.api.rows import jsonable

    return json.loads(json.dumps(jsonable(value)))


def test_every_role_and_version_reads_on_postgres_what_dp_access_says(pg_served: PgServed) -> None:
    result = dp("access", "--format", "json", "--port", "api", "--manifest", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    relations = {
        (p.id, int(v.version) if v.version else None): v.relation
        for p in load_products(load_manifest(FIXTURE))
        for v in p.versions
    }
    assert any(r["allowed"] and r["masked_columns"] for r in rows) and any(not r["allowed"] for r in rows)
    for row in rows:
        status, body = pg_served.get("/api/" + row["relation"], row["role"])
        if not row["allowed"]:
            assert status == 403 and body["error"].startswith(f"role {row['role']} may not read"), body
            continue
        assert status == 200, (row, body)
        assert body["masked_columns"] == row["masked_columns"], row
        expected = pg_served.values[relations[(row["product"], row["version"])]]
        assert len(body["rows"]) == len(expected) == ROWS
        for got, want in zip(body["rows"], expected, strict=True):  # the rows in insert (= key) order
            assert list(got) == list(want)
            for name, value in want.items():
                assert value is not None  # every column is set in the warehouse: a NULL is the masking
                if name in row["masked_columns"]:
                    assert got[name] is None, (row, name)
                else:
                    assert got[name] == _jsonish(value), (row, name, got[name], value)


def test_filters_and_bad_values_on_postgres(pg_served: PgServed) -> None:
    status, body = pg_served.get(
        "/api/products/sales.fct_orders/rows?net_amount.gte=2.25&is_paid=true", "domain_sales"
    )
    assert status == 200, body
    assert [r["net_amount"] for r in body["rows"]] == [2.25]
    status, body = pg_served.get(
        "/api/products/sales.fct_orders/rows?customer_id.in=1,3&order=-customer_id", "domain_sales"
    )
    assert status == 200 and [r["customer_id"] for r in body["rows"]] == [3, 1], body
    status, body = pg_served.get("/api/products/sales.fct_orders/rows?customer_id=x", "domain_sales")
    assert status == 400 and "not a valid integer" in body["error"], body
