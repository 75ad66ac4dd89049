"""The SLO report as one self-contained HTML page: inline CSS and SVG, no script, no external resource.

The page is the Jinja2 template ``templates/slo_report.html.j2`` on the shared layout and stylesheet (see
``render.templates``): autoescape escapes every value taken from the report, and only http(s) and mailto
links (and the relative links the runner builds to dbt docs and Data Docs) become hyperlinks
(``render.safe.safe_href``). A Content-Security-Policy forbids scripts and external loads as a second line
of defence. Reads only the report document; computes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from dataproducts.render._format import obj, products_worst_first, sli_label, text, timestamp
from dataproducts.render.safe import safe_href
from dataproducts.render.templates import PORTAL_NAV, inline_markdown, render_page

__all__ = ["inline_markdown", "render_html", "safe_href"]


def anchor_id(product: dict[str, Any], index: int) -> str:
    """A product's anchor in the page, from its id only (``product-sales-orders``), so a link to it stays
    valid whatever the day's ranking; ``index`` only when the id gives no usable name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", text(product.get("id") or product.get("name"))).strip("-")
    return f"product-{slug}" if slug else f"product-{index}"


def _anchors(products: list[dict[str, Any]]) -> list[str]:
    """Each product's anchor, unique in the page (a clash of slugs gets the position appended)."""
    seen: set[str] = set()
    out = []
    for i, product in enumerate(products, start=1):
        anchor = anchor_id(product, i)
        if anchor in seen:
            anchor = f"{anchor}-{i}"
        seen.add(anchor)
        out.append(anchor)
    return out


def _not_met(product: dict[str, Any]) -> list[str]:
    """The labels of the SLIs not met, in the report's order."""
    slis = obj(product.get("slis")).items()
    return [sli_label(name) for name, sli in slis if isinstance(sli, dict) and sli.get("status") != "met"]


def render_html(report: dict[str, Any], *, portal_root: str | None = None, static: bool = False) -> str:
    """Render the SLO report document as one self-contained, responsive HTML page. In the portal
    (``portal_root``: the relative way back to its root) the page gets the portal's navigation and each
    product links to its stable product page."""
    products = products_worst_first(report)
    portal: dict[str, Any] = {}
    if portal_root is not None:
        portal = {
            "root": portal_root,
            "static": static,
            "nav": PORTAL_NAV,
            "here": "reports/index.html",
            "title": "SLO report",
        }
    return render_page(
        "slo_report.html.j2",
        report=report,
        rows=list(zip(products, _anchors(products), strict=True)),
        as_of=report.get("as_of_date") or timestamp(report.get("as_of")),
        slis_not_met_labels=_not_met,
        **portal,
    )
