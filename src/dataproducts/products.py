"""The shared vocabulary: a *data product*, built once from the manifest.

A data product is a public dbt model (all its versions together), or a model a declaration file names
(``products/<domain>/<model>.yml``, written by ``dp init``), owned by a domain (its dbt group, else the
declared domain, else its folder), with a descriptor in ``config.meta.data_product`` or in that file (see
``docs/descriptor.md``). Validation, SLOs, reports and
governance all take these objects instead of walking the manifest their own way.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dataproducts.artifacts import ColumnInfo, Manifest, Node
from dataproducts.declarations import Declaration
from dataproducts.descriptor import (
    DESCRIPTOR_KEY,
    DESCRIPTOR_PATH,
    AccessModel,
    DescriptorModel,
    DescriptorProblem,
    SloModel,
    validate_descriptor,
)
from dataproducts.errors import ConfigError, UsageError

# The generated product card (``dp catalog --docs-blocks``) that dbt docs appends to a product's description
# starts with this marker (a Markdown link definition: invisible once rendered); the product's own description
# is what comes before it.
CARD_MARKER = "[//]: # (dp-product-card)"
DECLARED_PATH = DESCRIPTOR_KEY  # where a declaration file holds the descriptor
NO_PRODUCTS = "no data products: no public model and no products/*.yml declaration (`dp init` proposes them)"


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
    """``slo:`` of a descriptor, typed; None where the descriptor leaves a target out (docs/slo.md)."""

    window_days: int = 28
    freshness_max_age_hours: float | None = None
    freshness: Objective = field(default_factory=Objective)
    availability: Objective = field(default_factory=Objective)
    completeness: Objective = field(default_factory=Objective)
    validity: Objective = field(default_factory=Objective)
    schema_stability: Objective = field(default_factory=Objective)
    objective: float | None = None  # the product's own objective
    min_volume_ratio: float | None = None
    max_volume_ratio: float | None = None
    min_pass_rate: float | None = None
    count_missed_runs: bool = True  # a night with no run counts against availability

    def for_sli(self, name: str) -> Objective:
        value = getattr(self, name, None)
        return value if isinstance(value, Objective) else Objective()


@dataclass(frozen=True)
class Descriptor:
    """``config.meta.data_product`` of a product, checked by :class:`~dataproducts.descriptor.DescriptorModel`.

    A wrong value is left out here (None) and listed in ``problems``: ``load_products`` refuses a product
    with problems unless asked not to (``dp check`` reports them, and what is missing, as violations).
    """

    raw: Mapping[str, Any]
    domain: str | None = None
    owner: Owner = field(default_factory=Owner)
    refresh_cycle: str | None = None
    refresh_schedule: str | None = None
    refresh_method: str | None = None  # "incremental: the last 21 days of `order_date`", "full rebuild"
    classification: str | None = None
    personal_data: bool | None = None
    interfaces: tuple[Mapping[str, Any], ...] = ()
    suite: str | None = None
    slo: SloTargets = field(default_factory=SloTargets)
    model: DescriptorModel = field(default_factory=DescriptorModel)
    problems: tuple[DescriptorProblem, ...] = ()


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
    # the version's access policy (its descriptor's ``access``; each version has its own descriptor)
    policy: AccessModel | None = None
    materialized: str | None = None

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
    descriptor_problems: tuple[DescriptorProblem, ...] = ()  # of every version's descriptor
    declared_in: str | None = None  # the declaration file (products/...yml) holding the descriptor, if any

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


def _objective(value: BaseModel | None, raw: Any) -> Objective:
    if value is None or not isinstance(raw, Mapping):
        return Objective()
    # the keys the descriptor states (and the model accepted), as it states them (30, not 30.0)
    params = {k: raw[k] for k in raw if k in value.model_fields_set and k != "objective"}
    return Objective(objective=getattr(value, "objective", None), params=params)


def _refresh_method(refresh: Any) -> str | None:
    """How each build refreshes the product, in words (the descriptor's refresh.method and window)."""
    if refresh is None or refresh.method is None:
        return None
    if refresh.method == "full":
        return "full rebuild from all history"
    window = f"the last {refresh.lookback_days} days" if refresh.lookback_days is not None else "a window"
    clock = f" of `{refresh.event_time}`" if refresh.event_time else ""
    return f"incremental: {window}{clock} rebuilt, late data within that window included"


def _slo(slo: SloModel | None, raw: Any) -> SloTargets:
    if slo is None or not isinstance(raw, Mapping):
        return SloTargets()
    return SloTargets(
        window_days=slo.window_days,
        freshness_max_age_hours=slo.freshness.max_age_hours if slo.freshness else None,
        freshness=_objective(slo.freshness, raw.get("freshness")),
        availability=_objective(slo.availability, raw.get("availability")),
        completeness=_objective(slo.completeness, raw.get("completeness")),
        validity=_objective(slo.validity, raw.get("validity")),
        schema_stability=_objective(slo.schema_stability, raw.get("schema_stability")),
        objective=slo.objective,
        min_volume_ratio=slo.completeness.min_volume_ratio if slo.completeness else None,
        max_volume_ratio=slo.completeness.max_volume_ratio if slo.completeness else None,
        min_pass_rate=slo.validity.min_pass_rate if slo.validity else None,
        count_missed_runs=slo.availability.count_missed_runs if slo.availability else True,
    )


def _shown(value: Any) -> str:
    return json.dumps(value, default=str)


def parse_descriptor(
    meta: Mapping[str, Any], *, file: str = "", model: str = "", base: str = DESCRIPTOR_PATH
) -> Descriptor:
    """The descriptor in ``meta`` (a model's merged ``config.meta``), its wrong values listed as problems.

    ``file`` and ``model`` say where it lives, for the problems' messages.
    """
    raw = meta.get(DESCRIPTOR_KEY)
    if raw is None:
        return Descriptor(raw={})
    if not isinstance(raw, Mapping):
        problem = DescriptorProblem(file, model, "", f"expected a mapping, got {_shown(raw)}", base)
        return Descriptor(raw={}, problems=(problem,))
    typed, problems = validate_descriptor(raw, file=file, model=model, base=base)
    owner = typed.owner
    refresh = typed.refresh
    return Descriptor(
        raw=dict(raw),
        domain=typed.domain,
        owner=Owner(team=owner.team, name=owner.name, email=owner.email) if owner else Owner(),
        refresh_cycle=refresh.cycle if refresh else None,
        refresh_schedule=refresh.schedule if refresh else None,
        refresh_method=_refresh_method(refresh),
        classification=typed.classification,
        personal_data=typed.personal_data,
        interfaces=tuple(i.model_dump() for i in typed.interfaces or ()),
        suite=typed.suite,
        slo=_slo(typed.slo, raw.get("slo")),
        model=typed,
        problems=problems,
    )


def descriptor_file(node: Node) -> str:
    """The YAML file that declares the node's descriptor (dbt's ``patch_path``), else its SQL file."""
    patch = (node.model_extra or {}).get("patch_path")
    if isinstance(patch, str) and patch:
        return patch.split("://", 1)[-1]
    return node.original_file_path


def node_descriptor(node: Node, declaration: Declaration | None = None) -> Descriptor:
    """The node's descriptor; its problems name the YAML file and the model (``customers v3``).

    A model named by a declaration file (``products/...yml``) takes its descriptor from there; declaring
    it in both places is a problem (one place says what the product promises)."""
    label = node.name if node.version is None else f"{node.name} v{node.version}"
    in_meta = node.merged_meta.get(DESCRIPTOR_KEY)
    if declaration is None:
        return parse_descriptor(node.merged_meta, file=descriptor_file(node), model=label)
    declared = parse_descriptor(
        {DESCRIPTOR_KEY: dict(declaration.descriptor)},
        file=declaration.file,
        model=label,
        base=DECLARED_PATH,
    )
    if in_meta:
        twice = DescriptorProblem(
            declaration.file,
            label,
            "",
            f"also declared in {descriptor_file(node)} ({DESCRIPTOR_PATH}): keep one of the two",
            DECLARED_PATH,
        )
        return replace(declared, problems=(twice, *declared.problems))
    return declared


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
        materialized=node.config.materialized,
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


def _declared(manifest: Manifest) -> dict[str, Declaration]:
    """The manifest's product declarations by model name; one naming no model of the project is an error."""
    models = {n.name for n in manifest.models() if n.config.enabled}
    for declaration in manifest.declarations:
        if declaration.model not in models:
            raise ConfigError(
                f"{declaration.file}: model {declaration.model!r} is not an enabled model of the project"
            )
    return {d.model: d for d in manifest.declarations}


def _public_models(manifest: Manifest) -> dict[str, list[Node]]:
    """The product models by name: every public model, and every model a declaration file names."""
    declared = _declared(manifest)
    by_name: dict[str, list[Node]] = {}
    for node in manifest.models():
        if node.config.enabled and (is_public_model(node) or node.name in declared):
            by_name.setdefault(node.name, []).append(node)
    return by_name


def _descriptors(manifest: Manifest, by_name: Mapping[str, list[Node]]) -> dict[str, Descriptor]:
    declared = _declared(manifest)
    return {
        n.unique_id: node_descriptor(n, declared.get(name)) for name, nodes in by_name.items() for n in nodes
    }


def descriptor_problems(manifest: Manifest) -> list[DescriptorProblem]:
    """Every wrong key of every product's descriptor, by file and model (empty when all are valid)."""
    by_name = _public_models(manifest)
    descriptors = _descriptors(manifest, by_name)
    problems = [p for d in descriptors.values() for p in d.problems]
    return sorted(problems, key=lambda p: (p.file, p.model))


def load_products(manifest: Manifest, *, strict: bool = True) -> list[DataProduct]:
    """Every public model of the manifest as a data product, versions grouped, sorted by id.

    A descriptor with a wrong key or value raises ``ConfigError`` naming the YAML file and the key (the
    first one; ``dp check`` lists them all). With ``strict=False`` the products keep their problems in
    ``descriptor_problems`` and the wrong values are left out of their descriptors (``dp check``).
    """
    if strict:
        problems = descriptor_problems(manifest)
        if problems:
            more = f" (and {len(problems) - 1} more; dp check lists them)" if len(problems) > 1 else ""
            raise ConfigError(f"{problems[0]}{more}")
    by_name = _public_models(manifest)
    declared = _declared(manifest)
    groups = {g.name: g for g in manifest.groups.values()}
    descriptors = _descriptors(manifest, by_name)

    def domain_of(node: Node) -> str:
        group_name = node.group or node.config.group
        return descriptors[node.unique_id].domain or group_name or (node.schema_ or "unknown")

    # unique_id of every public model version -> the product id ``<domain>.<name>``
    public_ids = {
        n.unique_id: f"{domain_of(max(nodes, key=_is_latest))}.{name}"
        for name, nodes in by_name.items()
        for n in nodes
    }
    products: list[DataProduct] = []
    for name, nodes in by_name.items():
        nodes.sort(key=lambda n: (n.version is None, str(n.version)))
        versions = tuple(replace(_version(n), policy=descriptors[n.unique_id].model.access) for n in nodes)
        latest_node = max(nodes, key=_is_latest)
        descriptor = descriptors[latest_node.unique_id]
        personal = {c.lower() for c in descriptor.model.personal_data_columns or ()}
        if personal:  # a declaration names them where dbt YAML would mark each column
            versions = tuple(
                replace(
                    v,
                    columns=tuple(
                        replace(c, personal_data=True) if c.name.lower() in personal else c for c in v.columns
                    ),
                )
                for v in versions
            )
        group_name = latest_node.group or latest_node.config.group
        group = groups.get(group_name or "")
        group_owner = (
            Owner(name=group.owner.name, email=_owner(group.owner.model_dump()).email) if group else Owner()
        )
        domain = domain_of(latest_node)
        own_ids = {n.unique_id for n in nodes}
        ancestors = _ancestors(manifest, own_ids)
        upstream_models = tuple(a for a in ancestors if a.startswith("model.") and a not in own_ids)
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
                exposures=_exposures(manifest, own_ids),
                upstream_sources=tuple(sorted(a for a in ancestors if a.startswith("source."))),
                upstream_models=tuple(sorted(upstream_models)),
                upstream_products=tuple(sorted({public_ids[a] for a in upstream_models if a in public_ids})),
                tests=_tests(manifest, (*own_ids, *upstream_models)),
                original_file_path=latest_node.original_file_path,
                descriptor_problems=tuple(p for n in nodes for p in descriptors[n.unique_id].problems),
                declared_in=declared[name].file if name in declared else None,
            )
        )
    return sorted(products, key=lambda p: p.id)


def _tests(manifest: Manifest, unique_ids: Iterable[str]) -> tuple[str, ...]:
    """The data and unit tests attached to ``unique_ids``, sorted."""
    return tuple(
        sorted(
            {
                child
                for uid in unique_ids
                for child in manifest.child_map.get(uid, [])
                if child.startswith(("test.", "unit_test."))
            }
        )
    )


def _exposures(manifest: Manifest, own_ids: set[str]) -> tuple[ExposureRef, ...]:
    """The exposures that depend on any of ``own_ids``, by name."""
    return tuple(
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


def select_products(products: Sequence[DataProduct], selectors: Iterable[str] | None) -> list[DataProduct]:
    """Products matching any selector (``orders``, ``sales.orders`` or a domain ``sales``)."""
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
