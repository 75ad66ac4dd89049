"""One small nightly run for the portal's tests (tests/portal/ and tests/browser/test_portal_browser.py).

A copy of the project whose ``sales.orders`` description carries HTML, generated at a small scale with the
``nulls`` fault (a critical check fails) and with HTML in some ``shipping_country_code`` values (a failing
regex check whose samples are markup), then ``dp nightly`` (build, validate with Data Docs, report, dbt
docs) and ``dp export odcs``. Built once per process (``night()`` is cached) in a temporary folder removed
at exit; about 35 s.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import http.server
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from conftest import AS_OF, REPO, SMALL_SCALE, copy_ignore, dp, make_config
from dataproducts.config import ProjectConfig
from dataproducts.generate import generate

#: what the tests expect to see as text, never as markup
DESCRIPTION_PAYLOAD = '<img src=x onerror="window.__xss_desc=1">'
DATA_PAYLOAD = "<b id=xssdata>XS</b>"  # upper-cased by staging: <B ID=XSSDATA>XS</B>
DATA_SHOWN = DATA_PAYLOAD.upper()


@dataclass(frozen=True)
class Night:
    project: Path
    config: ProjectConfig
    returncode: int
    output: str

    def paths_args(self) -> list[str]:
        c = self.config
        return [
            "--project-dir",
            str(self.project),
            "--target-dir",
            str(c.target_dir),
            "--reports-dir",
            str(c.reports_dir),
            "--history",
            str(c.history),
            "--runs-dir",
            str(c.runs_dir),
        ]


def _copy_project(dest: Path) -> Path:
    ignore = copy_ignore(
        REPO,
        ".venv",
        ".venv-*",
        "target",
        "logs",
        "reports",
        "warehouse",
        "runs",
        "files",
        ".git",
        "*.duckdb",
        "__pycache__",
    )
    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    models = dest / "models" / "sales" / "marts" / "_sales__models.yml"
    text = models.read_text(encoding="utf-8")
    # the orders model's description gains an HTML payload (a name or description is data too)
    start = text.index("  - name: orders\n")
    at = text.index("description:", start)
    line_end = text.index("\n", at)
    line = text[at:line_end]
    if line.rstrip().endswith((">", "|")):
        # a folded block: prepend a line of its own, indented like the next line
        nxt_start = line_end + 1
        nxt_end = text.index("\n", nxt_start)
        indent = len(text[nxt_start:nxt_end]) - len(text[nxt_start:nxt_end].lstrip())
        text = (
            text[:nxt_start] + " " * indent + DESCRIPTION_PAYLOAD.replace('"', "'") + "\n" + text[nxt_start:]
        )
    else:
        raise AssertionError(f"unexpected description line in {models}: {line!r}")
    models.write_text(text, encoding="utf-8")
    (dest / "warehouse").mkdir(exist_ok=True)
    return dest


@functools.cache
def night() -> Night:
    tmp = Path(tempfile.mkdtemp(prefix="dp-portal-"))
    atexit.register(shutil.rmtree, tmp, True)
    project = _copy_project(tmp / "project")
    cfg = make_config(tmp, project)
    generate(cfg.warehouse, scale=SMALL_SCALE, seed=7, as_of=AS_OF, faults=("nulls",))
    con = duckdb.connect(str(cfg.warehouse))
    try:
        con.execute(
            "update raw_shop.orders set shipping_country_code = ? "
            "where order_id in (select order_id from raw_shop.orders order by order_id limit 3)",
            [DATA_PAYLOAD],
        )
    finally:
        con.close()
    common = [
        "--project-dir",
        str(project),
        "--target-dir",
        str(cfg.target_dir),
        "--reports-dir",
        str(cfg.reports_dir),
    ]
    result = dp(
        "nightly",
        "--as-of",
        AS_OF.isoformat(),
        *common,
        "--warehouse",
        str(cfg.warehouse),
        "--history",
        str(cfg.history),
        "--runs-dir",
        str(cfg.runs_dir),
        "--files-dir",
        str(cfg.files_dir),
        cwd=project,
        env={"DBT_LOG_PATH": str(tmp / "logs")},
    )
    export = dp("export", "odcs", *common, "--manifest", str(_manifest(cfg)), cwd=project)
    assert export.returncode == 0, export.stderr
    return Night(project, cfg, result.returncode, result.stdout + result.stderr)


def _manifest(cfg: ProjectConfig) -> Path:
    (record,) = [p for p in cfg.runs_dir.iterdir() if not p.name.startswith(".")]
    return record / "dbt" / "manifest.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(n: Night) -> Iterator[str]:
    """`dp serve` in a subprocess on a free loopback port; yields its base URL, stops it at the end."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dataproducts", "serve", "--port", str(port), *n.paths_args()],
        cwd=n.project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate(timeout=5)
                raise AssertionError(f"dp serve did not start (exit {proc.returncode}): {err}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Python's plain http.server over ``directory`` on a free loopback port (a static host)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
