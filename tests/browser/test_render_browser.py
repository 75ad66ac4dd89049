"""The SLO report's HTML page in real headless Chromium: it loads without console errors, shows a trend SVG per
product, keeps hostile sample values as text, fits a phone screen without horizontal scrolling, and can be
screenshotted at phone and laptop widths."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from browser import chromium
from browser.chromium import assert_png, console_errors, dump_dom, open_page, screenshot
from dataproducts.render import render_html

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "slo_report_sample.json"
SCRIPT_SAMPLE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def page_file(report: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slo-html") / "slo_report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def keep(png: Path) -> None:
    """Copy a screenshot to $DP_SCREENSHOT_DIR when set, for a human to look at."""
    folder = os.environ.get("DP_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(folder) / png.name)


# ------------------------------------------------------------------------------------------ the helper


def test_chromium_is_installed() -> None:
    assert Path(chromium.chromium_binary()).is_file()


def test_missing_chromium_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(chromium, "DEBIAN_PATH", str(tmp_path / "also-nope"))
    with pytest.raises(AssertionError, match="apt-get install chromium"):
        chromium.chromium_binary()


def test_console_error_detection_works(tmp_path: Path) -> None:
    """A negative control: the checks below would see errors, failed loads and dialogs if there were any."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html><body><img src="https://example.invalid/x.png">'
        "<script>console.error('boom'); alert('hi'); notDefined();</script></body></html>",
        encoding="utf-8",
    )
    errors = "\n".join(console_errors(bad))
    assert "console.error: boom" in errors
    assert "notDefined is not defined" in errors
    assert "example.invalid/x.png" in errors
    assert "dialog: alert: hi" in errors


# ------------------------------------------------------------------------------------------ the report


@pytest.mark.parametrize("width", [375, 1280])
def test_loads_without_console_errors(page_file: Path, width: int) -> None:
    assert console_errors(page_file, width=width, height=900) == []


def test_dump_dom_has_a_trend_svg_per_product_and_the_script_sample_as_text(
    page_file: Path, report: dict[str, Any]
) -> None:
    dom = dump_dom(page_file)
    assert dom.count('<svg class="trend"') == len(report["products"])
    for product in report["products"]:
        card_start = dom.index(f'data-product="{product["id"]}"')
        card = dom[card_start : dom.index("</article>", card_start)]
        assert '<svg class="trend"' in card, product["id"]
        assert f"Daily SLO status of {product['id']}" in card
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_live_page_shows_every_trend_and_runs_no_script(page_file: Path, report: dict[str, Any]) -> None:
    with open_page(page_file, width=1280, height=900) as page:
        found = page.evaluate(
            """[...document.querySelectorAll('article[data-product]')].map(card => {
                 const svg = card.querySelector('svg.trend');
                 const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                 return {id: card.dataset.product, title: svg ? svg.querySelector('title').textContent : null,
                         labelled: svg ? svg.getAttribute('aria-labelledby') : null,
                         cells: svg ? svg.querySelectorAll('rect').length : 0,
                         width: box.width, height: box.height};
               })"""
        )
        scripts = page.evaluate("document.scripts.length")
        samples = page.evaluate("[...document.querySelectorAll('code.sample')].map(c => c.textContent)")
        assert page.dialogs == []
        assert page.errors == []
    assert [card["id"] for card in found] == [
        "operations.service_health_daily",
        "sales.fct_orders",
        "operations.kpi_status_daily",
        "marketing.customer_lifetime_value",
        "customers.dim_customers",
        "sales.fct_order_items",
        "customers.dim_customers_v1",
        "marketing.cohort_retention",
        "sales.dim_products",
        "sales.sales_daily",
    ]
    assert len(found) == len(report["products"])
    for card in found:
        assert card["id"] in card["title"] and card["labelled"]
        assert card["cells"] > 0 and card["width"] > 200 and card["height"] > 50, card
    assert scripts == 0
    assert SCRIPT_SAMPLE in samples and "<img src=x onerror=alert(2)>" in samples


@pytest.mark.parametrize("width", [320, 375, 768, 1280])
def test_no_horizontal_scroll(page_file: Path, width: int) -> None:
    with open_page(page_file, width=width, height=800) as page:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        inner_width = page.evaluate("window.innerWidth")
        overflowing = page.evaluate(
            # Any element reaching past the right edge, except inside a visually hidden (clipped) box such
            # as the table headers that phone layouts keep for screen readers.
            f"""[...document.querySelectorAll('body *')]
                 .filter(el => el.getBoundingClientRect().right > {width} + 0.5)
                 .filter(el => {{
                   for (let a = el; a; a = a.parentElement) if (getComputedStyle(a).clip !== 'auto') return false;
                   return true;
                 }})
                 .slice(0, 5).map(el => el.tagName + '.' + el.getAttribute('class'))"""
        )
    assert inner_width == width
    assert scroll_width <= width, f"page is {scroll_width}px wide at {width}px: {overflowing}"
    assert overflowing == []


@pytest.mark.parametrize(("width", "height"), [(375, 1200), (1280, 900)])
def test_screenshot(page_file: Path, tmp_path: Path, width: int, height: int) -> None:
    png = screenshot(page_file, tmp_path / f"slo_report_{width}.png", width, height)
    assert assert_png(png) == (width, height)
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    keep(png)


def test_full_page_screenshot_on_a_phone(page_file: Path, tmp_path: Path) -> None:
    with open_page(page_file, width=375, height=800) as page:
        png = page.screenshot(tmp_path / "slo_report_375_full.png", full_page=True)
    png_width, png_height = assert_png(png)
    assert png_width == 375 and png_height > 3000
    keep(png)
