"""The catalog's renderers: JSON (for machines), Markdown and HTML (for people) and the dbt docs product cards.

They take the finished ``governance.catalog.Catalog`` and compute nothing. The Markdown stays Python, line
by line through ``render.safe`` (every value escaped where it is placed, tables and code spans as GFM wants
them); the HTML is the Jinja2 template ``templates/catalog.html.j2`` on the SLO report's layout and stylesheet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dataproducts.constants import SLI_NAMES
from dataproducts.products import CARD_MARKER
from dataproducts.render.safe import md_code, md_escape, md_inline, md_link
from dataproducts.render.templates import render_page

if TYPE_CHECKING:
    from dataproducts.governance.catalog import Catalog


def render_json(catalog: Catalog) -> str:
    return json.dumps(catalog.to_dict(), indent=2, default=str) + "\n"


def _slo_text(slo: Mapping[str, Any]) -> list[str]:
    lines = []
    for name in SLI_NAMES:
        target = slo.get(name)
        if not isinstance(target, Mapping):
            continue
        params = ", ".join(f"{k} {v}" for k, v in target.items() if k != "objective")
        objective = target.get("objective")
        goal = f"{objective:.0%} of runs" if isinstance(objective, int | float) else "no objective"
        lines.append(f"{name}: {goal}" + (f" ({params})" if params else ""))
    return lines


def _anchor(product_id: str) -> str:
    """An HTML id for a product: letters, digits and dashes only (safe in an attribute and a URL fragment)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", product_id)


def render_markdown(catalog: Catalog) -> str:
    """Every text from the project goes through ``render.safe``: escaped, code spans, safe links only."""
    lines = ["# Data product catalog", ""]
    lines.append(
        f"{len(catalog.products)} data products in {len(catalog.domains)} domains"
        + (f", from the manifest of {md_escape(catalog.generated_at)}" if catalog.generated_at else "")
        + "."
    )
    lines += ["", "| domain | owner | products |", "|---|---|---|"]
    for domain in catalog.domains:
        links = ", ".join(f"[{md_code(p)}](#{_anchor(p)})" for p in domain.products)
        lines.append(f"| {md_escape(domain.name)} | {md_escape(domain.owner)} | {links} |")
    lines.append("")
    for e in catalog.products:
        lines += [
            f"## {md_escape(e.id)}",
            "",
            f'<a id="{_anchor(e.id)}"></a>',
            "",
            md_inline(e.description),
            "",
        ]
        owner = f"{e.owner} <{e.owner_email}>" if e.owner_email else e.owner
        refresh = (
            md_escape(e.refresh_cycle or "-")
            + (f" ({md_code(e.refresh_schedule)})" if e.refresh_schedule else "")
            + (f"; {md_inline(e.refresh_method)}" if e.refresh_method else "")
        )
        classification = md_escape(e.classification or "-") + (", personal data" if e.personal_data else "")
        lines += [
            "| | |",
            "|---|---|",
            f"| domain | {md_escape(e.domain)} |",
            f"| owner | {md_escape(owner)} |",
            f"| address | {md_code(e.address)} |",
            f"| table | {md_code(e.table)} |",
            f"| primary key | {', '.join(md_code(c) for c in e.primary_key) or '-'} |",
            f"| refresh | {refresh} |",
            f"| classification | {classification} |",
            "",
        ]
        if e.access is not None:
            a = e.access
            lines += [
                "**Access**",
                "",
                "- readers: " + (", ".join(md_code(r) for r in a.readers) or "none"),
                "- personal data in clear: " + (", ".join(md_code(r) for r in a.unmasked) or "none"),
                "- masked for every other reader (NULL): "
                + (", ".join(md_code(c) for c in a.masked_columns) or "no personal columns"),
                f"- how to request access: {md_inline(a.request)}",
                "",
            ]
        lines.append("**Versions**")
        lines.append("")
        for v in e.versions:
            label = f"v{md_escape(v.version)}" if v.version else "unversioned"
            extra = " (latest)" if v.is_latest and v.version else ""
            dep = f", deprecated on {md_escape(v.deprecation_date)}" if v.deprecation_date else ""
            lines.append(f"- {label}{extra}: {md_code(v.table)}, {v.columns} columns{dep}")
        lines += ["", "**Interfaces**", ""]
        lines += [f"- {md_escape(i.get('type'))}: {md_code(i.get('address'))}" for i in e.interfaces] or [
            "- none declared"
        ]
        lines += ["", f"**SLO targets** (rolling {md_escape(e.slo.get('window_days'))} days)", ""]
        lines += [f"- {md_escape(line)}" for line in _slo_text(e.slo)] or ["- none declared"]
        lines += ["", "**Consumers**", ""]
        lines += [
            f"- {md_code(c.name)} ({md_escape(c.type)}, reads {md_escape(', '.join(c.reads) or 'latest')}), "
            f"owned by {md_escape(c.owner)}" + (f" {md_link(c.url)}" if c.url else "")
            for c in e.consumers
        ] or ["- none declared"]
        lines += ["", "**Lineage**", ""]
        lines.append(
            "- upstream products: "
            + (", ".join(f"[{md_code(u)}](#{_anchor(u)})" for u in e.upstream_products) or "-")
        )
        lines.append(
            "- downstream products: "
            + (", ".join(f"[{md_code(d)}](#{_anchor(d)})" for d in e.downstream_products) or "-")
        )
        lines.append("- upstream sources: " + (", ".join(md_code(s) for s in e.upstream_sources) or "-"))
        lines.append("")
    return "\n".join(lines)


