"""``dp check``: lint every data product against the governance rules (``rules.RULES``).

The rules read the shared product model (``products.load_products``); the manifest is consulted only for
what that model does not carry (tests attached to a version, exposures and models that are not products,
source freshness, upstream columns). The pass-through rule (DP013) proves its finding on the warehouse when
one is built, and says so when it could only read the SQL. Waivers (``waivers.yml``) turn a violation into
an accepted, explained exception; an expired waiver no longer applies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import Manifest, Node
from dataproducts.config import ProjectConfig
from dataproducts.constants import OBJECTIVE_SLIS
from dataproducts.descriptor import DESCRIPTOR_PATH, DescriptorProblem, missing_keys
from dataproducts.errors import ConfigError, ExitCode, SuiteError
from dataproducts.governance.access import Roles, load_roles
from dataproducts.governance.agreement import (
    Statement,
    constraint_statements,
    dbt_test_statements,
    disagreements,
    expectation_statements,
    integer_columns,
    restated,
    statements,
)
from dataproducts.governance.parsing import ManifestSource, RefusedReference, manifest_from
from dataproducts.governance.passthrough import Warehouse, select_star_source
from dataproducts.governance.rules import RULES, Rule, rule
from dataproducts.governance.standards import (
    DEFAULT_STANDARDS,
    Standards,
    build_standards,
    load_standards,
    types_match,
)
from dataproducts.governance.waivers import DEFAULT_WAIVERS, Waiver, load_waivers
from dataproducts.products import (
    DECLARED_PATH,
    DataProduct,
    ProductVersion,
    descriptor_file,
    is_public_model,
    load_products,
    select_products,
)
from dataproducts.validation.suites import load_suite

UNIQUENESS_TESTS = frozenset({"unique", "unique_combination_of_columns"})
# materializations whose table DuckDB builds with the contract's constraints (the incremental strategies insert
# through them too); a view or an ephemeral model only declares them
ENFORCING_MATERIALIZATIONS = frozenset({"table", "incremental"})
DESCRIPTOR_DOC = "docs/descriptor.md"


@dataclass(frozen=True)
class Violation:
    product: str
    rule: Rule
    message: str
    waiver: Waiver | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    def line(self) -> str:
        text = f"{self.product}: {self.rule.id} {self.rule.name}: {self.message} (fix: {self.rule.fix})"
        if self.waiver is not None:
            until = f" until {self.waiver.expires}" if self.waiver.expires else ""
            text = f"{text} [waived{until}: {self.waiver.reason}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "rule": self.rule.id,
            "rule_name": self.rule.name,
            "message": self.message,
            "fix": self.rule.fix,
            "waived": self.waived,
            "waiver_reason": self.waiver.reason if self.waiver else None,
            "waiver_expires": self.waiver.expires.isoformat()
            if self.waiver and self.waiver.expires
            else None,
        }


@dataclass(frozen=True)
class CheckReport:
    products: tuple[str, ...]
    violations: tuple[Violation, ...]
    notes: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = RULES

    @property
    def failing(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if not v.waived)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FAILED if self.failing else ExitCode.OK

    def summary(self) -> str:
        waived = len(self.violations) - len(self.failing)
        products = len({v.product for v in self.failing})
        status = "FAILED" if self.failing else "OK"
        return (
            f"dp check {status}: {len(self.failing)} violation(s) in {products} product(s), {waived} waived; "
            f"{len(self.products)} products, {len(self.rules)} rules"
        )

    def render_text(self) -> str:
        lines = [v.line() for v in self.violations]
        lines += [f"note: {note}" for note in self.notes]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "failed" if self.failing else "ok",
            "exit_code": int(self.exit_code),
            "products": list(self.products),
            "rules": [{"id": r.id, "name": r.name, "summary": r.summary, "fix": r.fix} for r in self.rules],
            "violations": [v.to_dict() for v in self.violations],
            "notes": list(self.notes),
            "summary": {
                "violations": len(self.failing),
                "waived": len(self.violations) - len(self.failing),
                "products_checked": len(self.products),
            },
        }

    def render_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


# --- the context every rule reads -------------------------------------------------------------------------


@dataclass
class Context:
    manifest: Manifest
    products: Sequence[DataProduct]
    all_products: Sequence[DataProduct]
    project_dir: Path
    standards: Standards
    warehouse: Warehouse | None = None
    notes: list[str] = field(default_factory=list)
    roles: Roles = field(default_factory=Roles)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.all_products}
        self.tests_by_node: dict[str, list[Node]] = {}
        for test in self.manifest.tests():
            attached = test.attached_node or next(iter(test.depends_on.nodes), None)
            if attached:
                self.tests_by_node.setdefault(attached, []).append(test)
        self.product_of_node = {uid: p for p in self.all_products for uid in p.unique_ids}


Finding = tuple[str, str, str]  # product id, rule id, message
RuleCheck = Callable[[Context], Iterator[Finding]]


def _versions(product: DataProduct) -> Iterator[tuple[str, ProductVersion]]:
    for version in product.versions:
        label = f"v{version.version}: " if product.is_versioned else ""
        yield label, version


def _model_label(node: Node) -> str:
    return f"{node.group or node.config.group or 'ungrouped'}.{node.name}"


# --- the rules -------------------------------------------------------------------------------------------


def check_owner(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        if not p.group:
            yield p.id, "DP001", "the model belongs to no dbt group (no owning domain)"
        elif not (p.group_owner.name and p.group_owner.email):
            yield p.id, "DP001", f"group {p.group!r} has no owner name and email"


def check_documented(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        if not p.description.strip():
            yield p.id, "DP002", "the product has no description (state its grain)"
        for label, version in _versions(p):
            missing = [c.name for c in version.columns if not c.description.strip()]
            if not version.columns:
                yield p.id, "DP002", f"{label}no columns are documented"
            elif missing:
                yield p.id, "DP002", f"{label}columns without description: {', '.join(missing)}"


def check_contract(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        for label, version in _versions(p):
            if not version.contract_enforced:
                yield p.id, "DP003", f"{label}contract not enforced"
            untyped = [c.name for c in version.columns if not (c.data_type or "").strip()]
            if not version.columns:
                yield p.id, "DP003", f"{label}no columns declared"
            elif untyped:
                yield p.id, "DP003", f"{label}columns without data_type: {', '.join(untyped)}"


def _uniqueness_tests(tests: Iterable[Node]) -> list[frozenset[str]]:
    found: list[frozenset[str]] = []
    for test in tests:
        meta = test.test_metadata
        if meta is None or meta.name.split(".")[-1] not in UNIQUENESS_TESTS:
            continue
        kwargs = meta.kwargs
        if meta.name.split(".")[-1] == "unique":
            column = test.column_name or kwargs.get("column_name")
            if column:
                found.append(frozenset({str(column).lower()}))
        else:
            columns = kwargs.get("combination_of_columns") or []
            if isinstance(columns, list) and columns:
                found.append(frozenset(str(c).lower() for c in columns))
    return found


def enforces_constraints(node: Node) -> bool:
    """The node is built as a table with its contract enforced: DuckDB checks every constraint at insert."""
    return node.config.contract.enforced and node.config.materialized in ENFORCING_MATERIALIZATIONS


def _not_enforced_because(node: Node) -> str:
    if not node.config.contract.enforced:
        return "contract not enforced"
    return f"materialized as {'a view' if node.config.materialized == 'view' else node.config.materialized}"


_COMMENTS = re.compile(r"\{#.*?#\}|/\*.*?\*/|--[^\n]*", re.S)
_VIEW_OF = re.compile(
    r"select\s+\*\s+from\s+\{\{\s*ref\s*\(\s*(['\"])(?P<name>\w+)\1\s*,\s*(?:v|version)\s*=\s*"
    r"(['\"]?)(?P<version>[\w.]+)\3\s*\)\s*\}\}\s*;?",
    re.I,
)


def is_view_of(node: Node, latest: Node) -> bool:
    """The project's v1 pattern: a view whose SQL is ``select * from {{ ref('<model>', v=<latest>) }}``."""
    if node.config.materialized != "view" or latest.version is None:
        return False
    match = _VIEW_OF.fullmatch(_COMMENTS.sub(" ", node.raw_code).strip())
    return bool(match and match["name"] == latest.name and match["version"] == str(latest.version))


