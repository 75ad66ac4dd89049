"""The data and metadata API (issue 14, part 2) against a real server: one real nightly at a tiny scale, the
API served by uvicorn in its own process on 127.0.0.1, real HTTP requests (urllib), one bearer token per
role of roles.yml. Every row of `dp access --format json --port api` is checked over HTTP: allowed (the
warehouse's rows), masked (those columns NULL, the rest as in the warehouse) and refused (403)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
import pytest

from conftest import AS_OF, REPO, SMALL_SCALE, dp, make_config
from dataproducts.api.tokens import create_token
from dataproducts.config import ProjectConfig
from dataproducts.generate import generate
from dataproducts.governance.access import load_roles

pytestmark = pytest.mark.integration

PATHS = ("warehouse", "target_dir", "reports_dir", "history", "runs_dir", "files_dir")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    config: ProjectConfig
    tmp: Path
    base: str
    tokens: dict[str, str]  # role -> token
    tokens_file: Path
    run_manifest: Path
    server: subprocess.Popen[bytes]

    def get(
        self,
        path: str,
        role: str | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return self.request("GET", path, role, token=token, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        role: str | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        req = urllib.request.Request(self.base + path, method=method)
        secret = token if token is not None else (self.tokens[role] if role else None)
        if secret is not None:
            req.add_header("Authorization", f"Bearer {secret}")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())

    def warehouse(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.config.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the API server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/api/openapi.json", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the API server did not answer within 60 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("api")
    cfg = make_config(tmp)
    # NULL customer_ids on the last day: sales.orders fails a check, so its SLO entry has failing checks
    generate(cfg.warehouse, scale=SMALL_SCALE, seed=7, as_of=AS_OF, faults=("nulls",))
    flags = [a for n in PATHS for a in (f"--{n.replace('_', '-')}", str(getattr(cfg, n)))]
    night = dp(
        "nightly", "--as-of", AS_OF.isoformat(), "--no-docs", *flags, env={"DBT_LOG_PATH": str(tmp / "logs")}
    )
    assert night.returncode in (0, 1), night.stderr
    (record,) = [p for p in cfg.runs_dir.iterdir() if not p.name.startswith(".")]
    tokens_file = tmp / "secrets" / "api_tokens.json"
    roles = load_roles(REPO)
    tokens = {role: create_token(tokens_file, roles, role=role).token for role in roles.names}
    # the server: its own process, the project and every path through the environment (as dp serve would
    # read them), listening on a socket bound here to a free 127.0.0.1 port (no race for the port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DP_PROJECT_DIR": str(REPO),
        "DP_API_TOKENS": str(tokens_file),
        **{f"DP_{n.upper()}": str(getattr(cfg, n)) for n in PATHS},
    }
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "dataproducts.api.app:app_from_env",
                "--fd",
                str(sock.fileno()),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
    sock.close()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log)
        yield Served(cfg, tmp, base, tokens, tokens_file, record / "dbt" / "manifest.json", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


_ACCESS: dict[Path, list[dict[str, Any]]] = {}


def _access_rows(served: Served) -> list[dict[str, Any]]:
    """`dp access --format json --port api` on the run's manifest (run once per module)."""
    if served.run_manifest in _ACCESS:
        return _ACCESS[served.run_manifest]
    result = dp(
        "access", "--format", "json", "--port", "api", "--manifest", str(served.run_manifest), cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    assert rows and {r["port"] for r in rows} == {"api"}
    _ACCESS[served.run_manifest] = rows
    return rows


def _relations(served: Served) -> dict[tuple[str, int | None], str]:
    from dataproducts.artifacts import load_manifest
    from dataproducts.products import load_products

    return {
        (p.id, int(v.version) if v.version else None): v.relation
        for p in load_products(load_manifest(served.run_manifest))
        for v in p.versions
    }


def _assert_error(reply: Reply, status: int, served: Served, *, contains: str = "") -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers["content-type"].startswith("application/json"), reply.headers
    body = reply.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    text = reply.body.decode()
    assert "Traceback" not in text and str(served.tmp) not in text and "/work/" not in text, text
    assert contains in body["error"], body
    return body  # type: ignore[no-any-return]


# --- the access matrix, over HTTP ------------------------------------------------------------------------------


def test_every_role_and_product_version_reads_what_dp_access_says(served: Served) -> None:
    rows = _access_rows(served)
    relations = _relations(served)
    assert {(r["product"], r["version"]) for r in rows} == set(relations)
    assert {r["role"] for r in rows} == set(served.tokens)
    assert any(r["allowed"] and r["masked_columns"] for r in rows), "no masked reader"
    assert any(r["allowed"] and not r["masked_columns"] for r in rows), "no clear reader"
    assert any(not r["allowed"] for r in rows), "no refused reader"
    # what the warehouse holds, read once per relation (one connection, closed before the next test)
    con = duckdb.connect(str(served.config.warehouse), read_only=True)
    built: dict[str, tuple[list[str], list[tuple[Any, ...]], dict[str, int]]] = {}
    try:
        for relation in set(relations.values()):
            schema, name = relation.split(".")
            names = [d[0] for d in con.execute(f"describe {relation}").fetchall()]
            pk = con.execute(
                "select constraint_column_names from duckdb_constraints() "
                "where schema_name = ? and table_name = ? and constraint_type = 'PRIMARY KEY'",
                [schema, name],
            ).fetchall()
            order = ", ".join(f'"{k}"' for k in (list(pk[0][0]) if pk else names))
            first = con.execute(f"select * from {relation} order by {order} limit 40").fetchall()
            filled = dict(
                zip(
                    names,
                    con.execute(
                        "select " + ", ".join(f'count("{n}")' for n in names) + f" from {relation}"
                    ).fetchone()
                    or (),
                    strict=True,
                )
            )
            built[relation] = (names, first, filled)
    finally:
        con.close()
    checked = 0
    for row in rows:
        relation = relations[(row["product"], row["version"])]
        reply = served.get("/api/" + row["relation"] + "?limit=40", row["role"])
        if not row["allowed"]:
            body = _assert_error(
                reply, 403, served, contains=f"role {row['role']} may not read {row['product']}"
            )
            assert body.get("request_access"), body
            assert "rows" not in body
            continue
        assert reply.status == 200, (row, reply.body[:300])
        page = reply.json()
        assert (page["product"], page["version"], page["role"]) == (
            row["product"],
            row["version"],
            row["role"],
        )
        names, expected, filled = built[relation]
        columns = [c["name"] for c in page["columns"]]
        assert columns == names, row
        assert page["masked_columns"] == row["masked_columns"], row
        assert reply.headers.get("x-masked-columns", "") == ",".join(row["masked_columns"])
        # the same first rows as the warehouse, in key order; masked columns NULL, every other column as built
        assert len(page["rows"]) == len(expected) > 0, row
        for got, want in zip(page["rows"], expected, strict=True):
            for name, value in zip(columns, want, strict=True):
                if name in row["masked_columns"]:
                    assert got[name] is None, (row, name)
                else:
                    assert got[name] == _jsonish(value), (row, name, got[name], value)
        for name in row["masked_columns"]:  # what is masked for this role is there in the warehouse
            assert filled[name] > 0, f"{relation}.{name} is NULL everywhere: the masking test proves nothing"
        checked += 1
    assert checked == sum(r["allowed"] for r in rows)


def _jsonish(value: Any) -> Any:
    from dataproducts.api.rows import jsonable

    return json.loads(json.dumps(jsonable(value)))


def test_the_product_list_tells_each_role_its_access(served: Served) -> None:
    rows = _access_rows(served)
    for role in served.tokens:
        reply = served.get("/api/products", role)
        assert reply.status == 200
        listed = {(p["id"], v["version"]): v for p in reply.json()["products"] for v in p["versions"]}
        for row in (r for r in rows if r["role"] == role):
            version = listed[(row["product"], row["version"])]
            assert version["access"] == {
                "role": role,
                "allowed": row["allowed"],
                "masked_columns": row["masked_columns"],
            }
            assert version["rows"] == "/api/" + row["relation"]  # the link is the matrix's relation


# --- paging -------------------------------------------------------------------------------------------------------


def test_paging_follows_next_links_through_every_row_once(served: Served) -> None:
    path = "/api/products/sales.orders/rows?limit=300&columns=order_id,status"
    seen: list[int] = []
    pages = 0
    while path:
        reply = served.get(path, "domain_sales")
        assert reply.status == 200, reply.body[:300]
        page = reply.json()
        assert [c["name"] for c in page["columns"]] == ["order_id", "status"]
        assert page["limit"] == 300 and page["count"] == len(page["rows"]) <= 300
        seen += [r["order_id"] for r in page["rows"]]
        pages += 1
        if page["next"]:
            assert reply.headers["link"] == f'<{page["next"]}>; rel="next"'
        else:
            assert "link" not in reply.headers
        path = page["next"]
    (total,) = served.warehouse("select count(*) from sales.orders")[0]
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 300)
    assert seen == sorted(seen)  # the primary key orders the pages
    last = served.get(f"/api/products/sales.orders/rows?offset={total}", "domain_sales").json()
    assert last["rows"] == [] and last["next"] is None
    reply = served.get("/api/products/sales.orders/rows?limit=2&offset=3&order=-order_id", "domain_sales")
    ids = [
        r[0]
        for r in served.warehouse("select order_id from sales.orders order by order_id desc limit 2 offset 3")
    ]
    assert [r["order_id"] for r in reply.json()["rows"]] == ids
    _assert_error(
        served.get("/api/products/sales.orders/rows?limit=10001", "domain_sales"),
        400,
        served,
        contains="limit",
    )
    _assert_error(
        served.get("/api/products/sales.orders/rows?limit=0", "domain_sales"), 400, served, contains="limit"
    )
    _assert_error(
        served.get("/api/products/sales.orders/rows?offset=-1", "domain_sales"),
        400,
        served,
        contains="offset",
    )
    default = served.get("/api/products/sales.orders/rows", "domain_sales").json()
    assert default["limit"] == 100 and len(default["rows"]) == 100 and default["next"].endswith("offset=100")


