"""``dp diff``: classify every data product change between a previous manifest and the current one.

Each change is *breaking* (a consumer's query or assumption can fail: column removed or renamed, type
changed, constraint removed, contract dropped, relation moved, product or version removed before its
deprecation date), *non-breaking* (column, constraint, version or product added, logic changed with the
same shape, contract enforced, a version retired on or after its deprecation date) or *documentation* only
(descriptions, descriptor). Like dbt's ``state:modified`` it compares the manifests' nodes (the node checksum
for the logic), but per column and per version, and with consumers in mind: the changelog names for every
changed product what changed, which exposures are affected and which owners to tell.

A breaking change to an existing version fails the diff; the way to ship one is a new version (dbt model
versions) while the old version stays until its deprecation date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from dataproducts.artifacts import Manifest, load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.errors import ArtifactError, DbtError, ExitCode
from dataproducts.fileio import write_atomic
from dataproducts.governance.parsing import manifest_from
from dataproducts.governance.standards import normalize_type
from dataproducts.products import Column, DataProduct, ExposureRef, ProductVersion, load_products
from dataproducts.render.changelog import render_changelog


class Kind(StrEnum):
    BREAKING = "breaking"
    NON_BREAKING = "non-breaking"
    DOCUMENTATION = "documentation"


_ORDER = {Kind.BREAKING: 0, Kind.NON_BREAKING: 1, Kind.DOCUMENTATION: 2}


@dataclass(frozen=True)
class Change:
    kind: Kind
    what: str  # a short category: "column removed", "type changed", ...
    detail: str  # the specifics, in Markdown-safe words
    version: str | None = None
    nodes: tuple[str, ...] = ()  # the node ids the change concerns (old and new); empty: the whole product

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "what": self.what, "detail": self.detail, "version": self.version}


@dataclass(frozen=True)
class ProductDiff:
    product: str
    name: str
    status: str  # added | removed | changed
    changes: tuple[Change, ...]
    owner: str
    exposures: tuple[ExposureRef, ...] = ()
    new_versions: tuple[str, ...] = ()

    @property
    def kind(self) -> Kind:
        return min((c.kind for c in self.changes), key=_ORDER.__getitem__)

    @property
    def breaking(self) -> bool:
        return self.kind is Kind.BREAKING

    @property
    def owners_to_tell(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.owner, *(e.owner.label() for e in self.exposures)]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "status": self.status,
            "kind": str(self.kind),
            "owner": self.owner,
            "changes": [c.to_dict() for c in self.changes],
            "affected_exposures": [
                {"name": e.name, "type": e.type, "owner": e.owner.label(), "url": e.url}
                for e in self.exposures
            ],
            "owners_to_tell": list(self.owners_to_tell),
            "new_versions": list(self.new_versions),
        }


@dataclass(frozen=True)
class DiffReport:
    diffs: tuple[ProductDiff, ...]
    unchanged: tuple[str, ...]
    state: str
    as_of: dt.date
    old_generated_at: str | None = None
    new_generated_at: str | None = None
    changelog_path: Path | None = field(default=None, compare=False)

    @property
    def breaking(self) -> tuple[ProductDiff, ...]:
        return tuple(d for d in self.diffs if d.breaking)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FAILED if self.breaking else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "failed" if self.breaking else "ok",
            "exit_code": int(self.exit_code),
            "state": self.state,
            "as_of": self.as_of.isoformat(),
            "changelog": str(self.changelog_path) if self.changelog_path else None,
            "products": [d.to_dict() for d in self.diffs],
            "unchanged": list(self.unchanged),
        }

    def render_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def render_text(self) -> str:
        lines = []
        for d in self.diffs:
            lines.append(f"{d.product}: {d.kind} ({d.status})")
            lines += [f"  {c.kind}: {_plain(c)}" for c in d.changes]
            if d.breaking:
                exposures = ", ".join(e.name for e in d.exposures) or "none declared"
                lines.append(f"  affected exposures: {exposures}; tell: {', '.join(d.owners_to_tell)}")
        if self.changelog_path:
            lines.append(f"changelog: {self.changelog_path}")
        verdict = (
            f"dp diff FAILED: {len(self.breaking)} public product(s) with a breaking change not released as a "
            "new version"
            if self.breaking
            else "dp diff OK: no breaking change"
        )
        lines.append(f"{verdict}; {len(self.diffs)} changed, {len(self.unchanged)} unchanged")
        return "\n".join(lines)

    def render_markdown(self) -> str:
        return render_changelog(self)


def _plain(change: Change) -> str:
    prefix = f"v{change.version}: " if change.version else ""
    return f"{prefix}{change.what}: {change.detail.replace('`', '')}"


# --- comparing ------------------------------------------------------------------------------------------------


def _checksum(manifest: Manifest, uid: str) -> str | None:
    node = manifest.nodes.get(uid)
    raw = (node.model_extra or {}).get("checksum") if node is not None else None
    return raw.get("checksum") if isinstance(raw, dict) else None


def _by_name(columns: Sequence[Column]) -> dict[str, Column]:
    return {c.name.lower(): c for c in columns}


def _renames(
    old: Sequence[Column], new: Sequence[Column], removed: list[str], added: list[str]
) -> list[tuple[str, str]]:
    """Pair removed and added columns that look like one column renamed: same type, same position."""
    old_pos = {c.name.lower(): i for i, c in enumerate(old)}
    new_pos = {c.name.lower(): i for i, c in enumerate(new)}
    old_cols, new_cols = _by_name(old), _by_name(new)
    pairs: list[tuple[str, str]] = []
    for r in list(removed):
        for a in list(added):
            same_type = normalize_type(old_cols[r].data_type) == normalize_type(new_cols[a].data_type)
            if same_type and (old_pos[r] == new_pos[a] or (len(removed) == 1 and len(added) == 1)):
                pairs.append((r, a))
                removed.remove(r)
                added.remove(a)
                break
    return pairs


def compare_versions(
    old: ProductVersion,
    new: ProductVersion,
    old_manifest: Manifest,
    new_manifest: Manifest,
    label: str | None,
) -> Iterator[Change]:
    nodes = tuple(dict.fromkeys([old.unique_id, new.unique_id]))

    def change(kind: Kind, what: str, detail: str) -> Change:
        return Change(kind, what, detail, label, nodes)

    if old.relation != new.relation:
        yield change(Kind.BREAKING, "relation renamed", f"`{old.relation}` is now `{new.relation}`")
    if old.contract_enforced and not new.contract_enforced:
        yield change(Kind.BREAKING, "contract dropped", "the contract is no longer enforced")
    elif new.contract_enforced and not old.contract_enforced:
        yield change(Kind.NON_BREAKING, "contract enforced", "the contract is now enforced")
    old_cols, new_cols = _by_name(old.columns), _by_name(new.columns)
    removed = [n for n in old_cols if n not in new_cols]
    added = [n for n in new_cols if n not in old_cols]
    for r, a in _renames(old.columns, new.columns, removed, added):
        yield change(Kind.BREAKING, "column renamed", f"`{old_cols[r].name}` is now `{new_cols[a].name}`")
    for r in removed:
        yield change(Kind.BREAKING, "column removed", f"`{old_cols[r].name}`")
    for a in added:
        yield change(
            Kind.NON_BREAKING, "column added", f"`{new_cols[a].name}` ({new_cols[a].data_type or 'untyped'})"
        )
    for name in (n for n in old_cols if n in new_cols):
        before, after = old_cols[name], new_cols[name]
        if normalize_type(before.data_type) != normalize_type(after.data_type):
            yield change(
                Kind.BREAKING,
                "type changed",
                f"`{after.name}`: {before.data_type or 'untyped'} -> {after.data_type or 'untyped'}",
            )
        lost = [c for c in before.constraints if c not in after.constraints]
        gained = [c for c in after.constraints if c not in before.constraints]
        for constraint in lost:
            yield change(Kind.BREAKING, "constraint removed", f"{constraint} on `{after.name}`")
        for constraint in gained:
            yield change(Kind.NON_BREAKING, "constraint added", f"{constraint} on `{after.name}`")
        if before.description.strip() != after.description.strip():
            yield change(Kind.DOCUMENTATION, "column description changed", f"`{after.name}`")
    lost_model = _multiset_minus(old.constraints, new.constraints)
    gained_model = _multiset_minus(new.constraints, old.constraints)
    for constraint in lost_model:
        yield change(Kind.BREAKING, "constraint removed", f"model-level {constraint}")
    for constraint in gained_model:
        yield change(Kind.NON_BREAKING, "constraint added", f"model-level {constraint}")
    if old.deprecation_date != new.deprecation_date:
        when = new.deprecation_date.isoformat() if new.deprecation_date else "none"
        yield change(Kind.NON_BREAKING, "deprecation date changed", f"deprecation date is now {when}")
    same_shape = not (removed or added) and all(
        normalize_type(old_cols[n].data_type) == normalize_type(new_cols[n].data_type)
        for n in new_cols
        if n in old_cols
    )
    old_sum, new_sum = _checksum(old_manifest, old.unique_id), _checksum(new_manifest, new.unique_id)
    if same_shape and old_sum and new_sum and old_sum != new_sum:
        yield change(Kind.NON_BREAKING, "logic changed", "the SQL changed; the columns and types did not")


def _multiset_minus(a: Iterable[str], b: Iterable[str]) -> list[str]:
    rest = list(b)
    out: list[str] = []
    for item in a:
        if item in rest:
            rest.remove(item)
        else:
            out.append(item)
    return out


def _match_versions(
    old: DataProduct, new: DataProduct
) -> tuple[list[tuple[ProductVersion, ProductVersion]], list[ProductVersion], list[ProductVersion]]:
    """(old, new) version pairs, removed old versions, added new versions."""
    new_by_version = {v.version: v for v in new.versions}
    pairs: list[tuple[ProductVersion, ProductVersion]] = []
    removed: list[ProductVersion] = []
    for version in old.versions:
        match = new_by_version.get(version.version)
        if match is None and version.version is None:
            # an unversioned product that became versioned: its shape lives on as v1 (dbt's convention)
            match = new_by_version.get("1") or new.latest
        if match is None and not new.is_versioned and version.is_latest:
            match = new.versions[0]
        if match is None:
            removed.append(version)
        else:
            pairs.append((version, match))
    matched = {m.unique_id for _, m in pairs}
    added = [v for v in new.versions if v.unique_id not in matched]
    return pairs, removed, added


def _removal(version: ProductVersion, what: str, as_of: dt.date, label: str | None) -> Change:
    date = version.deprecation_date
    if date is not None and as_of >= date:
        return Change(
            Kind.NON_BREAKING,
            f"{what} retired",
            f"on or after its deprecation date {date}",
            label,
            (version.unique_id,),
        )
    why = f"before its deprecation date {date}" if date else "without a deprecation date"
    return Change(Kind.BREAKING, f"{what} removed", why, label, (version.unique_id,))


def compare_products(
    old: DataProduct, new: DataProduct, old_manifest: Manifest, new_manifest: Manifest, as_of: dt.date
) -> list[Change]:
    changes: list[Change] = []
    if old.id != new.id:
        changes.append(Change(Kind.BREAKING, "address changed", f"`{old.id}` is now `{new.id}`"))
    pairs, removed, added = _match_versions(old, new)
    for before, after in pairs:
        label = after.version if new.is_versioned else None
        changes += compare_versions(before, after, old_manifest, new_manifest, label)
    for version in removed:
        changes.append(_removal(version, "version", as_of, version.version))
    for version in added:
        changes.append(
            Change(
                Kind.NON_BREAKING,
                "new version",
                f"v{version.version} added",
                version.version,
                (version.unique_id,),
            )
        )
    if old.description.strip() != new.description.strip():
        changes.append(Change(Kind.DOCUMENTATION, "description changed", "the product description changed"))
    if dict(old.descriptor.raw) != dict(new.descriptor.raw):
        keys = sorted(
            k
            for k in set(old.descriptor.raw) | set(new.descriptor.raw)
            if old.descriptor.raw.get(k) != new.descriptor.raw.get(k)
        )
        changes.append(Change(Kind.DOCUMENTATION, "descriptor changed", f"keys: {', '.join(keys)}"))
    return changes


def _affected(changes: Sequence[Change], exposures: Iterable[ExposureRef]) -> tuple[ExposureRef, ...]:
    """Exposures hit by the product's most severe changes (version-specific ones only hit their readers)."""
    worst = min((c.kind for c in changes), key=_ORDER.__getitem__)
    relevant = [c for c in changes if c.kind is worst]
    unique: dict[str, ExposureRef] = {}
    for e in exposures:  # the same exposure before and after: it reads what it read in either
        seen = unique.get(e.name)
        depends = (*seen.depends_on, *e.depends_on) if seen else e.depends_on
        unique[e.name] = replace(e, depends_on=tuple(dict.fromkeys(depends)))
    if any(not c.nodes for c in relevant):
        return tuple(sorted(unique.values(), key=lambda e: e.name))
    nodes = {n for c in relevant for n in c.nodes}
    return tuple(sorted((e for e in unique.values() if nodes & set(e.depends_on)), key=lambda e: e.name))


