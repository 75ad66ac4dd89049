"""The portal in headless Chromium, as a new user walks it: home -> product -> failing check -> lineage -> dbt
docs and Data Docs, on `dp serve` (a real uvicorn on 127.0.0.1) and on the static site from file://. Every
page loads without console errors, no request leaves the machine, and the HTML payloads planted in the
data and in a description are shown as text, never run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from browser.chromium import Page, open_page
from conftest import dp
from portal_support import DATA_SHOWN, DESCRIPTION_PAYLOAD, Night, night, serving

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LOCAL = ("127.0.0.1", "localhost", "")


@pytest.fixture(scope="module")
def built() -> Night:
    return night()


class Walk:
    """A page that records every request it makes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        original = page._on_event

        def on_event(event: dict[str, Any]) -> None:
            if event["method"] == "Network.requestWillBeSent":
                self.requests.append(event["params"]["request"]["url"])
            original(event)

        page._on_event = on_event  # type: ignore[method-assign]
        page.call("Network.enable")

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def click(self, selector: str) -> None:
        href = self.page.evaluate(f"document.querySelector({selector!r}).href")
        assert href, f"no link {selector} on {self.url}"
        self.goto(href)

    @property
    def url(self) -> str:
        return str(self.page.evaluate("location.href"))

    def text(self, selector: str = "body") -> str:
        return str(self.page.evaluate(f"document.querySelector({selector!r}).innerText"))

    def outside(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "file", "chrome", "devtools"):
                continue
            if parts.hostname not in LOCAL:
                out.append(url)
        return out


@pytest.fixture()
def walk() -> Iterator[Walk]:
    with open_page("about:blank", width=1280, height=900) as page:
        yield Walk(page)


def _no_payload_ran(w: Walk) -> None:
    assert w.page.evaluate("window.__xss_desc === undefined")
    assert w.page.evaluate("document.getElementById('xssdata') === null")
    assert w.page.evaluate("document.querySelector('img[src=x]') === null")


def test_walk_the_served_portal(built: Night, walk: Walk) -> None:
    with serving(built) as base:
        walk.goto(base)
        assert "sales.orders" in walk.text("table.products")
        # the filter: breached products only, then a text that matches nothing
        walk.page.evaluate(
            "(() => {const s=document.querySelector('[name=status]'); s.value='breached';"
            " s.dispatchEvent(new Event('change', {bubbles:true}));})()"
        )
        shown = walk.page.evaluate(
            "[...document.querySelectorAll('tr[data-status]')].filter(r=>!r.hidden).length"
        )
        assert shown == 1 and walk.text("#shown") == "1"
        # home -> product
        walk.click("a.product-link[href*='products/orders/']")
        assert walk.url == base + "products/orders/index.html"
        body = walk.text()
        # the failing checks with their samples, the payload in the data shown as text
        checks = walk.text("ul.checks")
        assert (
            "expect_column_values_to_be_not_null" in checks or "expect_column_values_to_not_be_null" in checks
        )
        assert DATA_SHOWN in checks
        # the description's HTML as text
        assert DESCRIPTION_PAYLOAD.replace('"', "'") in body
        _no_payload_ran(walk)
        # the values behind the trend and the lineage coloured by status
        assert "pass rate" in walk.text("#history").lower()
        lineage = walk.text("#lineage")
        assert "shop.orders" in lineage and "sales.sales_daily" in lineage
        colour = walk.page.evaluate(
            "getComputedStyle(document.querySelector('#lineage .lin-self .node')).borderLeftColor"
        )
        assert colour not in ("", "rgba(0, 0, 0, 0)")
        # lineage -> the downstream product's own page
        walk.click("#lineage a[href*='sales_daily']")
        assert walk.url.endswith("/products/sales_daily/index.html")
        walk.goto(base + "products/orders/")
        # -> dbt docs (same origin) and -> Data Docs (same origin, offline)
        walk.click("a.btn[href*='dbt-docs']")
        assert urlsplit(walk.url).netloc == urlsplit(base).netloc
        walk.page.settle(1.5)
        assert "orders" in walk.text().lower()
        assert walk.page.evaluate("window.__xss_desc === undefined")
        # the planted description is shown as text: the portal's copy of the site escapes descriptions
        assert DESCRIPTION_PAYLOAD.replace('"', "'") in walk.text(), walk.text()[:2000]
        assert walk.page.evaluate("document.querySelector('img[src=\"x\"]') === null")
        walk.goto(base + "products/orders/")
        walk.click("a.btn[href*='data-docs']")
        assert urlsplit(walk.url).path.endswith("sales.orders.html")
        docs = walk.text()
        assert "expectation validation result" in docs.lower() and DATA_SHOWN in docs
        _no_payload_ran(walk)
        assert (
            walk.page.evaluate("getComputedStyle(document.querySelector('.card')).borderTopStyle") == "solid"
        )
        # the catalog, the reports, the contracts and the API docs
        for path in ("catalog/", "reports/", "contracts/", "changelog/", "api/docs"):
            walk.goto(base + path)
            assert walk.page.evaluate("document.querySelector('nav.portal-nav') !== null"), path
            _no_payload_ran(walk)
        walk.goto(base + "reports/")
        walk.click("main a[href$='/index.html']")
        assert "Data product SLOs" in walk.text("h1")
        _no_payload_ran(walk)
    errors = walk.page.errors
    assert errors == [], errors
    assert walk.page.dialogs == []
    assert walk.outside() == [], walk.outside()


def test_the_static_site_works_from_file_urls(built: Night, walk: Walk, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = dp("portal", "build", str(out), *built.paths_args(), cwd=built.project)
    assert result.returncode == 0, result.stderr
    walk.goto((out / "index.html").as_uri())
    walk.click("a.product-link[href*='products/orders/']")
    assert walk.url == (out / "products" / "orders" / "index.html").as_uri()
    assert DATA_SHOWN in walk.text("ul.checks")
    _no_payload_ran(walk)
    walk.click("a.btn[href*='data-docs']")
    assert "expectation validation result" in walk.text().lower()
    _no_payload_ran(walk)
    # the Data Docs index lists every validation without its scripts (GX fills that table from script data)
    site_root = walk.url.split("/validations/")[0]
    walk.goto(site_root + "/index.html")
    assert walk.page.evaluate("document.querySelectorAll('a[href^=\"validations/\"]').length") >= 9
    assert walk.page.errors == [], walk.page.errors
    assert walk.outside() == []
