"""The portal without a browser: `dp portal build DIR` (every link relative and present), `dp serve`'s
answers over HTTP (stable product URLs, /api, offline API docs, Data Docs rewritten) and its bad input
(one line, exit 2)."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import REPO, dp
from portal_support import DATA_PAYLOAD, DATA_SHOWN, DESCRIPTION_PAYLOAD, Night, night, serving

pytestmark = pytest.mark.integration


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag in ("script", "img") and a.get("src"):
            self.loads.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.loads.append(a["href"] or "")


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def built() -> Night:
    n = night()
    assert n.returncode == 1, n.output  # the faults breach sales.orders: the night exits 1
    return n


@pytest.fixture(scope="module")
def site(built: Night, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    result = dp("portal", "build", str(out), *built.paths_args(), cwd=built.project)
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    return out


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("content-type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode("utf-8", "replace")


def test_static_site_links_are_relative_and_all_resolve(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert (site / "index.html") in pages
    products = sorted(p.parent.name for p in (site / "products").glob("*/index.html"))
    assert "orders" in products and len(products) >= 9
    assert (site / "dbt-docs" / "index.html").is_file()
    assert list((site / "data-docs").rglob("sales.orders.html"))
    assert list((site / "contracts").rglob("orders.odcs.yaml"))
    checked = 0
    for page in pages:
        if page.parent.name == "dbt-docs":
            continue  # dbt's own single-page app
        parsed = _parse(page.read_text(encoding="utf-8"))
        for load in parsed.loads:
            assert not re.match(r"(?i)(https?:)?//", load), f"{page}: loads {load} from outside"
        for href in parsed.links:
            scheme = urlsplit(href).scheme
            if scheme in ("http", "https", "mailto") or href.startswith("#"):
                continue
            assert not href.startswith("/"), f"{page}: absolute link {href}"
            target = urlsplit(urljoin(page.as_uri(), href)).path
            assert Path(unquote(target)).exists(), f"{page.relative_to(site)}: broken link {href}"
            checked += 1
    assert checked > 100


def test_home_and_product_pages_show_status_values_and_lineage(site: Path, built: Night) -> None:
    report = json.loads((built.config.reports_dir / "latest" / "slo_report.json").read_text(encoding="utf-8"))
    home = (site / "index.html").read_text(encoding="utf-8")
    for product in report["products"]:
        assert f'href="products/{product["name"]}/index.html"' in home
    assert 'data-status="breached"' in home and 'id="filter"' in home
    page = (site / "products" / "orders" / "index.html").read_text(encoding="utf-8")
    orders = next(p for p in report["products"] if p["id"] == "sales.orders")
    assert orders["status"] == "breached"
    # the trend's values, not only colours: row count and pass rate of the run
    assert f"{orders['row_count']:,}" in page
    assert "Pass rate" in page and "Freshness" in page
    # failing checks with their samples, escaped
    assert "expect_column_values_to_match_regex" in page
    assert DATA_SHOWN not in page and "&lt;B ID=XSSDATA&gt;XS&lt;/B&gt;" in page
    assert DESCRIPTION_PAYLOAD not in page and "&lt;img src=x onerror=" in page
    # lineage: upstream sources and downstream products, each product coloured by its status
    lineage = page[page.index('id="lineage"') : page.index('id="history"')]
    assert "shop.orders" in lineage and "k-source" in lineage
    assert re.search(r'class="node s-(met|at_risk|breached|unknown) k-product"><svg', lineage)
    assert (
        'href="../sales_daily/index.html"' in lineage
        or 'href="../../products/sales_daily/index.html"' in lineage
    )
    # contract, columns and types, access
    assert "../../contracts/sales/orders.odcs.yaml" in page
    assert "<code>customer_id</code>" in page and "How to get access" in page
    # the links into dbt docs and Data Docs point inside the portal
    assert 'href="../../dbt-docs/index.html#!/model/model.dataproducts.orders' in page
    assert re.search(r'href="\.\./\.\./data-docs/[^"]+/sales\.orders\.html"', page)


def test_data_docs_offline_and_samples_escaped(site: Path) -> None:
    (page,) = list((site / "data-docs").rglob("sales.orders.html"))
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(?i)(src|href)=["']?(https?:)?//[^"']*\.(css|js)""", html)
    assert "Content-Security-Policy" in html
    assert DATA_SHOWN not in html and DATA_PAYLOAD not in html
    assert "&lt;B ID=XSSDATA&gt;" in html or "&amp;lt;B ID=XSSDATA&amp;gt;" in html