def _same_shape(a: DataProduct, b: DataProduct) -> bool:
    def shape(p: DataProduct) -> list[tuple[str, str | None]]:
        return [(c.name.lower(), normalize_type(c.data_type)) for c in p.columns]

    return shape(a) == shape(b)


def _renamed_products(old: Mapping[str, DataProduct], new: Mapping[str, DataProduct]) -> dict[str, str]:
    """Old name -> new name for each product gone from ``old`` whose columns a new product has exactly."""
    fresh = [n for n in new if n not in old]
    renamed: dict[str, str] = {}
    for old_name in (n for n in old if n not in new):
        declared = [n for n in fresh if old[old_name].id in (new[n].descriptor.model.formerly or ())]
        if declared:  # the descriptor says so (``formerly``): no guessing by shape
            renamed[old_name] = declared[0]
            continue
        twin = next(
            (n for n in fresh if n not in renamed.values() and _same_shape(old[old_name], new[n])),
            None,
        )
        if twin is not None:
            renamed[old_name] = twin
    return renamed


def _kept_relations(old: DataProduct, new: DataProduct) -> list[str] | None:
    """How ``new`` keeps serving every relation of ``old`` with the same columns and types (one phrase per
    relation), or None when one is gone or changed: a rename that keeps the old addresses breaks nobody."""

    def shape(version: ProductVersion) -> list[tuple[str, str | None]]:
        return [(c.name.lower(), normalize_type(c.data_type)) for c in version.columns]

    by_relation = {v.relation: v for v in new.versions}
    kept: list[str] = []
    for version in old.versions:
        carrier = by_relation.get(version.relation)
        if carrier is None or shape(carrier) != shape(version):
            return None
        until = f" until {carrier.deprecation_date}" if carrier.deprecation_date else ""
        kept.append(f"`{version.relation}` kept as version {carrier.version}{until}")
    return kept


