"""The catalog page in real headless Chromium: on the report's layout and stylesheet it loads without console
errors (the CSP forbids scripts and external loads) and fits a phone screen without horizontal scrolling."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser.chromium import assert_png, console_errors, open_page, screenshot
from dataproducts.artifacts import load_manifest
from dataproducts.governance.catalog import build_catalog
from dataproducts.render.catalog import render_html

pytestmark = pytest.mark.browser

MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "manifest_small.json"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog-html") / "catalog.html"
    path.write_text(render_html(build_catalog(load_manifest(MANIFEST))), encoding="utf-8")
    return path


def test_loads_without_console_errors(page_file: Path) -> None:
    assert console_errors(page_file, width=1280, height=900) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_no_horizontal_scroll(page_file: Path, width: int) -> None:
    with open_page(page_file, width=width, height=800) as page:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        sections = page.evaluate("document.querySelectorAll('section[id]').length")
        assert page.errors == []
    assert scroll_width <= width, f"page is {scroll_width}px wide at {width}px"
    assert sections > 0


def test_screenshot(page_file: Path, tmp_path: Path) -> None:
    png = screenshot(page_file, tmp_path / "catalog_375.png", 375, 900)
    assert assert_png(png) == (375, 900)
