"""`dp catalog`'s HTML page: descriptions as Markdown (code and bold, everything else escaped) and each
product's status in the latest SLO report (fast: a small hand-trimmed manifest)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from conftest import make_config
from dataproducts.artifacts import load_manifest
from dataproducts.governance.catalog import Catalog, build_catalog, latest_statuses, write_catalog
from dataproducts.render.catalog import render_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _catalog() -> Catalog:
    catalog = build_catalog(load_manifest(FIXTURES / "manifest_small.json"))
    first = catalog.products[0]
    shown = replace(first, description="**Grain: one row** per `order_id` <img src=x onerror=alert(1)>")
    return replace(catalog, products=(shown, *catalog.products[1:]))


def test_catalog_html_renders_markdown_and_escapes_the_rest() -> None:
    catalog = _catalog()
    page = render_html(catalog)
    assert "<strong>Grain: one row</strong> per <code>order_id</code>" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'class="badge' not in page  # no status without a report


def test_catalog_html_shows_the_latest_report_status(tmp_path: Path) -> None:
    catalog = _catalog()
    cfg = make_config(tmp_path)
    (cfg.reports_dir / "latest").mkdir(parents=True)
    ids = [p.id for p in catalog.products]
    report = {"products": [{"id": ids[0], "status": "breached"}, {"id": ids[1], "status": "met"}]}
    (cfg.reports_dir / "latest" / "slo_report.json").write_text(json.dumps(report), encoding="utf-8")
    statuses = latest_statuses(cfg)
    assert statuses == {ids[0]: "breached", ids[1]: "met"}
    (html_path,) = [p for p in write_catalog(catalog, tmp_path / "catalog", statuses) if p.suffix == ".html"]
    page = html_path.read_text(encoding="utf-8")
    section = page[page.index(f"<h2>{ids[0]}") :]
    assert 'class="badge s-breached"' in section.split("</h2>", 1)[0]


def test_latest_statuses_tolerates_a_missing_or_damaged_report(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    assert latest_statuses(cfg) == {}
    (cfg.reports_dir / "latest").mkdir(parents=True)
    (cfg.reports_dir / "latest" / "slo_report.json").write_text("{trunc", encoding="utf-8")
    assert latest_statuses(cfg) == {}