def _removed(old: DataProduct, renamed_to: DataProduct | None, as_of: dt.date) -> ProductDiff:
    change = _removal(old.latest, "product", as_of, None)
    kept = _kept_relations(old, renamed_to) if renamed_to is not None else None
    if renamed_to is not None and kept:
        detail = f"renamed to `{renamed_to.id}`; " + ", ".join(kept)
        change = Change(Kind.NON_BREAKING, "product renamed", detail)
    elif renamed_to is not None:
        kind = change.kind
        detail = f"renamed to `{renamed_to.id}` ({change.detail})"
        change = Change(kind, "product renamed" if kind is Kind.BREAKING else "product retired", detail)
    return ProductDiff(
        old.id,
        old.name,
        "removed",
        (Change(change.kind, change.what, change.detail),),
        old.owner.label(),
        old.exposures,
    )


def _changed(
    old: DataProduct, new: DataProduct, old_manifest: Manifest, new_manifest: Manifest, as_of: dt.date
) -> ProductDiff | None:
    changes = compare_products(old, new, old_manifest, new_manifest, as_of)
    if not changes:
        return None
    _, _, added = _match_versions(old, new)
    return ProductDiff(
        new.id,
        new.name,
        "changed",
        tuple(sorted(changes, key=lambda c: _ORDER[c.kind])),
        new.owner.label(),
        _affected(changes, (*old.exposures, *new.exposures)),
        tuple(v.version or "" for v in added),
    )