def _key(version: ProductVersion) -> list[str]:
    return [c.name for c in version.columns if "primary_key" in c.constraints]


def check_primary_key(ctx: Context) -> Iterator[Finding]:
    """DP004: a primary_key constraint on every version, and the key guaranteed where it is not enforced."""
    for p in ctx.products:
        latest = ctx.manifest.nodes.get(p.unique_id)
        latest_key = frozenset(k.lower() for k in _key(p.latest))
        for label, version in _versions(p):
            keys = _key(version)
            if not keys:
                yield p.id, "DP004", f"{label}no primary_key constraint"
                continue
            node = ctx.manifest.nodes.get(version.unique_id)
            if node is None or enforces_constraints(node):
                continue
            wanted = frozenset(k.lower() for k in keys)
            if (
                latest is not None
                and enforces_constraints(latest)
                and wanted == latest_key
                and is_view_of(node, latest)
            ):
                continue  # the rows are the latest version's, whose table enforces the key
            if wanted not in _uniqueness_tests(ctx.tests_by_node.get(version.unique_id, [])):
                yield (
                    p.id,
                    "DP004",
                    f"{label}the primary key ({', '.join(keys)}) is not enforced ({_not_enforced_because(node)}) "
                    "and no uniqueness test guarantees it",
                )