# --- filters ------------------------------------------------------------------------------------------------------


def _count(served: Served, role: str, query: str, product: str = "sales.orders") -> int:
    reply = served.get(f"/api/products/{product}/rows?limit=10000&{query}", role)
    assert reply.status == 200, (query, reply.body[:300])
    page = reply.json()
    assert page["next"] is None
    return len(page["rows"])


def test_filters_select_what_the_same_sql_selects(served: Served) -> None:
    def count(where: str, params: list[Any]) -> int:
        return int(served.warehouse(f"select count(*) from sales.orders where {where}", params)[0][0])

    (status,) = served.warehouse(
        "select status from sales.orders group by status order by count(*) desc limit 1"
    )[0]
    cases = [
        (f"status={quote(status)}", "status = ?", [status]),
        (f"status.ne={quote(status)}", "status <> ?", [status]),
        (
            "order_date.gte=2026-10-01&order_date.lt=2026-11-01",
            "order_date >= ? and order_date < ?",
            ["2026-10-01", "2026-11-01"],
        ),
        ("order_id.in=1,2,3,99999", "order_id in (1, 2, 3, 99999)", []),
        ("net_amount.gt=100.5", "net_amount > 100.5", []),
        ("paid_at.is=null", "paid_at is null", []),
        ("paid_at.is=notnull&is_paid=true", "paid_at is not null and is_paid", []),
        ("ordered_at.lte=2026-06-01T12:00:00", "ordered_at <= ?", ["2026-06-01 12:00:00"]),
    ]
    for query, where, params in cases:
        expected = count(where, params)
        assert _count(served, "domain_sales", query) == expected, query
    assert any(count(w, p) for _, w, p in cases)
    # a masked reader filters on the columns it reads in clear
    rows = served.get(
        "/api/products/customers.customers/rows?limit=5&customer_id.lte=5", "domain_marketing"
    ).json()
    assert [r["customer_id"] for r in rows["rows"]] == [1, 2, 3, 4, 5]