def _added(new: DataProduct, renamed_from: DataProduct | None) -> ProductDiff:
    detail = f"renamed from `{renamed_from.id}`" if renamed_from else "a new data product"
    return ProductDiff(
        new.id, new.name, "added", (Change(Kind.NON_BREAKING, "product added", detail),), new.owner.label()
    )


def diff_manifests(
    old_manifest: Manifest, new_manifest: Manifest, *, as_of: dt.date, state: str = ""
) -> DiffReport:
    old_products = {p.name: p for p in load_products(old_manifest, strict=False)}  # an older release's rules
    new_products = {p.name: p for p in load_products(new_manifest)}
    renamed = _renamed_products(old_products, new_products)
    diffs: list[ProductDiff] = []
    unchanged: list[str] = []
    for name, old in old_products.items():
        new = new_products.get(name)
        if new is None:
            diffs.append(_removed(old, new_products[renamed[name]] if name in renamed else None, as_of))
            continue
        changed = _changed(old, new, old_manifest, new_manifest, as_of)
        if changed is None:
            unchanged.append(new.id)
        else:
            diffs.append(changed)
    origins = {n: o for o, n in renamed.items()}
    for name in (n for n in new_products if n not in old_products):
        origin = origins.get(name)
        diffs.append(_added(new_products[name], old_products[origin] if origin else None))
    diffs.sort(key=lambda d: (_ORDER[d.kind], d.product))
    return DiffReport(
        tuple(diffs),
        tuple(sorted(unchanged)),
        state,
        as_of,
        old_manifest.metadata.generated_at,
        new_manifest.metadata.generated_at,
    )


def load_state_manifest(state: Path) -> Manifest:
    """The manifest of a previous build: ``DIR/manifest.json`` (dbt's ``--state``) or a manifest file."""
    state = Path(state)
    path = state / "manifest.json" if state.is_dir() else state
    if not path.exists():
        raise ArtifactError(f"{state}: no manifest.json in the --state directory (a previous build's target)")
    return load_manifest(path)


def run_diff(
    config: ProjectConfig,
    state: Path,
    *,
    manifest_path: Path | None = None,
    output: Path | None = None,
    as_of: dt.date | None = None,
) -> DiffReport:
    """Diff the project (parsed now, or ``manifest_path``) against ``state``; write the changelog."""
    old = load_state_manifest(state)
    source = manifest_from(config, manifest_path)
    if source.manifest is None:
        raise DbtError("; ".join(source.notes) or "dbt parse failed")
    report = diff_manifests(
        old, source.manifest, as_of=as_of or dt.datetime.now(dt.UTC).date(), state=str(state)
    )
    path = output or config.reports_dir / "changelog.md"
    write_atomic(path, report.render_markdown())
    return replace(report, changelog_path=path)