def _descriptor_problems(ctx: Context, p: DataProduct) -> Iterator[str]:
    """Every wrong value (the descriptor model's problems) and every key ``dp check`` requires but misses."""
    yield from (str(problem) for problem in p.descriptor_problems)
    node = ctx.manifest.nodes.get(p.unique_id)
    file = descriptor_file(node) if node is not None else p.original_file_path
    model = p.name if p.latest.version is None else f"{p.name} v{p.latest.version}"
    base = DECLARED_PATH if p.declared_in else DESCRIPTOR_PATH

    def problem(key: str, message: str) -> str:
        return str(DescriptorProblem(p.declared_in or file, model, key, message, base))

    d = p.descriptor
    if not d.raw:
        if not p.descriptor_problems:
            yield problem("", "is missing")
        return
    # a key whose value is wrong is reported as wrong, not again as missing
    wrong = tuple(f"{x.key}" for x in p.descriptor_problems if x.model == model)

    def reported(key: str) -> bool:
        return any(key == w or key.startswith((f"{w}.", f"{w}[")) or w.startswith(f"{key}.") for w in wrong)

    for key in missing_keys(d.model):
        if not reported(key):
            yield problem(key, "is missing")
    if d.domain and p.group and d.domain != p.group:
        yield problem("domain", f"{d.domain!r} is not the owning group {p.group!r}")
    owner = d.model.owner
    if owner is not None and not (owner.team or owner.name) and not reported("owner"):
        yield problem("owner", "needs a team or a name")
    if d.model.interfaces is not None and not d.model.interfaces and not reported("interfaces"):
        yield problem("interfaces", "is empty (list how consumers reach the product)")
    if d.classification and ctx.standards.level_rank(d.classification) is None:
        yield problem(
            "classification",
            f"{d.classification!r} is not one of {', '.join(ctx.standards.levels)} (the standards' levels)",
        )
    slo = d.model.slo
    if slo is not None and not reported("slo"):
        objectives = [d.slo.for_sli(name).objective for name in OBJECTIVE_SLIS]
        if all(v is None for v in objectives) and slo.objective is None:
            yield problem("slo", f"has no objective ({', '.join(OBJECTIVE_SLIS)})")


