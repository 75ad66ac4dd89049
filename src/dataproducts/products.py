"""The shared vocabulary: a *data product*, built once from the manifest.

A data product is a public dbt model (all its versions together), owned by a domain (its dbt group), with a
descriptor in ``config.meta.data_product`` (see ``docs/descriptor.md``). Validation, SLOs, reports and
governance all take these objects instead of walking the manifest their own way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import ColumnInfo, Manifest, Node
from dataproducts.errors import UsageError

DESCRIPTOR_KEY = "data_product"
# The generated product card (``dp catalog --docs-blocks``) that dbt docs appends to a product's description
# starts with this marker (a Markdown link definition: invisible once rendered); the product's own description
# is what comes before it.
CARD_MARKER = "[//]: # (dp-product-card)"


def own_description(description: str) -> str:
    """A description without the generated product card appended for the dbt docs site."""
    return description.split(CARD_MARKER, 1)[0].strip()


@dataclass(frozen=True)
class Owner:
    team: str | None = None
    name: str | None = None
    email: str | None = None

    def label(self) -> str:
        who = self.team or self.name or "unknown owner"
        return f"{who} <{self.email}>" if self.email else who


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str | None
    description: str
    constraints: tuple[str, ...] = ()
    personal_data: bool = False
    masked: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    """One SLI's per-run target and its objective (share of good runs over the window)."""

    objective: float | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SloTargets:
    window_days: int = 28
    freshness_max_age_hours: float | None = None
    freshness: Objective = field(default_factory=Objective)
    availability: Objective = field(default_factory=Objective)
    completeness: Objective = field(default_factory=Objective)
    validity: Objective = field(default_factory=Objective)
    schema_stability: Objective = field(default_factory=Objective)

    def for_sli(self, name: str) -> Objective:
        value = getattr(self, name, None)
        return value if isinstance(value, Objective) else Objective()


@dataclass(frozen=True)
class Descriptor:
    """``config.meta.data_product`` of a product, parsed leniently (``dp check`` reports what is missing)."""

    raw: Mapping[str, Any]
    domain: str | None = None
    owner: Owner = field(default_factory=Owner)
    refresh_cycle: str | None = None
    refresh_schedule: str | None = None
    classification: str | None = None
    personal_data: bool | None = None
    interfaces: tuple[Mapping[str, Any], ...] = ()
    suite: str | None = None
    slo: SloTargets = field(default_factory=SloTargets)


@dataclass(frozen=True)
class ProductVersion:
    version: str | None
    unique_id: str
    database: str | None
    schema: str | None
    alias: str | None
    deprecation_date: dt.date | None
    is_latest: bool
    columns: tuple[Column, ...]
    contract_enforced: bool
    constraints: tuple[str, ...] = ()

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.alias}"


@dataclass(frozen=True)
class ExposureRef:
    unique_id: str
    name: str
    type: str
    owner: Owner
    url: str | None
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class DataProduct:
    name: str
    domain: str
    group: str | None
    access: str | None
    description: str
    materialized: str | None
    descriptor: Descriptor
    group_owner: Owner
    versions: tuple[ProductVersion, ...]
    exposures: tuple[ExposureRef, ...] = ()
    upstream_sources: tuple[str, ...] = ()
    upstream_models: tuple[str, ...] = ()
    upstream_products: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    original_file_path: str = ""

    @property
    def id(self) -> str:
        """The product's address, ``<domain>.<product>``."""
        return f"{self.domain}.{self.name}"

    @property
    def latest(self) -> ProductVersion:
        for version in self.versions:
            if version.is_latest:
                return version
        return self.versions[-1]

    @property
    def unique_id(self) -> str:
        return self.latest.unique_id

    @property
    def unique_ids(self) -> tuple[str, ...]:
        return tuple(v.unique_id for v in self.versions)

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.latest.columns

    @property
    def relation(self) -> str:
        """The physical relation of the latest version (what validation reads)."""
        return self.latest.relation

    @property
    def owner(self) -> Owner:
        """The descriptor's owner, completed from the group owner."""
        d, g = self.descriptor.owner, self.group_owner
        return Owner(team=d.team or g.name, name=d.name or g.name, email=d.email or g.email)

    @property
    def is_versioned(self) -> bool:
        return len(self.versions) > 1 or self.versions[0].version is not None

    def suite_path(self, project_dir: Path) -> Path:
        if self.descriptor.suite:
            return project_dir / self.descriptor.suite
        return project_dir / "expectations" / self.domain / f"{self.name}.json"


