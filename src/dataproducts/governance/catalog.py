"""``dp catalog``: the data product catalog, in JSON (for machines), Markdown and HTML (for people).

The catalog is built once from the shared product model (``build_catalog``); the renderers
(``render.catalog``) take the finished ``Catalog`` and compute nothing. Every product is listed with its domain, owner, description,
address (``<domain>.<product>``) and table, versions and deprecation dates, interfaces, refresh cycle, SLO
targets, consumers (exposures) and lineage (upstream and downstream products, upstream sources).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import Manifest
from dataproducts.config import ProjectConfig
from dataproducts.constants import SLI_NAMES
from dataproducts.errors import DbtError
from dataproducts.fileio import write_all_atomic, write_atomic
from dataproducts.governance.access import Roles, load_roles, version_policy
from dataproducts.governance.parsing import manifest_from
from dataproducts.products import DataProduct, load_products
from dataproducts.render.catalog import render_docs_blocks, render_html, render_json, render_markdown


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
class CatalogAccess:
    """Who may read the product's latest version and how to ask (its descriptor's ``access``, docs/descriptor.md)."""

    readers: tuple[str, ...]  # the roles that may read it, the owning domain's first
    unmasked: tuple[str, ...]  # the readers who see the personal columns in clear
    masked_columns: tuple[str, ...]  # what every other reader reads as NULL
    request: str  # how to request access (the policy's words, else: ask the owner)
    contact: str  # the owner to ask


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
    refresh_method: str | None
    classification: str | None
    personal_data: bool | None
    slo: Mapping[str, Any]
    consumers: tuple[Consumer, ...]
    upstream_products: tuple[str, ...]
    downstream_products: tuple[str, ...]
    upstream_sources: tuple[str, ...]
    primary_key: tuple[str, ...]
    columns: tuple[Mapping[str, Any], ...] = ()
    access: CatalogAccess | None = None


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


def _access(product: DataProduct, roles: Roles) -> CatalogAccess:
    policy = version_policy(product, product.latest, roles)
    owner = product.owner
    contact = f"{owner.team or owner.name or 'the owner'}" + (f" ({owner.email})" if owner.email else "")
    request = policy.request or (
        f"No access process declared: ask {contact}." if product.latest.policy else f"Ask {contact}."
    )
    return CatalogAccess(
        readers=policy.readers,
        unmasked=policy.unmasked,
        masked_columns=policy.personal_columns,
        request=" ".join(request.split()),
        contact=contact,
    )


def build_catalog(manifest: Manifest, roles: Roles | None = None) -> Catalog:
    """The catalog of the manifest's products; ``roles`` (roles.yml) resolve who may read each."""
    roles = roles or Roles()
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
                refresh_method=p.descriptor.refresh_method,
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
                access=_access(p, roles),
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


def write_catalog(catalog: Catalog, directory: Path, statuses: Mapping[str, str] | None = None) -> list[Path]:
    """The three files, replaced together: an error (a full disk) leaves the previous catalog whole.
    ``statuses`` (product id -> status in the latest SLO report) are shown on the HTML page."""
    return write_all_atomic(
        [
            (directory / "catalog.json", render_json(catalog)),
            (directory / "catalog.md", render_markdown(catalog)),
            (directory / "catalog.html", render_html(catalog, statuses)),
        ]
    )


def latest_statuses(config: ProjectConfig) -> dict[str, str]:
    """Each product's status in ``<reports>/latest/slo_report.json`` (none when there is no readable report)."""
    import json

    try:
        report = json.loads((config.reports_dir / "latest" / "slo_report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    products = report.get("products") if isinstance(report, dict) else None
    return {
        p["id"]: p["status"]
        for p in products or []
        if isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("status"), str)
    }


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
    catalog = build_catalog(source.manifest, load_roles(config.project_dir))
    paths = write_catalog(catalog, output or config.reports_dir / "catalog", latest_statuses(config))
    if docs_blocks is not None:
        target = docs_blocks if docs_blocks.is_absolute() else config.project_dir / docs_blocks
        paths.append(write_atomic(target, render_docs_blocks(catalog)))
    return paths