def test_bad_filters_and_parameters_are_400_and_never_reach_sql(served: Served) -> None:
    base = "/api/products/sales.orders/rows?"
    for query, contains in [
        ("nosuchcolumn=1", "no column 'nosuchcolumn'"),
        ("order_id.like=1", "unknown operator 'like'"),
        ("order_id=abc", "'abc' is not a valid INTEGER"),
        ("order_id=1%20or%201%3D1", "is not a valid INTEGER"),
        ("order_date=2026-13-01", "is not a valid DATE"),
        ("is_paid=maybe", "is not a valid BOOLEAN"),
        ("paid_at.is=empty", "expected null or notnull"),
        ("net_amount=NaN", "is not a valid DECIMAL"),
        ("columns=order_id,nope", "no column 'nope'"),
        ("columns=order_id%22%20from%20sales.orders%20--", "no column"),
        ("order=nope", "no column 'nope'"),
        ("format=xml", "format: expected one of json, csv, arrow"),
        (quote('order_id" = 1 or "x') + "=1", "no column"),
    ]:
        _assert_error(served.get(base + query, "domain_sales"), 400, served, contains=contains)
    # a string value is a bound parameter: quotes in it match nothing, they do not widen the query
    assert _count(served, "domain_sales", "status=" + quote("x' or '1'='1")) == 0
    # a masked column cannot be filtered or ordered on by a masked reader (that would reveal its values)
    for query in ("email=a%40b.c", "email.is=null", "order=email"):
        _assert_error(
            served.get(f"/api/products/customers.customers/rows?{query}", "domain_marketing"),
            400,
            served,
            contains="masked for this role",
        )
    # ... and can by an unmasked reader
    (email,) = served.warehouse("select email from customers.customers where email is not null limit 1")[0]
    assert _count(served, "domain_customers", f"email={quote(email)}", "customers.customers") >= 1


