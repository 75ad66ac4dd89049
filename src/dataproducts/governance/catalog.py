"""``dp catalog``: the data product catalog, in JSON (for machines), Markdown and HTML (for people).

The catalog is built once from the shared product model (``build_catalog``); the three renderers take the
finished ``Catalog`` and compute nothing. Every product is listed with its domain, owner, description,
address (``<domain>.<product>``) and table, versions and deprecation dates, interfaces, refresh cycle, SLO
targets, consumers (exposures) and lineage (upstream and downstream products, upstream sources).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import Manifest
from dataproducts.config import ProjectConfig
from dataproducts.constants import SLI_NAMES
from dataproducts.errors import DbtError
from dataproducts.fileio import write_all_atomic, write_atomic
from dataproducts.governance.parsing import manifest_from
from dataproducts.products import CARD_MARKER, DataProduct, load_products
from dataproducts.render.safe import md_code, md_escape, md_inline, md_link
from dataproducts.render.templates import render_page


@dataclass(frozen=True)
class CatalogVersion:
    version: str | None
    table: str
    is_latest: bool
    deprecation_date: str | None
    columns: int


@dataclass(frozen=True)
class Consumer:
    name: str
    type: str
    owner: str
    url: str | None
    reads: tuple[str, ...]  # the versions (or "latest") it depends on


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name: str
    domain: str
    owner: str
    owner_email: str | None
    description: str
    address: str
    table: str
    database: str | None
    versions: tuple[CatalogVersion, ...]
    interfaces: tuple[Mapping[str, Any], ...]
    refresh_cycle: str | None
    refresh_schedule: str | None
    classification: str | None
    personal_data: bool | None
    slo: Mapping[str, Any]
    consumers: tuple[Consumer, ...]
    upstream_products: tuple[str, ...]
    downstream_products: tuple[str, ...]
    upstream_sources: tuple[str, ...]
    primary_key: tuple[str, ...]
    columns: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Domain:
    name: str
    owner: str
    products: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    project: str | None
    generated_at: str | None
    domains: tuple[Domain, ...]
    products: tuple[CatalogEntry, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _slo(product: DataProduct) -> dict[str, Any]:
    slo = product.descriptor.slo
    targets: dict[str, Any] = {"window_days": slo.window_days}
    for name in SLI_NAMES:
        objective = slo.for_sli(name)
        if objective.objective is not None or objective.params:
            targets[name] = {"objective": objective.objective, **dict(objective.params)}
    return targets


def _version_label(product: DataProduct, uid: str) -> str:
    for version in product.versions:
        if version.unique_id == uid:
            return f"v{version.version}" if version.version else "latest"
    return "latest"


def build_catalog(manifest: Manifest) -> Catalog:
    products = load_products(manifest)
    downstream: dict[str, list[str]] = {p.id: [] for p in products}
    for product in products:
        for upstream in product.upstream_products:
            downstream.setdefault(upstream, []).append(product.id)
    entries = []
    for p in products:
        latest = p.latest
        entries.append(
            CatalogEntry(
                id=p.id,
                name=p.name,
                domain=p.domain,
                owner=p.owner.team or p.owner.name or "unknown owner",
                owner_email=p.owner.email,
                description=" ".join(p.description.split()),
                address=p.id,
                table=latest.relation,
                database=latest.database,
                versions=tuple(
                    CatalogVersion(
                        v.version,
                        v.relation,
                        v.is_latest,
                        v.deprecation_date.isoformat() if v.deprecation_date else None,
                        len(v.columns),
                    )
                    for v in p.versions
                ),
                interfaces=tuple(dict(i) for i in p.descriptor.interfaces),
                refresh_cycle=p.descriptor.refresh_cycle,
                refresh_schedule=p.descriptor.refresh_schedule,
                classification=p.descriptor.classification,
                personal_data=p.descriptor.personal_data,
                slo=_slo(p),
                consumers=tuple(
                    Consumer(
                        e.name,
                        e.type,
                        e.owner.label(),
                        e.url,
                        tuple(_version_label(p, uid) for uid in e.depends_on if uid in p.unique_ids),
                    )
                    for e in p.exposures
                ),
                upstream_products=p.upstream_products,
                downstream_products=tuple(sorted(downstream.get(p.id, []))),
                upstream_sources=tuple(
                    s.removeprefix("source.").split(".", 1)[-1] for s in p.upstream_sources
                ),
                primary_key=tuple(c.name for c in p.columns if "primary_key" in c.constraints),
                columns=tuple(
                    {
                        "name": c.name,
                        "data_type": c.data_type,
                        "description": " ".join(c.description.split()),
                        "personal_data": c.personal_data,
                    }
                    for c in p.columns
                ),
            )
        )
    groups = {g.name: g for g in manifest.groups.values()}
    domains = []
    for name in sorted({e.domain for e in entries}):
        group = groups.get(name)
        owner = (group.owner.name if group else None) or next(e.owner for e in entries if e.domain == name)
        domains.append(Domain(name, owner, tuple(e.id for e in entries if e.domain == name)))
    return Catalog(
        manifest.metadata.project_name, manifest.metadata.generated_at, tuple(domains), tuple(entries)
    )


# --- renderers --------------------------------------------------------------------------------------------------


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
        refresh = md_escape(e.refresh_cycle or "-") + (
            f" ({md_code(e.refresh_schedule)})" if e.refresh_schedule else ""
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


def render_html(catalog: Catalog) -> str:
    """The catalog page: ``templates/catalog.html.j2`` on the layout and stylesheet of the SLO report."""
    return render_page("catalog.html.j2", catalog=catalog, slo_text=_slo_text, anchor=_anchor)


def write_catalog(catalog: Catalog, directory: Path) -> list[Path]:
    """The three files, replaced together: an error (a full disk) leaves the previous catalog whole."""
    return write_all_atomic(
        [
            (directory / "catalog.json", render_json(catalog)),
            (directory / "catalog.md", render_markdown(catalog)),
            (directory / "catalog.html", render_html(catalog)),
        ]
    )


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
        refresh = (e.refresh_cycle or "not declared") + (
            f", `{e.refresh_schedule}` UTC" if e.refresh_schedule else ""
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
        out += ["", f"Consumers: {consumers}.", "", "{% enddocs %}", ""]
    return "\n".join(out)


def run_catalog(
    config: ProjectConfig,
    *,
    manifest_path: Path | None = None,
    output: Path | None = None,
    docs_blocks: Path | None = None,
) -> list[Path]:
    """Write the catalog (and, when asked, the dbt docs product cards); returns the paths written."""
    source = manifest_from(config, manifest_path)
    if source.manifest is None:
        raise DbtError("; ".join(source.notes) or "dbt parse failed")
    catalog = build_catalog(source.manifest)
    paths = write_catalog(catalog, output or config.reports_dir / "catalog")
    if docs_blocks is not None:
        target = docs_blocks if docs_blocks.is_absolute() else config.project_dir / docs_blocks
        paths.append(write_atomic(target, render_docs_blocks(catalog)))
    return paths
