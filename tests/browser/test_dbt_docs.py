"""The dbt docs site shows the mesh: in headless Chromium the overview explains the domains and links every data
product, and a product page shows its owner, descriptor, SLO targets and consumers.

dbt docs loads manifest.json and catalog.json with fetch, which file:// blocks: the site is served from a
local http.server on 127.0.0.1 for the test.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from browser.chromium import Page, open_page
from conftest import build_project
from dataproducts.artifacts import load_manifest
from dataproducts.dbt import run_dbt
from dataproducts.products import DataProduct, load_products

pytestmark = [pytest.mark.browser, pytest.mark.integration]

RENDER_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dbt-docs")
    built = build_project(tmp)
    assert built.build_returncode == 0
    config = replace(built.config, target_dir=tmp / "docs")
    result = run_dbt(
        config, ["docs", "generate", "--quiet"], quiet=True, extra_env={"DBT_LOG_PATH": str(tmp / "logs")}
    )
    assert result.returncode == 0
    assert (config.target_dir / "index.html").is_file() and (config.target_dir / "catalog.json").is_file()
    return config.target_dir


@pytest.fixture(scope="module")
def site(docs_dir: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(docs_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def products(docs_dir: Path) -> list[DataProduct]:
    return load_products(load_manifest(docs_dir / "manifest.json"))


def _text_when(page: Page, *wanted: str) -> str:
    """The page's visible text once it contains every wanted string (the SPA renders after the load event)."""
    deadline = time.monotonic() + RENDER_TIMEOUT
    text = ""
    while time.monotonic() < deadline:
        text = page.evaluate("document.body ? document.body.innerText : ''") or ""
        if all(w in text for w in wanted):
            return text
        time.sleep(0.25)
    missing = [w for w in wanted if w not in text]
    raise AssertionError(f"the page never showed {missing}; it shows:\n{text[:3000]}")


def test_overview_explains_the_domains_and_links_every_product(
    site: str, products: list[DataProduct]
) -> None:
    with open_page(f"{site}#!/overview") as page:
        text = _text_when(page, "The data product mesh", "Domains and their products", "Service levels")
        for domain in ("Customers", "Sales", "Operations", "Marketing"):
            assert f"{domain} (owner: " in text
        links = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    for product in products:
        assert f"#!/model/{product.unique_id}" in links, f"the overview does not link {product.id}"
        assert product.id in text


def _visible(page: Page, text: str) -> bool:
    """True when a leaf element showing ``text`` is laid out on the page (not hidden, not zero-sized)."""
    found = page.evaluate(
        "(() => { const want = " + json.dumps(text) + "; return Array.from(document.querySelectorAll('*'))"
        ".filter(e => e.children.length === 0 && e.textContent.includes(want))"
        ".some(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);"
        " return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; }); })()"
    )
    return bool(found)


def test_a_product_page_shows_owner_descriptor_slos_and_consumers(
    site: str, products: list[DataProduct]
) -> None:
    orders = next(p for p in products if p.id == "sales.orders")
    with open_page(f"{site}#!/model/{orders.unique_id}") as page:
        # labels are upper-cased by CSS (innerText shows OWNER); compare the owner value itself
        text = _text_when(page, "orders", orders.owner.label(), "Grain: one row per order")
        assert _visible(page, "Sales Analytics <sales-analytics@example.com>"), "the owner is not shown"
        dom = page.evaluate("document.body.textContent")
        assert '"classification":"internal"' in dom and '"slo":' in dom, (
            "the descriptor with its SLOs is missing"
        )
        assert '"availability":{"objective":0.99}' in dom
        # consumers: the Exposures tab of Referenced By lists them
        page.evaluate(
            "(() => { const tabs = Array.from(document.querySelectorAll('a'))"
            ".filter(e => e.textContent.trim() === 'Exposures'); tabs[tabs.length - 1].click(); })()"
        )
        for exposure in orders.exposures:
            _text_when(page, exposure.name)
            assert _visible(page, exposure.name), f"consumer {exposure.name} is not shown"
        if "Data product `sales.orders`" in text:
            assert _visible(page, "availability")  # the product card, once the YAML references it