# --- formats ------------------------------------------------------------------------------------------------------


def test_csv_and_json_pages_hold_the_same_rows(served: Served) -> None:
    query = "/api/products/customers.customers/rows?limit=25&offset=5"
    page = served.get(query, "domain_marketing").json()
    for reply in (
        served.get(query + "&format=csv", "domain_marketing"),
        served.get(query, "domain_marketing", headers={"Accept": "text/csv"}),
    ):
        assert reply.status == 200 and reply.headers["content-type"] == "text/csv; charset=utf-8"
        assert reply.headers["link"].startswith("</api/products/customers.customers/rows?")
        table = list(csv.reader(io.StringIO(reply.body.decode("utf-8"))))
        assert table[0] == [c["name"] for c in page["columns"]]
        assert len(table) == 26
        for line, row in zip(table[1:], page["rows"], strict=True):
            for name, cell in zip(table[0], line, strict=True):
                value = row[name]
                shown = (
                    ""
                    if value is None
                    else ("true" if value is True else "false" if value is False else str(value))
                )
                assert cell == shown, (name, cell, value)
        masked = table[0].index("email")
        assert all(line[masked] == "" for line in table[1:])


def test_arrow_is_served_when_pyarrow_is_installed_else_406(served: Served) -> None:
    query = "/api/products/sales.products/rows?limit=7"
    reply = served.get(query + "&format=arrow", "analysts")
    via_accept = served.get(query, "analysts", headers={"Accept": "application/vnd.apache.arrow.stream"})
    try:
        import pyarrow as pa
    except ImportError:
        _assert_error(reply, 406, served, contains="pyarrow")
        _assert_error(via_accept, 406, served, contains="pyarrow")
    else:
        assert reply.status == 200 and reply.headers["content-type"] == "application/vnd.apache.arrow.stream"
        table = pa.ipc.open_stream(reply.body).read_all()
        assert table.num_rows == 7
        assert table.column_names == [c["name"] for c in served.get(query, "analysts").json()["columns"]]
        assert via_accept.body == reply.body
    _assert_error(served.get(query, "analysts", headers={"Accept": "image/png"}), 406, served)


# --- tokens and errors ------------------------------------------------------------------------------------------


