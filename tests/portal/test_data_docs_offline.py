"""The Data Docs rewrite (validation.data_docs), the dbt docs patch and the report's stable anchors, on small
hand-made inputs (fast: no build)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dataproducts.portal.site import dbt_docs_html, up
from dataproducts.render.html import render_html
from dataproducts.validation.data_docs import MARKER, escape_samples, make_offline, offline_html

GX_PAGE = """<!DOCTYPE html><html><head><title>t</title>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" type="text/css" href="//unpkg.com/x.css">
<link rel="stylesheet" href="static/styles/data_docs_custom_styles.css">
<link rel="shortcut icon" href="../../../../static/images/favicon.ico" type="image/x-icon"/>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<SCRIPT>$(".ge-walkthrough-modal").modal();</SCRIPT>
</head><body><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">
<img src="static/images/local.png"><a href="https://greatexpectations.io">GX</a></body></html>"""


def test_offline_html_drops_external_loads_and_scripts_and_keeps_local_ones() -> None:
    page = offline_html(GX_PAGE, "../../")
    lowered = page.lower()
    assert "<script" not in lowered
    assert "bootstrapcdn" not in page and "unpkg.com" not in page and "amazonaws" not in page
    assert 'href="static/styles/data_docs_custom_styles.css"' in page  # local stylesheet kept
    assert "favicon" not in page
    assert '<img src="../../static/images/logo-long.png"' in page and 'src="static/images/local.png"' in page
    assert 'href="https://greatexpectations.io"' in page  # a link is not a load
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert page.index(MARKER) < page.lower().index("</head>")
    assert offline_html(page, "../../") == page  # idempotent


def test_make_offline_rewrites_every_page_with_its_own_depth(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "index.html").write_text(GX_PAGE, encoding="utf-8")
    (tmp_path / "a" / "b" / "p.html").write_text(GX_PAGE, encoding="utf-8")
    pages = make_offline(tmp_path)
    assert len(pages) == 2
    assert 'src="static/images/logo-long.png"' in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'src="../../static/images/logo-long.png"' in (tmp_path / "a/b/p.html").read_text(encoding="utf-8")


def test_escape_samples_escapes_every_sample_and_nothing_else() -> None:
    result: dict[str, Any] = {
        "element_count": 3,
        "partial_unexpected_list": ["<b>x</b>", None, 5],
        "partial_unexpected_counts": [{"value": "<i>y</i>", "count": 2}],
        "partial_unexpected_index_list": [{"id": "<s>"}],
        "observed_value": "<keep>",
    }
    out = escape_samples(result)
    assert out["partial_unexpected_list"] == ["&lt;b&gt;x&lt;/b&gt;", None, 5]
    assert out["partial_unexpected_counts"] == [{"value": "&lt;i&gt;y&lt;/i&gt;", "count": 2}]
    assert out["partial_unexpected_index_list"] == [{"id": "&lt;s&gt;"}]
    assert out["observed_value"] == "<keep>" and out["element_count"] == 3
    assert result["partial_unexpected_list"][0] == "<b>x</b>"  # a copy: the caller's result is untouched


def test_dbt_docs_patch_binds_icons_and_allows_only_its_own_scripts() -> None:
    page = (
        '<html><head><link rel="shortcut icon" href="${require(\'./assets/favicons/favicon.ico\')}"/>'
        '</head><body><script>var a=1;</script><script defer="defer">var b=2;</script>'
        '<svg><use xlink:href="{{ getIcon(item.type) }}"></use></svg></body></html>'
    )
    patched = dbt_docs_html(page)
    assert 'ng-attr-xlink:href="{{ getIcon' in patched and "${require" not in patched
    csp = patched[patched.index("Content-Security-Policy") :]
    assert csp.count("'sha256-") == 2 and "'unsafe-inline'" not in csp.split("style-src")[0]


def test_relative_roots() -> None:
    assert up("index.html") == ""
    assert up("products/orders/index.html") == "../../"
    assert up("data-docs/r/s/validations/a/b.html") == "../../../../../"


def test_report_anchors_do_not_depend_on_the_ranking() -> None:
    first = {"id": "sales.orders", "status": "breached"}
    second = {"id": "customers.customers", "status": "met"}
    one = render_html({"products": [first, second]})
    two = render_html({"products": [{**first, "status": "met"}, {**second, "status": "breached"}]})
    for page in (one, two):
        assert 'id="product-sales-orders"' in page and 'id="product-customers-customers"' in page