def test_serve_pages_api_and_stable_urls(built: Night) -> None:
    with serving(built) as base:
        status, kind, home = _get(base)
        assert status == 200 and kind.startswith("text/html") and "sales.orders" in home
        status, _, page = _get(base + "products/orders/")
        assert status == 200 and "Lineage" in page
        # without the slash: redirected to the folder (relative links need it)
        status, _, again = _get(base + "products/orders")
        assert status == 200 and again == page
        assert _get(base + "products/no_such_product/")[0] == 404
        assert _get(base + "products/../../etc/passwd")[0] == 404
        status, kind, spec = _get(base + "api/openapi.json")
        assert status == 200 and json.loads(spec)["openapi"].startswith("3.")
        status, _, docs = _get(base + "api/docs")
        assert status == 200 and "openapi.json" in docs and "cdn" not in docs.lower()
        assert _get(base + "docs")[0] == 404  # FastAPI's CDN-backed Swagger UI is off
        (dd,) = re.findall(r'href="\.\./\.\./(data-docs/[^"]+sales\.orders\.html)"', page)
        status, _, data_docs = _get(base + dd)
        assert status == 200 and "<script" not in data_docs.lower() and DATA_SHOWN not in data_docs
        status, _, dbt_docs = _get(base + "dbt-docs/")
        assert status == 200 and "dbt" in dbt_docs.lower()


def test_serve_refuses_a_port_in_use_in_one_line(built: Night) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = dp("serve", "--port", str(port), *built.paths_args(), cwd=built.project)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr
    assert "in use" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["serve", "--port", "70000"], "70000"),
        (["serve", "--port", "http"], "'http'"),
        (["portal"], "ACTION"),
    ],
)
def test_serve_and_build_usage_errors(args: list[str], expected: str, tmp_path: Path) -> None:
    result = dp(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


def test_serve_and_build_without_a_project_or_runs_name_what_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["serve", "--port", "0"], ["portal", "build", str(tmp_path / "out")]):
        # not a dbt project
        result = dp(*args, "--project-dir", str(empty), cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert str(empty) in result.stderr and "dbt_project.yml" in result.stderr
        # a project without run records
        result = dp(*args, "--project-dir", str(REPO), "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert str(tmp_path / "runs") in result.stderr and "dp nightly" in result.stderr
    assert not (tmp_path / "out").exists()


def test_build_into_a_file_is_refused_and_nothing_is_written(built: Night, tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("keep", encoding="utf-8")
    result = dp("portal", "build", str(target), *built.paths_args(), cwd=built.project)
    assert result.returncode == 2 and str(target) in result.stderr and result.stderr.count("\n") == 1
    assert target.read_text(encoding="utf-8") == "keep"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".afile")]


def test_build_without_dbt_docs_says_so_and_keeps_every_link(built: Night, tmp_path: Path) -> None:
    args = built.paths_args()
    args[args.index("--target-dir") + 1] = str(tmp_path / "no-target")
    out = tmp_path / "site"
    result = dp("portal", "build", str(out), *args, cwd=built.project)
    assert result.returncode == 0, result.stderr
    page = (out / "dbt-docs" / "index.html").read_text(encoding="utf-8")
    assert "No dbt docs site yet" in page and str(tmp_path / "no-target") in page
    assert 'href="../index.html"' in page  # the portal's navigation, relative