def test_tokens_missing_bad_malformed_and_revoked_are_401(served: Served) -> None:
    rows = "/api/products/sales.products/rows"
    reply = served.get(rows)
    _assert_error(reply, 401, served, contains="bearer token")
    assert reply.headers["www-authenticate"].startswith("Bearer")
    _assert_error(served.get(rows, token="dpt_" + "A" * 43), 401, served, contains="unknown or revoked")
    _assert_error(served.get(rows, token="not-a-token"), 401, served)
    _assert_error(served.get(rows, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}), 401, served)
    # metadata needs no token, but a wrong one is refused there too
    assert served.get("/api/products").status == 200
    _assert_error(served.get("/api/products", token="dpt_" + "B" * 43), 401, served)
    # the CLI mints a token the running server accepts at once, and a revoked one stops working at once
    flags = ["--tokens-file", str(served.tokens_file)]
    created = dp("token", "create", "--role", "analysts", "--name", "cli-test", *flags)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("dpt_") and len(token) == 47 and token not in created.stderr
    assert token not in served.tokens_file.read_text() and "cli-test" in served.tokens_file.read_text()
    assert served.tokens_file.stat().st_mode & 0o777 == 0o600
    assert served.get(rows + "?limit=1", token=token).status == 200
    listed = dp("token", "list", *flags)
    assert listed.returncode == 0 and "cli-test" in listed.stdout and token not in listed.stdout
    revoked = dp("token", "revoke", "cli-test", *flags)
    assert revoked.returncode == 0, revoked.stderr
    _assert_error(served.get(rows + "?limit=1", token=token), 401, served, contains="unknown or revoked")
    bad = dp("token", "create", "--role", "nobody", *flags)
    assert bad.returncode == 2 and bad.stderr.startswith("dp: error: --role nobody: not a role of roles.yml")


def test_unknown_products_versions_endpoints_and_methods_are_json_errors(served: Served) -> None:
    _assert_error(served.get("/api/products/sales.nope/rows", "analysts"), 404, served, contains="no product")
    _assert_error(served.get("/api/products/sales.nope"), 404, served, contains="no product")
    _assert_error(served.get("/api/products/sales.nope/contract"), 404, served)
    _assert_error(served.get("/api/products/sales.nope/slo"), 404, served)
    _assert_error(
        served.get("/api/products/sales.orders/versions/9/rows", "analysts"),
        404,
        served,
        contains="versions: 1, 2",
    )
    _assert_error(served.get("/api/products/sales.orders/versions/x%27/rows", "analysts"), 404, served)
    _assert_error(served.get("/api/nothing/here"), 404, served, contains="no such endpoint")
    reply = served.request("POST", "/api/products", "analysts")
    _assert_error(reply, 405, served, contains="read-only")
    _assert_error(served.request("DELETE", "/api/products/sales.orders/rows", "analysts"), 405, served)
    _assert_error(served.get("/api/products/sales.orders/slo/history?days=0"), 400, served, contains="days")


def _reads_again(served: Served) -> None:
    """Once the writer is gone, reads resume (within seconds: a killed process can take a moment to go)."""
    deadline = time.monotonic() + 10
    while True:
        reply = served.get("/api/products/sales.products/rows?limit=1", "analysts")
        if reply.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert reply.status == 200, reply.body[:300]


def test_a_locked_warehouse_is_a_prompt_503(served: Served) -> None:
    writer = duckdb.connect(str(served.config.warehouse))  # a build holds the file read-write
    try:
        started = time.monotonic()
        reply = served.get("/api/products/sales.products/rows", "analysts")
        assert time.monotonic() - started < 10
        _assert_error(reply, 503, served, contains="being written")
        assert reply.headers["retry-after"] == "30"
        assert served.get("/api/products/sales.products").status == 200  # metadata needs no warehouse
    finally:
        writer.close()
    _reads_again(served)