# --- building ---------------------------------------------------------------------------------------------------


def _owner(value: Any) -> Owner:
    if not isinstance(value, Mapping):
        return Owner()
    email = value.get("email")
    if isinstance(email, list):
        email = email[0] if email else None
    return Owner(team=value.get("team"), name=value.get("name"), email=email)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _objective(value: Any) -> Objective:
    if not isinstance(value, Mapping):
        return Objective()
    params = {k: v for k, v in value.items() if k != "objective"}
    return Objective(objective=_float(value.get("objective")), params=params)


def _slo(value: Any) -> SloTargets:
    if not isinstance(value, Mapping):
        return SloTargets()
    freshness = _mapping(value.get("freshness"))
    window = value.get("window_days", 28)
    return SloTargets(
        window_days=int(window) if isinstance(window, int | float) and window > 0 else 28,
        freshness_max_age_hours=_float(freshness.get("max_age_hours")),
        freshness=_objective(value.get("freshness")),
        availability=_objective(value.get("availability")),
        completeness=_objective(value.get("completeness")),
        validity=_objective(value.get("validity")),
        schema_stability=_objective(value.get("schema_stability")),
    )


def parse_descriptor(meta: Mapping[str, Any]) -> Descriptor:
    raw = meta.get(DESCRIPTOR_KEY)
    if not isinstance(raw, Mapping):
        return Descriptor(raw={})
    refresh = _mapping(raw.get("refresh"))
    interfaces_raw = raw.get("interfaces")
    interfaces: list[Any] = interfaces_raw if isinstance(interfaces_raw, list) else []
    personal = raw.get("personal_data")
    return Descriptor(
        raw=dict(raw),
        domain=raw.get("domain"),
        owner=_owner(raw.get("owner")),
        refresh_cycle=refresh.get("cycle"),
        refresh_schedule=refresh.get("schedule"),
        classification=raw.get("classification"),
        personal_data=personal if isinstance(personal, bool) else None,
        interfaces=tuple(i for i in interfaces if isinstance(i, Mapping)),
        suite=raw.get("suite") if isinstance(raw.get("suite"), str) else None,
        slo=_slo(raw.get("slo")),
    )


def _column(info: ColumnInfo, model_constraints: Iterable[Any]) -> Column:
    meta = info.merged_meta
    kinds = [c.type for c in info.constraints]
    for constraint in model_constraints:
        if info.name in constraint.columns:
            kinds.append(constraint.type)
    return Column(
        name=info.name,
        data_type=info.data_type,
        description=info.description or "",
        constraints=tuple(dict.fromkeys(kinds)),
        personal_data=bool(meta.get("personal_data")),
        masked=bool(meta.get("masked")),
        meta=meta,
    )


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _version(node: Node) -> ProductVersion:
    is_latest = node.version is None or str(node.version) == str(node.latest_version)
    return ProductVersion(
        version=None if node.version is None else str(node.version),
        unique_id=node.unique_id,
        database=node.database,
        schema=node.schema_,
        alias=node.alias or node.name,
        deprecation_date=_date(node.deprecation_date),
        is_latest=is_latest,
        columns=tuple(_column(c, node.constraints) for c in node.columns.values()),
        contract_enforced=node.config.contract.enforced,
        constraints=tuple(c.type for c in node.constraints),
    )