def catalog_context(catalog: Catalog) -> dict[str, Any]:
    """What the catalog's templates need (``catalog.html.j2`` and the portal's catalog page)."""
    return {"catalog": catalog, "slo_text": _slo_text, "anchor": _anchor}


def render_html(catalog: Catalog, statuses: Mapping[str, str] | None = None) -> str:
    """The catalog page: ``templates/catalog.html.j2`` on the layout and stylesheet of the SLO report;
    ``statuses`` (product id -> status in the latest report), when known, are shown as badges."""
    return render_page("catalog.html.j2", **catalog_context(catalog), statuses=dict(statuses or {}), hrefs={})


# --- dbt docs blocks ------------------------------------------------------------------------------------------

DOCS_BLOCKS_HEADER = (
    "{# Generated by `dp catalog --docs-blocks models/docs/_product_cards.md` from each product's descriptor and\n"
    "   exposures; do not edit by hand. A product's YAML description ends with {{ doc('dp_card_<product>') }}\n"
    "   so that its dbt docs page shows owner, refresh, SLO targets and consumers as a readable card. #}\n"
)


def docs_block_name(product_name: str) -> str:
    return f"dp_card_{product_name}"


def _card_text(value: Any) -> str:
    # doc blocks are Jinja: keep braces and pipes out of the rendered text
    text = " ".join(str(value).split())
    for bad, good in (("{", "("), ("}", ")"), ("<", "("), (">", ")"), ("|", "/")):
        text = text.replace(bad, good)
    return text


def render_docs_blocks(catalog: Catalog) -> str:
    """One dbt ``{% docs dp_card_<product> %}`` block per product: the product card for its docs page."""
    out = [DOCS_BLOCKS_HEADER]
    for e in catalog.products:
        owner = f"{e.owner} ({e.owner_email})" if e.owner_email else e.owner
        refresh = (
            (e.refresh_cycle or "not declared")
            + (f", `{e.refresh_schedule}` UTC" if e.refresh_schedule else "")
            + (f"; {e.refresh_method}" if e.refresh_method else "")
        )
        versions = "; ".join(
            (f"v{v.version}" if v.version else "unversioned")
            + (" latest" if v.is_latest and v.version else "")
            + (f" (deprecated on {v.deprecation_date})" if v.deprecation_date else "")
            for v in e.versions
        )
        out += [
            f"{{% docs {docs_block_name(e.name)} %}}",
            CARD_MARKER,
            "",
            f"**Data product `{e.id}`**, owned by {_card_text(owner)}.",
            "",
            "| | |",
            "|---|---|",
            f"| Owner | {_card_text(owner)} |",
            f"| Refresh | {_card_text(refresh)} |",
            f"| Classification | {_card_text(e.classification or 'not declared')}"
            + (", personal data" if e.personal_data else "")
            + " |",
            f"| Versions | {_card_text(versions)} |",
            f"| Interfaces | {_card_text(', '.join(str(i.get('address')) for i in e.interfaces) or 'none')} |",
            "",
            f"| SLO (rolling {e.slo.get('window_days')} days) | target |",
            "|---|---|",
        ]
        out += [
            f"| {_card_text(line.split(':', 1)[0])} | {_card_text(line.split(':', 1)[1])} |"
            for line in _slo_text(e.slo)
        ]
        consumers = (
            ", ".join(f"`{c.name}` ({c.type}, {_card_text(c.owner)})" for c in e.consumers) or "none declared"
        )
        out += ["", f"Consumers: {consumers}."]
        if e.access is not None:
            a = e.access
            masked = ", ".join(f"`{c}`" for c in a.masked_columns)
            out += [
                "",
                "| Access | |",
                "|---|---|",
                f"| Readers | {_card_text(', '.join(a.readers) or 'none')} |",
                f"| In clear | {_card_text(', '.join(a.unmasked) or 'none')} |",
                f"| Masked (NULL) for other readers | {masked or 'no personal columns'} |",
                f"| How to request access | {_card_text(a.request)} |",
            ]
        out += ["", "{% enddocs %}", ""]
    return "\n".join(out)
