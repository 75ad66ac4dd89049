"""The API on a project that is not built yet: a JSON 503 naming what to run, never a traceback or a path
(a real uvicorn on 127.0.0.1, in a thread)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO, make_config
from dataproducts.api.tokens import create_token
from dataproducts.governance.access import load_roles


@contextmanager
def serving(tmp: Path) -> Iterator[str]:
    import uvicorn

    from dataproducts.api.app import create_app

    cfg = make_config(tmp)
    tokens = tmp / "tokens.json"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(cfg, tokens_file=tokens), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _get(url: str, token: str | None = None) -> tuple[int, dict[str, str], dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_nothing_built_then_a_manifest_without_a_warehouse(tmp_path: Path) -> None:
    token = create_token(tmp_path / "tokens.json", load_roles(REPO), role="analysts").token
    with serving(tmp_path) as base:
        status, _, body = _get(base + "/api/products")
        assert status == 503 and body == {
            "error": "nothing is built yet: run dp nightly (or dbt build) first"
        }
        # a manifest (target/, no run record yet) but no warehouse file: metadata works, rows are a 503
        (tmp_path / "target").mkdir()
        (tmp_path / "target" / "manifest.json").write_bytes(
            (REPO / "tests/fixtures/manifest_small.json").read_bytes()
        )
        status, _, body = _get(base + "/api/products")
        assert status == 200 and body["run_id"] is None and body["products"]
        status, headers, body = _get(base + "/api/products/sales.fct_orders/rows", token)
        assert status == 503 and headers["retry-after"] == "30", body
        assert body == {"error": "the warehouse cannot be read now: retry later"}
        assert str(tmp_path) not in json.dumps(body)
        status, _, body = _get(base + "/api/products/sales.fct_orders/slo")
        assert status == 404 and body["error"].startswith("no SLO report yet")
        status, _, body = _get(base + "/api/products/sales.fct_orders/slo/history")
        assert status == 200 and body["runs"] == []