def test_no_read_while_a_dbt_build_of_the_warehouse_runs(served: Served) -> None:
    """A read opening the file while dbt starts would make the build fail on DuckDB's lock: the API answers
    503 while a dbt writer of this project and warehouse is alive (a stand-in `dbt build` that sleeps)."""
    fake = served.tmp / "bin" / "dbt"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("import time\ntime.sleep(60)\n")  # one process whose argv is `python .../dbt build`
    proc = subprocess.Popen(
        [sys.executable, str(fake), "build"],
        cwd=REPO,
        env={**os.environ, "DP_WAREHOUSE": str(served.config.warehouse)},
        start_new_session=True,
    )
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        deadline = time.monotonic() + 10
        while b"build" not in cmdline.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)  # Popen can return before the child has exec'd: wait until it is `dbt build`
        reply = served.get("/api/products/sales.products/rows", "analysts")
        _assert_error(reply, 503, served, contains="a dbt build is running")
        assert reply.headers["retry-after"] == "30"
    finally:
        proc.kill()
        proc.wait()
    _reads_again(served)


# --- metadata -----------------------------------------------------------------------------------------------------


def test_metadata_products_descriptor_contract_slo_and_history(served: Served) -> None:
    from dataproducts.governance.odcs import validation_errors

    products = served.get("/api/products").json()
    relations = _relations(served)
    assert {p["id"] for p in products["products"]} == {p for p, _ in relations}
    assert products["run_id"] == served.run_manifest.parent.parent.name and products["role"] is None
    assert all("access" not in v for p in products["products"] for v in p["versions"])

    customers = served.get("/api/products/customers.customers").json()
    assert customers["descriptor"]["domain"] == "customers"
    latest = next(v for v in customers["versions"] if v["is_latest"])
    assert "email" in latest["policy"]["personal_columns"] and latest["policy"]["request"]
    assert latest["policy"]["readers"][0] == "domain_customers"
    assert {c["name"] for c in latest["columns"] if c["personal_data"]} == set(
        latest["policy"]["personal_columns"]
    )

    contract = served.get("/api/products/sales.orders/contract").json()
    assert contract["id"] == "sales.orders" and validation_errors(contract) == []

    report = json.loads((served.config.reports_dir / "latest" / "slo_report.json").read_text())
    entry = next(p for p in report["products"] if p["id"] == "sales.orders")
    slo = served.get("/api/products/sales.orders/slo").json()
    assert slo["run_id"] == report["run_id"] and slo["product"]["status"] == entry["status"]
    assert set(slo["product"]["slis"]) == set(entry["slis"]) and "links" not in slo["product"]

    # failing checks' sample values are data: only for a role that reads the latest version in clear
    assert slo["product"]["failing_checks"], "the nulls fault failed no check of sales.orders"
    assert all("samples" not in c for c in slo["product"]["failing_checks"])
    api_rows = {(r["role"], r["product"], r["version"]): r for r in _access_rows(served)}
    for role in served.tokens:
        row = api_rows[(role, "sales.orders", 2)]
        checks = served.get("/api/products/sales.orders/slo", role).json()["product"]["failing_checks"]
        clear = row["allowed"] and not row["masked_columns"]
        assert all(("samples" in c) == clear for c in checks), role
        if clear:
            assert checks == entry["failing_checks"]

    history = served.get("/api/products/sales.orders/slo/history").json()
    (run,) = history["runs"]
    assert run["run_id"] == report["run_id"] and run["status"] == entry["run_status"]
    assert run["row_count"] == served.warehouse("select count(*) from sales.orders")[0][0]
    assert {k: v["status"] for k, v in run["slis"].items()} == {
        k: v["status"] for k, v in entry["slis"].items()
    }


def test_the_openapi_document_describes_every_endpoint_and_the_bearer_scheme(served: Served) -> None:
    doc = served.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/products",
        "/api/products/{product_id}",
        "/api/products/{product_id}/contract",
        "/api/products/{product_id}/slo",
        "/api/products/{product_id}/slo/history",
        "/api/products/{product_id}/rows",
        "/api/products/{product_id}/versions/{version}/rows",
    }
    schemes = doc["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    rows = doc["paths"]["/api/products/{product_id}/rows"]["get"]
    assert {"400", "401", "403", "404", "406", "503"} <= set(rows["responses"])
    assert set(rows["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        "application/vnd.apache.arrow.stream",
    }
    assert served.get("/docs").status == 404  # no Swagger page: it would load its scripts from a CDN
