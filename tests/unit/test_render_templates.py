"""The one template system: package templates, autoescape on, one layout and one stylesheet for every page."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from dataproducts.artifacts import load_manifest
from dataproducts.governance.catalog import build_catalog
from dataproducts.render import render_html
from dataproducts.render.catalog import render_html as catalog_html
from dataproducts.render.templates import CSP, environment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _style(page: str) -> str:
    found = re.search(r"<style>(.*?)</style>", page, flags=re.S)
    assert found
    return found.group(1)


def test_templates_are_package_data() -> None:
    folder = resources.files("dataproducts") / "templates"
    names = {entry.name for entry in folder.iterdir() if entry.is_file()}
    assert {"_base.html.j2", "style.css", "slo_report.html.j2", "catalog.html.j2"} <= names
    portal = {f"portal/{entry.name}" for entry in (folder / "portal").iterdir() if entry.is_file()}
    assert {"portal/home.html.j2", "portal/product.html.j2"} <= portal
    assert set(environment().list_templates()) >= names | portal


def test_autoescape_is_on_and_values_are_text() -> None:
    env = environment()
    page = env.from_string("{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}").render(
        a="<script>'\"&", b=None, c=True, d="a\ud800", e=Markup("<b>kept</b>")
    )
    assert page == "&lt;script&gt;&#39;&#34;&amp;||true|a\ufffd|<b>kept</b>"


def test_report_and_catalog_share_the_layout_and_the_stylesheet() -> None:
    report = json.loads((FIXTURES / "slo_report_sample.json").read_text(encoding="utf-8"))
    catalog = build_catalog(load_manifest(FIXTURES / "manifest_small.json"))
    pages = [render_html(report), catalog_html(catalog)]
    assert _style(pages[0]) == _style(pages[1])
    style = resources.files("dataproducts").joinpath("templates", "style.css").read_text(encoding="utf-8")
    assert _style(pages[0]) == style
    for page in pages:
        assert page.startswith("<!doctype html>\n")
        assert CSP.replace("'", "&#39;") in page
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "<script" not in page.lower()