def _ancestors(manifest: Manifest, start: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    stack = list(start)
    while stack:
        uid = stack.pop()
        for parent in manifest.parent_map.get(uid, []):
            if parent not in seen:
                seen[parent] = None
                stack.append(parent)
    return list(seen)


def _is_latest(node: Node) -> tuple[bool, str]:
    """Sort key: the latest version last (an unversioned model is its own latest)."""
    return (node.version is None or str(node.version) == str(node.latest_version), str(node.version))


def is_public_model(node: Node) -> bool:
    return node.resource_type == "model" and (node.access or node.config.access) == "public"


def load_products(manifest: Manifest) -> list[DataProduct]:
    """Every public model of the manifest as a data product, versions grouped, sorted by id."""
    by_name: dict[str, list[Node]] = {}
    for node in manifest.models():
        if is_public_model(node) and node.config.enabled:
            by_name.setdefault(node.name, []).append(node)
    groups = {g.name: g for g in manifest.groups.values()}

    def domain_of(node: Node) -> str:
        group_name = node.group or node.config.group
        return parse_descriptor(node.merged_meta).domain or group_name or (node.schema_ or "unknown")

    # unique_id of every public model version -> the product id ``<domain>.<name>``
    public_ids = {
        n.unique_id: f"{domain_of(max(nodes, key=_is_latest))}.{name}"
        for name, nodes in by_name.items()
        for n in nodes
    }
    products: list[DataProduct] = []
    for name, nodes in by_name.items():
        nodes.sort(key=lambda n: (n.version is None, str(n.version)))
        versions = tuple(_version(n) for n in nodes)
        latest_node = max(nodes, key=_is_latest)
        descriptor = parse_descriptor(latest_node.merged_meta)
        group_name = latest_node.group or latest_node.config.group
        group = groups.get(group_name or "")
        group_owner = (
            Owner(name=group.owner.name, email=_owner(group.owner.model_dump()).email) if group else Owner()
        )
        domain = domain_of(latest_node)
        own_ids = {n.unique_id for n in nodes}
        ancestors = _ancestors(manifest, own_ids)
        upstream_models = tuple(a for a in ancestors if a.startswith("model.") and a not in own_ids)
        tests = sorted(
            {
                child
                for uid in (*own_ids, *upstream_models)
                for child in manifest.child_map.get(uid, [])
                if child.startswith(("test.", "unit_test."))
            }
        )
        exposures = tuple(
            ExposureRef(
                unique_id=e.unique_id,
                name=e.name,
                type=e.type,
                owner=_owner(e.owner.model_dump()),
                url=e.url,
                depends_on=tuple(e.depends_on.nodes),
            )
            for e in sorted(manifest.exposures.values(), key=lambda e: e.name)
            if own_ids & set(e.depends_on.nodes)
        )
        products.append(
            DataProduct(
                name=name,
                domain=domain,
                group=group_name,
                access=latest_node.access or latest_node.config.access,
                description=own_description(latest_node.description or ""),
                materialized=latest_node.config.materialized,
                descriptor=descriptor,
                group_owner=group_owner,
                versions=versions,
                exposures=exposures,
                upstream_sources=tuple(sorted(a for a in ancestors if a.startswith("source."))),
                upstream_models=tuple(sorted(upstream_models)),
                upstream_products=tuple(sorted({public_ids[a] for a in upstream_models if a in public_ids})),
                tests=tuple(tests),
                original_file_path=latest_node.original_file_path,
            )
        )
    return sorted(products, key=lambda p: p.id)


def select_products(products: Sequence[DataProduct], selectors: Iterable[str] | None) -> list[DataProduct]:
    """Products matching any selector (``fct_orders``, ``sales.fct_orders`` or a domain ``sales``)."""
    wanted = [s.strip() for sel in (selectors or []) for s in sel.split(",") if s.strip()]
    if not wanted:
        return list(products)
    chosen: dict[str, DataProduct] = {}
    for selector in wanted:
        matches = [p for p in products if selector in (p.name, p.id, p.domain)]
        if not matches:
            known = ", ".join(p.id for p in products)
            raise UsageError(f"--select {selector!r} matches no data product (products: {known})")
        for product in matches:
            chosen[product.id] = product
    return [p for p in products if p.id in chosen]