def check_descriptor(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        for problem in _descriptor_problems(ctx, p):
            yield p.id, "DP005", f"{problem} (see {DESCRIPTOR_DOC})"


def _suite_columns(expectation: Mapping[str, Any]) -> list[str]:
    kwargs = expectation.get("kwargs")
    if not isinstance(kwargs, Mapping):
        return []
    names: list[str] = []
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            names.append(kwargs[key])
    for key in ("column_list", "column_set"):
        if isinstance(kwargs.get(key), list):
            names += [str(c) for c in kwargs[key]]
    return names


def check_suite(ctx: Context) -> Iterator[Finding]:
    """DP006: the suite passes the very checks ``dp validate`` applies (``validation.suites.load_suite``)."""
    for p in ctx.products:
        path = p.suite_path(ctx.project_dir)
        shown = path.relative_to(ctx.project_dir) if path.is_relative_to(ctx.project_dir) else path
        try:
            suite = load_suite(path)
        except SuiteError as exc:
            yield p.id, "DP006", f"quality suite {str(exc).replace(str(path), str(shown))}"
            continue
        known = {c.name.lower() for c in p.columns}
        columns = {c for e in suite.expectations for c in _suite_columns(e)}
        unknown = sorted(c for c in columns if c.lower() not in known)
        if unknown:
            yield (
                p.id,
                "DP006",
                f"quality suite {shown} names columns the product lacks: {', '.join(unknown)}",
            )


def check_consumers(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        if not p.exposures:
            yield p.id, "DP007", "no exposure consumes the product"


def check_source_freshness(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        for uid in p.upstream_sources:
            source = ctx.manifest.sources.get(uid)
            if source is None:
                continue
            name = f"{source.source_name}.{source.name}"
            rule_ = source.effective_freshness
            has_rule = rule_ is not None and any(
                t is not None and t.count and t.period for t in (rule_.warn_after, rule_.error_after)
            )
            if not has_rule:
                yield p.id, "DP008", f"upstream source {name} has no freshness rule"
            elif not (source.effective_loaded_at_field or source.loaded_at_query):
                yield p.id, "DP008", f"upstream source {name} has no loaded_at_field (freshness cannot run)"


def check_exposures_public(ctx: Context) -> Iterator[Finding]:
    for exposure in sorted(ctx.manifest.exposures.values(), key=lambda e: e.name):
        for uid in exposure.depends_on.nodes:
            node = ctx.manifest.nodes.get(uid)
            if uid.startswith("source."):
                yield f"exposure.{exposure.name}", "DP009", f"depends on source {uid.split('.', 2)[-1]}"
            elif node is not None and node.resource_type == "model" and not is_public_model(node):
                access = node.access or node.config.access or "private"
                yield (
                    f"exposure.{exposure.name}",
                    "DP009",
                    f"depends on {access} model {_model_label(node)}, not a public product",
                )


def check_private_isolation(ctx: Context) -> Iterator[Finding]:
    for node in sorted(ctx.manifest.models(), key=lambda n: n.unique_id):
        group = node.group or node.config.group
        for uid in node.depends_on.nodes:
            target = ctx.manifest.nodes.get(uid)
            if target is None or target.resource_type != "model":
                continue
            if (target.access or target.config.access) != "private":
                continue
            target_group = target.group or target.config.group
            if group != target_group:
                yield (
                    _model_label(node),
                    "DP010",
                    f"references {_model_label(target)}, private to group {target_group!r}",
                )


def check_conformed_columns(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        for label, version in _versions(p):
            for column in version.columns:
                standard = ctx.standards.match(column.name)
                if standard is None:
                    continue
                if column.name != standard.name:
                    yield (
                        p.id,
                        "DP012",
                        f"{label}column {column.name} spells the conformed column {standard.name}",
                    )
                if standard.data_type and not types_match(standard.data_type, column.data_type):
                    yield (
                        p.id,
                        "DP011",
                        f"{label}column {column.name} is {column.data_type or 'untyped'}, the conformed "
                        f"{standard.name} is {standard.data_type}",
                    )


def check_pass_through(ctx: Context) -> Iterator[Finding]:
    text_only: list[str] = []
    for p in ctx.products:
        upstream = [ctx.by_id[u] for u in p.upstream_products if u in ctx.by_id]
        if not upstream:
            continue
        for label, version in _versions(p):
            node = ctx.manifest.nodes.get(version.unique_id)
            starred = select_star_source(node.raw_code) if node is not None else None
            names = {c.name.lower() for c in version.columns}
            candidates: list[tuple[DataProduct, ProductVersion, bool]] = []
            for other in upstream:
                for other_version in other.versions:
                    same_columns = bool(names) and names == {c.name.lower() for c in other_version.columns}
                    text = starred is not None and starred == (other_version.alias or "").lower()
                    text = text or (starred == other.name.lower() and other_version.is_latest)
                    if same_columns or text:
                        candidates.append((other, other_version, text))
            for other, other_version, text in candidates:
                target = f"{other.id}" + (f" v{other_version.version}" if other.is_versioned else "")
                proof = _prove(ctx, version, other_version)
                if proof is True:
                    yield (
                        p.id,
                        "DP013",
                        f"{label}passes {target} through: same columns and the same rows (proven on the data)",
                    )
                elif proof is None and text:
                    text_only.append(p.id)
                    yield (
                        p.id,
                        "DP013",
                        f"{label}passes {target} through: a bare select * (SQL text only, no built warehouse to "
                        "prove it on the data)",
                    )
    if text_only:
        why = ctx.warehouse.error if ctx.warehouse and ctx.warehouse.error else "no built warehouse"
        ctx.notes.append(f"DP013 judged on the SQL text only for {', '.join(sorted(set(text_only)))}: {why}")


def _prove(ctx: Context, version: ProductVersion, other: ProductVersion) -> bool | None:
    """True/False when the warehouse decides, None when it cannot (not built, relation missing)."""
    warehouse = ctx.warehouse
    if warehouse is None:
        return None
    if not (
        warehouse.has_relation(version.schema, version.alias)
        and warehouse.has_relation(other.schema, other.alias)
    ):
        return None
    comparison = warehouse.compare(
        (version.schema, version.alias), (other.schema, other.alias), [c.name for c in version.columns]
    )
    if comparison.detail:
        ctx.notes.append(
            f"DP013 could not compare {version.relation} with {other.relation}: {comparison.detail}"
        )
        return None
    return comparison.same


def _upstream_personal_columns(ctx: Context, p: DataProduct) -> dict[str, str]:
    """Column name (lower case) -> the upstream model that marks it personal data."""
    found: dict[str, str] = {}
    for uid in p.upstream_models:
        node = ctx.manifest.nodes.get(uid)
        if node is None:
            continue
        owner = ctx.product_of_node.get(uid)
        label = owner.id if owner else _model_label(node)
        for column in node.columns.values():
            if column.merged_meta.get("personal_data") is True:
                found.setdefault(column.name.lower(), label)
    return found


def check_personal_data(ctx: Context) -> Iterator[Finding]:
    needed = ctx.standards.personal_data_level
    needed_rank = ctx.standards.level_rank(needed)
    for p in ctx.products:
        upstream = _upstream_personal_columns(ctx, p)
        rank = ctx.standards.level_rank(p.descriptor.classification)
        level = p.descriptor.classification or "unclassified"
        personal_seen: list[str] = []
        for label, version in _versions(p):
            for column in version.columns:
                origin = upstream.get(column.name.lower())
                standard = ctx.standards.match(column.name)
                if origin is None and standard is not None and standard.personal_data:
                    origin = f"the standard's {standard.name}"
                if not (column.personal_data or origin):
                    continue
                if column.masked or column.meta.get("masking"):
                    continue
                personal_seen.append(column.name)
                if rank is None or (needed_rank is not None and rank < needed_rank):
                    source = f" (as in {origin})" if origin and not column.personal_data else ""
                    yield (
                        p.id,
                        "DP014",
                        f"{label}column {column.name} is personal data{source}, unmasked, in a product "
                        f"classified {level} (needs {needed})",
                    )
        if personal_seen and p.descriptor.personal_data is False:
            names = ", ".join(dict.fromkeys(personal_seen))
            yield p.id, "DP014", f"descriptor says personal_data: false, but the product holds {names}"


def check_deprecation_dates(ctx: Context) -> Iterator[Finding]:
    for p in ctx.products:
        if not p.is_versioned:
            continue
        for version in p.versions:
            if not version.is_latest and version.deprecation_date is None:
                yield p.id, "DP015", f"v{version.version} is not the latest and has no deprecation_date"


def check_agreement(ctx: Context) -> Iterator[Finding]:
    """DP016: a rule stated as a constraint, a dbt test and a suite expectation says the same everywhere."""
    for p in ctx.products:
        node = ctx.manifest.nodes.get(p.unique_id)
        if node is None:
            continue
        try:
            expectations = load_suite(p.suite_path(ctx.project_dir)).expectations
        except SuiteError:
            expectations = []  # a missing or broken suite is DP006's
        found = statements(node, ctx.tests_by_node.get(p.unique_id, []), expectations)
        for message in disagreements(found):
            yield p.id, "DP016", message


def _restates(column: str, copy: str, constraints: Sequence[Statement]) -> str:
    said = list(dict.fromkeys(f"{s.where} {s.said}".strip() for s in constraints))
    return f"{column}: {copy} restates the {' and the '.join(said)}"


def check_dead_checks(ctx: Context) -> Iterator[Finding]:
    """DP018: no dbt test or suite expectation only restates a constraint the product's table enforces."""
    for p in ctx.products:
        latest = ctx.manifest.nodes.get(p.unique_id)
        if latest is None or not enforces_constraints(latest):
            continue
        enforced = constraint_statements(latest)
        if not enforced:
            continue
        integer = integer_columns(latest)
        # a test declared once for a versioned model is one test per version: said once, on the latest
        found: dict[str, list[str]] = {}
        latest_label = ""
        for label, version in _versions(p):
            node = ctx.manifest.nodes.get(version.unique_id)
            if node is None or not (node is latest or is_view_of(node, latest)):
                continue
            if node is latest:
                latest_label = label
            for test in sorted(ctx.tests_by_node.get(version.unique_id, []), key=lambda t: t.unique_id):
                meta = test.test_metadata
                if meta is None:
                    continue
                said = dbt_test_statements(test, integer)
                made = restated(said, meta.kwargs, enforced)
                if made:
                    name = f"{meta.namespace}.{meta.name}" if meta.namespace else meta.name
                    found.setdefault(_restates(said[0].column, f"{name} test", made), []).append(label)
        for message, labels in found.items():
            if latest_label in labels:
                yield p.id, "DP018", message
            else:
                versions = ", ".join(label.removesuffix(": ") for label in dict.fromkeys(labels))
                yield p.id, "DP018", f"{versions}: {message}"
        path = p.suite_path(ctx.project_dir)
        shown = path.relative_to(ctx.project_dir) if path.is_relative_to(ctx.project_dir) else path
        try:
            expectations = load_suite(path).expectations
        except SuiteError:
            continue  # a missing or broken suite is DP006's
        for number, expectation in enumerate(expectations, start=1):  # numbered as DP006 names them
            said = expectation_statements(expectation, integer)
            made = restated(said, expectation.get("kwargs") or {}, enforced)
            if made:
                copy = f"{shown} expectation #{number} ({expectation.get('type')})"
                yield p.id, "DP018", _restates(said[0].column, copy, made)


def check_refresh(ctx: Context) -> Iterator[Finding]:
    """DP017: the descriptor says how the product refreshes, and says what the model's config does."""
    for p in ctx.products:
        node = ctx.manifest.nodes.get(p.unique_id)
        refresh = p.descriptor.raw.get("refresh")
        if node is None or not isinstance(refresh, dict):
            continue
        config = node.config
        method = refresh.get("method")
        incremental = config.materialized == "incremental"
        if incremental and method != "incremental":
            said = f"says method: {method}" if method else "does not say refresh.method"
            yield (
                p.id,
                "DP017",
                (
                    f"the model is built incrementally (event_time {config.event_time}, lookback "
                    f"{config.lookback}), but the descriptor {said}"
                ),
            )
        elif method == "incremental" and not incremental:
            yield (
                p.id,
                "DP017",
                (
                    f"the descriptor says method: incremental, but the model is materialized {config.materialized}"
                ),
            )
        elif incremental:
            if refresh.get("event_time") != config.event_time:
                yield (
                    p.id,
                    "DP017",
                    (
                        f"refresh.event_time is {refresh.get('event_time')}, the model's event_time "
                        f"{config.event_time}"
                    ),
                )
            if refresh.get("lookback_days") != config.lookback:
                yield (
                    p.id,
                    "DP017",
                    (
                        f"refresh.lookback_days is {refresh.get('lookback_days')}, the model's lookback "
                        f"{config.lookback}"
                    ),
                )


def _policy_problem(ctx: Context, p: DataProduct, version: ProductVersion) -> Callable[[str, str], str]:
    """A formatter of one version's policy problems: ``<file>: <model vN>: <descriptor>.access.<key> ...``."""
    node = ctx.manifest.nodes.get(version.unique_id)
    file = p.declared_in or (descriptor_file(node) if node is not None else p.original_file_path)
    model = p.name if version.version is None else f"{p.name} v{version.version}"
    base = DECLARED_PATH if p.declared_in else DESCRIPTOR_PATH

    def problem(key: str, message: str) -> str:
        return str(DescriptorProblem(file, model, f"access.{key}" if key else "access", message, base))

    return problem


def _unknown_role(ctx: Context, role: str) -> str:
    if ctx.roles.file is None:
        return f"names role {role!r}, but the project has no roles.yml to declare it"
    return f"names role {role!r}, not declared in {ctx.roles.file} (roles: {', '.join(ctx.roles.names) or 'none'})"


def check_access(ctx: Context) -> Iterator[Finding]:
    """DP019-DP023: every version has a policy naming declared roles, covering its personal columns, with
    unmasked readers among the readers and no broad reader of a restricted product."""
    for p in ctx.products:
        for _, version in _versions(p):
            problem = _policy_problem(ctx, p, version)
            policy = version.policy
            personal = [c.name for c in version.columns if c.personal_data]
            if policy is None:
                yield p.id, "DP023", problem("", "is missing (who may read the product, how to ask)")
                if p.descriptor.personal_data and personal:
                    yield (
                        p.id,
                        "DP020",
                        problem(
                            "personal_columns", f"is missing: personal_data is true ({', '.join(personal)})"
                        ),
                    )
                continue
            for key in ("readers", "unmasked"):
                for index, role in enumerate(getattr(policy, key)):
                    if ctx.roles.get(role) is None:
                        yield p.id, "DP019", problem(f"{key}[{index}]", _unknown_role(ctx, role))
            listed = {c.lower() for c in policy.personal_columns}
            names = {c.name.lower() for c in version.columns}
            for column in personal:
                if column.lower() not in listed:
                    yield (
                        p.id,
                        "DP020",
                        problem("personal_columns", f"needs {column} (marked meta.personal_data: true)"),
                    )
            for index, column in enumerate(policy.personal_columns):
                if column.lower() not in names:
                    yield (
                        p.id,
                        "DP020",
                        problem(f"personal_columns[{index}]", f"names {column}, not a column of the version"),
                    )
            if p.descriptor.personal_data and not policy.personal_columns and not personal:
                yield (
                    p.id,
                    "DP020",
                    problem("personal_columns", "is empty, but the descriptor says personal_data: true"),
                )
            readers = set(policy.readers)
            own = ctx.roles.domain_role(p.domain)
            for index, role in enumerate(policy.unmasked):
                if role not in readers and role != own:
                    yield (
                        p.id,
                        "DP021",
                        problem(f"unmasked[{index}]", f"names {role}, not one of access.readers"),
                    )
            if p.descriptor.classification == "restricted":
                for index, role in enumerate(policy.readers):
                    declared = ctx.roles.get(role)
                    if declared is not None and declared.kind == "broad":
                        yield (
                            p.id,
                            "DP022",
                            problem(
                                f"readers[{index}]",
                                f"names {role}, a broad role, in a product classified restricted",
                            ),
                        )


RULE_CHECKS: tuple[RuleCheck, ...] = (
    check_owner,
    check_documented,
    check_contract,
    check_primary_key,
    check_descriptor,
    check_suite,
    check_consumers,
    check_source_freshness,
    check_exposures_public,
    check_private_isolation,
    check_conformed_columns,
    check_pass_through,
    check_personal_data,
    check_deprecation_dates,
    check_agreement,
    check_refresh,
    check_dead_checks,
    check_access,
)


# --- running -----------------------------------------------------------------------------------------------


def apply_waivers(
    findings: Iterable[Finding], waivers: Sequence[Waiver], today: dt.date
) -> tuple[list[Violation], list[str]]:
    """Violations with their active waivers; notes on expired and unused waivers."""
    violations: list[Violation] = []
    used: set[Waiver] = set()
    expired_hit: set[Waiver] = set()
    for product, rule_id, message in findings:
        matching = [w for w in waivers if w.product == product and w.rule == rule_id]
        active = next((w for w in matching if w.active(today)), None)
        if active is not None:
            used.add(active)
        expired_hit.update(w for w in matching if not w.active(today))
        violations.append(Violation(product, rule(rule_id), message, active))
    notes = [
        f"waiver {w.product} {w.rule} expired on {w.expires}: the violation counts again"
        for w in waivers
        if w in expired_hit
    ]
    notes += [
        f"waiver {w.product} {w.rule} matches no violation: remove it"
        for w in waivers
        if w not in used and w not in expired_hit
    ]
    return violations, notes


def evaluate(
    manifest: Manifest,
    *,
    project_dir: Path,
    standards: Standards,
    select: Iterable[str] | None = None,
    warehouse: Warehouse | None = None,
    roles: Roles | None = None,
) -> tuple[list[str], list[Finding], list[str]]:
    """Run every rule on a manifest: (product ids checked, findings, notes); the roles are the project's
    roles.yml unless given."""
    all_products = load_products(manifest, strict=False)  # DP005 reports every wrong descriptor
    products = select_products(all_products, select)
    roles = load_roles(project_dir) if roles is None else roles
    ctx = Context(manifest, products, all_products, project_dir, standards, warehouse, roles=roles)
    selected = {p.id for p in products}
    findings: list[Finding] = []
    for check in RULE_CHECKS:
        for finding in check(ctx):
            if finding[1] in ("DP009", "DP010") or finding[0] in selected:
                findings.append(finding)
    findings.sort(key=lambda f: (f[0], f[1]))
    return [p.id for p in products], list(dict.fromkeys(findings)), [*ctx.notes, *_advice(products)]


def _advice(products: Iterable[DataProduct]) -> Iterator[str]:
    """What a declared product's owner still has to settle: not violations, the next steps."""
    for p in products:
        if p.declared_in and p.access != "public":
            yield (
                f"{p.id}: declared in {p.declared_in} but its model is {p.access or 'protected'}: make it "
                "public (config.access: public) so other groups and projects can ref it"
            )
        for item in p.descriptor.model.review or ():
            yield f"{p.id}: to review ({p.declared_in or p.original_file_path}): {item}"


def _model_subject(project_dir: Path, name: str) -> str:
    """``<domain>.<model>`` from where the model's SQL lives (``models/<domain>/...``), else the name.

    Used only when dbt refused to parse, so no manifest says which group the model belongs to.
    """
    for sql in sorted((project_dir / "models").rglob(f"{name}.sql")):
        parts = sql.relative_to(project_dir / "models").parts
        if len(parts) > 1 and parts[0] != "staging":
            return f"{parts[0]}.{name}"
    return name


def _refused_findings(refused: Sequence[RefusedReference], project_dir: Path) -> list[Finding]:
    findings: list[Finding] = []
    for ref in refused:
        kind, _, name = ref.node.partition(".")
        name = name.split(".", 1)[-1]
        target = ref.target.split(".", 2)[-1]
        if kind == "exposure":
            findings.append(
                (f"exposure.{name}", "DP009", f"depends on {ref.access} model {ref.scope}.{target}")
            )
        else:
            findings.append(
                (
                    _model_subject(project_dir, name),
                    "DP010",
                    f"references {ref.scope}.{target}, {ref.access} to group {ref.scope!r}",
                )
            )
    return findings


def run_check(
    config: ProjectConfig,
    *,
    manifest_path: Path | None = None,
    warehouse: Path | None = None,
    use_warehouse: bool = True,
    standards_path: Path | None = None,
    waivers_path: Path | None = None,
    select: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> CheckReport:
    """Check the project's products; configuration problems raise before dbt runs."""
    today = today or dt.datetime.now(dt.UTC).date()
    advice: list[str] = []
    standards_file = _in_project(config, standards_path or DEFAULT_STANDARDS)
    if standards_path is None and not standards_file.is_file():
        # optional: without it the conformed-column rules have nothing to compare against
        standards = build_standards([])
        advice.append(
            f"no {DEFAULT_STANDARDS.as_posix()}: DP011 and DP012 (conformed columns) did not run; "
            "`dp init` proposes one from the columns the products share"
        )
    else:
        standards = load_standards(standards_file)
    waivers_file = _in_project(config, waivers_path or DEFAULT_WAIVERS)
    if waivers_path is not None and not waivers_file.is_file():
        raise ConfigError(f"{waivers_file}: waivers file not found")
    waivers = load_waivers(waivers_file)
    source: ManifestSource = manifest_from(config, manifest_path)
    notes = [*advice, *source.notes]
    if source.manifest is None:
        violations, waiver_notes = apply_waivers(
            _refused_findings(source.refused, config.project_dir), waivers, today
        )
        return CheckReport((), tuple(violations), tuple(notes + waiver_notes))
    store = Warehouse(warehouse or config.db) if use_warehouse else None
    try:
        products, findings, rule_notes = evaluate(
            source.manifest,
            project_dir=config.project_dir,
            standards=standards,
            select=select,
            warehouse=store,
        )
    finally:
        if store is not None:
            store.close()
    if not use_warehouse:
        rule_notes.append(
            "DP013 ran without a warehouse (--no-warehouse): pass-throughs judged on SQL text only"
        )
    violations, waiver_notes = apply_waivers(findings, waivers, today)
    return CheckReport(tuple(products), tuple(violations), tuple(notes + rule_notes + waiver_notes))


def _in_project(config: ProjectConfig, path: Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else config.project_dir / path
