"""``dp init``: adopt the runner on an existing dbt project (docs/init.md).

One ``dbt ls`` (in a private target folder) gives the manifest and the models a ``--select`` names. Without
a selection the proposal is the project's public models; a project without any gets the models under a
``marts`` folder, else its leaf models outside staging and intermediate. Models that already carry a
descriptor in ``config.meta.data_product`` are products already and are left alone.

For each proposed product it writes:

- ``products/<domain>/<model>.yml``: the declaration (``declarations.py``) with a descriptor drawn from
  what the project states (group owner, ``meta.owner``, relation) and defaults for the rest, personal data
  guessed from column names, and a ``review`` list of what a person must confirm;
- ``expectations/<domain>/<model>.json``: a starter GX suite from the contract, constraints and the
  ``not_null`` / ``unique`` / ``accepted_values`` tests, plus bounds profiled on the built table (row-count
  band, numeric ranges, null rates); each expectation has a severity and a description saying where it
  came from;

and once ``standards/conformed_columns.yml``: the columns several products share, with their type.

Nothing is overwritten: an existing file is kept (``--force`` rewrites it), so running ``dp init`` again
changes nothing; ``--dry-run`` prints the plan only.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from dataproducts.artifacts import Manifest, Node, load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.dbt import run_dbt
from dataproducts.declarations import PRODUCTS_DIR, read_declarations
from dataproducts.descriptor import (
    DEFAULT_MAX_VOLUME_RATIO,
    DEFAULT_MIN_PASS_RATE,
    DEFAULT_MIN_VOLUME_RATIO,
    DEFAULT_OBJECTIVE,
    DEFAULT_WINDOW_DAYS,
    DESCRIPTOR_KEY,
    validate_descriptor,
)
from dataproducts.errors import DbtError, UsageError, WarehouseError
from dataproducts.fileio import write_all_atomic
from dataproducts.governance.agreement import statements
from dataproducts.governance.standards import DEFAULT_STANDARDS
from dataproducts.products import descriptor_file
from dataproducts.warehouse import open_read_only, quote_ident, relation_sql

# Folder names that say which layer a model is in, not which domain it belongs to.
LAYER_FOLDERS = frozenset(
    {
        "models",
        "marts",
        "mart",
        "core",
        "staging",
        "stage",
        "base",
        "intermediate",
        "int",
        "reporting",
        "reports",
        "public",
        "output",
        "outputs",
        "facts",
        "dimensions",
        "dims",
        "fct",
        "dim",
        "products",
    }
)
NOT_PRODUCT_FOLDERS = frozenset({"staging", "stage", "base", "intermediate", "int", "utils", "utilities"})
NOT_PRODUCT_PREFIXES = ("stg_", "int_", "base_", "tmp_", "raw_")
# Column names that usually hold personal data (GDPR art. 4): guessed, so always marked for review.
PERSONAL_DATA = re.compile(
    r"(^|_)(e_?mail|phone|mobile|first_?name|last_?name|full_?name|surname|given_?name|maiden_?name"
    r"|birth_?date|date_of_birth|dob|birthday|street|address(_line\d*)?|postal_?code|zip_?code|zip"
    r"|ssn|social_security|passport|national_id|tax_id|iban|credit_card|card_number|ip_address"
    r"|gender|latitude|longitude)($|_)",
    re.IGNORECASE,
)
# ...unless the name says it is a measure about the thing (credit_card_amount, email_count)
NOT_PERSONAL = re.compile(
    r"_(amount|count|total|sum|avg|average|share|ratio|pct|percent|flag)s?$", re.IGNORECASE
)
NUMERIC = re.compile(
    r"^(tinyint|smallint|integer|int|bigint|hugeint|int\d|float|double|real|decimal|numeric)"
)
MAX_IN_SET = (
    10  # accepted values become an expectation up to this many values (a longer list stays a dbt test)
)
ROW_BAND = (0.5, 2.0)  # the row-count band around the profiled count: the descriptor's default volume band
FRESHNESS_HOURS = {"hourly": 2, "daily": 30, "weekly": 192}

Action = Literal["create", "keep", "overwrite"]
ONE_PER_COLUMN = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
    }
)


@dataclass(frozen=True)
class InitOptions:
    select: Sequence[str] | None = None  # dbt selection syntax (``--select``)
    exclude: Sequence[str] | None = None
    force: bool = False  # rewrite files that exist
    dry_run: bool = False  # print the plan only
    profile: bool = True  # profile the built tables for bounds


@dataclass(frozen=True)
class PlannedFile:
    path: str  # relative to the project directory
    action: Action
    detail: str
    content: str


@dataclass(frozen=True)
class Proposal:
    product_id: str
    model: str
    file: str  # the model's SQL file
    owner: str
    personal_data: tuple[str, ...]
    expectations: int
    sources: Mapping[str, int]  # where the suite's expectations came from -> how many


@dataclass
class InitPlan:
    why: str  # how the products were chosen
    proposals: list[Proposal] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> list[PlannedFile]:
        return [f for f in self.files if f.action != "keep"]

    def render(self) -> str:
        lines = [f"dp init: {len(self.proposals)} data product(s) proposed ({self.why})"]
        width = max((len(p.product_id) for p in self.proposals), default=0)
        for p in self.proposals:
            sources = ", ".join(f"{n} {k}" for k, n in p.sources.items() if n)
            personal = f"; personal data? {', '.join(p.personal_data)}" if p.personal_data else ""
            lines.append(
                f"  {p.product_id:<{width}}  {p.file}: owner {p.owner}; {p.expectations} expectations"
            )
            lines.append(f"  {'':<{width}}  ({sources or 'none'}){personal}")
        if self.files:
            lines.append("files:" if not self.dry_run else "files (dry run: nothing written):")
            verbs = {"create": "would create", "overwrite": "would overwrite", "keep": "keep"}
            for f in self.files:
                verb = verbs[f.action] if self.dry_run else f.action
                lines.append(f"  {verb:<15} {f.path}  {f.detail}".rstrip())
        lines += [f"note: {n}" for n in self.notes]
        if self.proposals:
            lines.append(
                "next: edit each products/<domain>/<model>.yml (owner email, refresh, classification, the "
                "`review` list), then `dp nightly`; `dp check` lists what to improve next"
            )
        return "\n".join(lines)


# --- choosing the models -------------------------------------------------------------------------------------


def _list_models(cfg: ProjectConfig, options: InitOptions, work: Path) -> tuple[Manifest, list[str]]:
    """``dbt ls`` the models (a selection's, or all): the manifest it wrote and the unique ids."""
    command = ["ls", "--quiet", "--resource-type", "model", "--output", "json", "--output-keys", "unique_id"]
    if options.select:
        command += ["--select", *options.select]
    if options.exclude:
        command += ["--exclude", *options.exclude]
    listed = run_dbt(cfg, command, quiet=True, target_dir=work)
    if not listed.success:
        last = [line for line in listed.output.splitlines() if line.strip()]
        raise DbtError(
            f"dbt ls failed (exit {listed.returncode}): {last[-1].strip() if last else 'no output'}"
        )
    ids = []
    for line in listed.output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                ids.append(str(json.loads(line)["unique_id"]))
            except (ValueError, KeyError):
                continue
    manifest = load_manifest(work / "manifest.json").declare(read_declarations(cfg.project_dir))
    return manifest, ids


def _folders(node: Node) -> list[str]:
    """The folders of the model's file below its model path (``models/marts/finance/x.sql`` -> marts, finance)."""
    parts = Path(node.original_file_path).parts
    return [p.lower() for p in parts[1:-1]]


def _is_latest(node: Node) -> bool:
    return node.version is None or str(node.version) == str(node.latest_version)


def _choose(manifest: Manifest, ids: Sequence[str], selected: bool) -> tuple[list[Node], str]:
    models = [manifest.nodes[i] for i in ids if i in manifest.nodes]
    models = [n for n in models if n.resource_type == "model" and n.config.enabled and _is_latest(n)]
    if selected:
        return models, "the models --select names"
    public = [n for n in models if (n.access or n.config.access) == "public"]
    if public:
        return public, "the project's public models"
    marts = [n for n in models if {"marts", "mart"} & set(_folders(n))]
    if marts:
        return marts, "no public models: the models under a marts folder; --select chooses others"
    children = {parent for n in manifest.models() for parent in n.depends_on.nodes}
    leaves = [
        n
        for n in models
        if n.unique_id not in children
        and not NOT_PRODUCT_FOLDERS & set(_folders(n))
        and not n.name.startswith(NOT_PRODUCT_PREFIXES)
    ]
    return leaves, "no public models and no marts folder: the leaf models; --select chooses others"


# --- the descriptor ------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "project"


def _domain(node: Node, project: str) -> str:
    meta = node.merged_meta
    if isinstance(meta.get("domain"), str) and meta["domain"].strip():
        return _slug(meta["domain"])
    group = node.group or node.config.group
    if group:
        return _slug(group)
    for folder in reversed(_folders(node)):
        if folder not in LAYER_FOLDERS:
            return _slug(folder)
    return _slug(project)


def _owner(node: Node, manifest: Manifest) -> tuple[dict[str, str], str | None]:
    """The descriptor's owner and where it came from (None: nobody is named)."""
    group_name = node.group or node.config.group
    group = next((g for g in manifest.groups.values() if g.name == group_name), None)
    if group is not None:
        owner = {"team": group.name}
        email = group.owner.email[0] if isinstance(group.owner.email, list) else group.owner.email
        if group.owner.name:
            owner["name"] = group.owner.name
        if email:
            owner["email"] = email
        return owner, f"dbt group {group.name}"
    value = node.merged_meta.get("owner")
    if isinstance(value, Mapping):
        owner = {k: str(value[k]) for k in ("team", "name", "email") if value.get(k)}
        return owner, "meta.owner"
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return ({"email": text} if re.fullmatch(r"[^@\s]+@[^@\s]+", text) else {"team": text}), "meta.owner"
    return {}, None


def _columns(node: Node, warehouse_types: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """(name, type) of the model's columns: the warehouse's when built, else the YAML's."""
    if warehouse_types:
        return list(warehouse_types.items())
    return [(c.name, c.data_type) for c in node.columns.values()]


def _descriptor(
    node: Node,
    manifest: Manifest,
    domain: str,
    suite: str,
    columns: Sequence[str],
    has_freshness: bool,
) -> tuple[dict[str, Any], list[str], str]:
    owner, owner_origin = _owner(node, manifest)
    review: list[str] = []
    if "email" not in owner:
        review.append("owner: name the accountable team and its email (owner.team, owner.email)")
    personal = [c for c in columns if PERSONAL_DATA.search(c) and not NOT_PERSONAL.search(c)]
    if personal:
        review.append(
            f"personal data guessed from column names ({', '.join(personal)}): confirm, or set "
            "personal_data: false and remove personal_data_columns"
        )
    else:
        review.append("personal data: no column name looks personal; confirm personal_data: false")
    review.append("classification and refresh: defaults (internal or confidential, daily): confirm")
    if not has_freshness:
        review.append(
            "freshness: no upstream source declares freshness (loaded_at_field): the freshness SLI stays "
            "unknown until one does"
        )
    schema = node.schema_ or "main"
    alias = node.alias or node.name
    ref = f"ref('{node.name}')" if node.version is None else f"ref('{node.name}', v={node.version})"
    descriptor: dict[str, Any] = {"domain": domain}
    if owner:
        descriptor["owner"] = owner
    descriptor["refresh"] = _refresh(node)
    descriptor["classification"] = "confidential" if personal else "internal"
    descriptor["personal_data"] = bool(personal)
    if personal:
        descriptor["personal_data_columns"] = personal
    descriptor["interfaces"] = [
        {"type": "sql", "address": f"{schema}.{alias}"},
        {"type": "dbt_ref", "address": ref},
    ]
    descriptor["suite"] = suite
    # an empty-but-valid access policy: only the owning domain reads until the owner names readers
    contact = owner.get("email") or owner.get("team") or owner.get("name") or "the owner"
    descriptor["access"] = {
        "readers": [],
        "unmasked": [],
        "personal_columns": personal,
        "request": f"Ask {contact}: the owner decides and adds the role to access.readers.",
    }
    review.append(
        "access: name the readers (roles of roles.yml) and who sees personal columns in clear; until then "
        "only the owning domain reads the product (docs/descriptor.md, Access policy)"
    )
    descriptor["slo"] = {
        "window_days": DEFAULT_WINDOW_DAYS,
        "freshness": {"max_age_hours": FRESHNESS_HOURS["daily"], "objective": DEFAULT_OBJECTIVE},
        "availability": {"objective": DEFAULT_OBJECTIVE},
        "completeness": {
            "min_volume_ratio": DEFAULT_MIN_VOLUME_RATIO,
            "max_volume_ratio": DEFAULT_MAX_VOLUME_RATIO,
            "objective": DEFAULT_OBJECTIVE,
        },
        "validity": {"min_pass_rate": DEFAULT_MIN_PASS_RATE, "objective": DEFAULT_OBJECTIVE},
    }
    descriptor["review"] = review
    _, problems = validate_descriptor(descriptor)
    assert not problems, problems  # what dp init writes is a valid descriptor
    shown = owner.get("email") or owner.get("team") or owner.get("name")
    return descriptor, personal, f"{shown} (from {owner_origin})" if shown else "none named"


def _declaration_text(node: Node, descriptor: Mapping[str, Any], product_id: str) -> str:
    header = (
        f"# Data product {product_id}: the declaration `dp init` proposed for model {node.name}\n"
        f"# ({node.original_file_path}). Edit it: `dp init` never overwrites it without --force.\n"
        "# Keys: docs/descriptor.md. Work through `review`, then delete the entries you settled.\n"
    )
    body = yaml.safe_dump({"model": node.name, DESCRIPTOR_KEY: dict(descriptor)}, sort_keys=False, width=100)
    return header + body


# --- the suite -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    rows: int
    types: dict[str, str]  # column -> warehouse type, in table order
    non_null: dict[str, int]
    minimum: dict[str, float]
    maximum: dict[str, float]


def _profile(con: Any, node: Node) -> Profile | None:
    schema, alias = node.schema_ or "main", node.alias or node.name
    described = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, alias],
    ).fetchall()
    if not described:
        return None
    types = {str(name): str(kind) for name, kind in described}
    numeric = [c for c, t in types.items() if NUMERIC.match(t.lower())]
    parts = ["count(*)"]
    parts += [f"count({quote_ident(c)})" for c in types]
    parts += [f"min({quote_ident(c)})::double, max({quote_ident(c)})::double" for c in numeric]
    row = con.execute(f"select {', '.join(parts)} from {relation_sql(schema, alias)}").fetchone()
    values = list(row)
    rows = int(values[0])
    non_null = {c: int(v) for c, v in zip(types, values[1 : 1 + len(types)], strict=True)}
    rest = values[1 + len(types) :]
    minimum = {c: rest[2 * i] for i, c in enumerate(numeric) if rest[2 * i] is not None}
    maximum = {c: rest[2 * i + 1] for i, c in enumerate(numeric) if rest[2 * i + 1] is not None}
    return Profile(rows, types, non_null, minimum, maximum)


def _nice(value: float, up: bool) -> float | int:
    """``value`` rounded outwards to two significant digits (a bound that reads like a number people chose)."""
    if value == 0:
        return 0
    magnitude = 10 ** (math.floor(math.log10(abs(value))) - 1)
    rounded = (math.ceil if up else math.floor)(value / magnitude) * magnitude
    return int(rounded) if float(rounded).is_integer() else round(rounded, 10)


def _expectation(kind: str, kwargs: Mapping[str, Any], severity: str, description: str) -> dict[str, Any]:
    return {"type": kind, "kwargs": dict(kwargs), "severity": severity, "description": description}


def _tests_on(manifest: Manifest, node: Node) -> list[Node]:
    return sorted(
        (t for t in manifest.tests() if t.attached_node == node.unique_id and t.test_metadata is not None),
        key=lambda t: t.unique_id,
    )


def _refresh(node: Node) -> dict[str, Any]:
    """The descriptor's refresh block: daily, and how the model's config builds it (dp check DP017)."""
    config = node.config
    if config.materialized != "incremental":
        return {"cycle": "daily", "method": "full"}
    refresh: dict[str, Any] = {"cycle": "daily", "method": "incremental"}
    if config.event_time:
        refresh["event_time"] = config.event_time
    if config.lookback is not None:
        refresh["lookback_days"] = config.lookback
    return refresh


def _suite(
    manifest: Manifest, node: Node, product_id: str, profile: Profile | None
) -> tuple[dict[str, Any], Counter[str]]:
    expectations: list[dict[str, Any]] = []
    origin: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    where = descriptor_file(node)
    columns = set(profile.types) if profile else {c.name for c in node.columns.values()}
    known = {c.lower() for c in columns}

    def add(kind: str, kwargs: Mapping[str, Any], severity: str, description: str, source: str) -> None:
        named = [kwargs["column"]] if "column" in kwargs else list(kwargs.get("column_list", []))
        if any(str(c).lower() not in known for c in named):
            return  # a test on an expression, or a column the table lacks: stays a dbt test
        # one not-null, unique or range expectation per column (the first stated wins); others once each
        where_ = str(kwargs.get("column", kwargs.get("column_list", "")))
        key = (
            (kind, where_)
            if kind in ONE_PER_COLUMN
            else (kind, json.dumps(kwargs, sort_keys=True, default=str))
        )
        if key in seen:
            return
        seen.add(key)
        expectations.append(_expectation(kind, kwargs, severity, description))
        origin[source] += 1

    if profile:
        add(
            "expect_table_columns_to_match_set",
            {"column_set": list(profile.types), "exact_match": True},
            "critical" if node.config.contract.enforced else "warning",
            f"Profiled: the {len(profile.types)} columns of the built table"
            + (" (its contract enforces them)" if node.config.contract.enforced else "")
            + "; a column added or dropped is a change consumers must hear about.",
            "profiled",
        )
    # the project's own statements: constraints and tests. A table whose contract is enforced checks its
    # not_null, unique and primary_key constraints on every row inserted: an expectation restating one can
    # never fail (dp check DP018), so those become expectations only where nothing enforces them.
    enforced = node.config.contract.enforced and node.config.materialized in ("table", "incremental")
    never_null = {
        info.name
        for info in node.columns.values()
        if enforced and any(c.type in ("not_null", "primary_key") for c in info.constraints)
    }
    always_unique = {
        info.name
        for info in node.columns.values()
        if enforced and any(c.type in ("unique", "primary_key") for c in info.constraints)
    }
    for info in node.columns.values():
        if enforced:
            break
        for constraint in info.constraints:
            if constraint.type in ("not_null", "primary_key"):
                add(
                    "expect_column_values_to_not_be_null",
                    {"column": info.name},
                    "critical",
                    f"From the {constraint.type} constraint on {info.name} ({where}).",
                    "constraints",
                )
            if constraint.type in ("unique", "primary_key"):
                add(
                    "expect_column_values_to_be_unique",
                    {"column": info.name},
                    "critical",
                    f"From the {constraint.type} constraint on {info.name} ({where}).",
                    "constraints",
                )
    for constraint in node.constraints:
        if enforced:
            break
        if constraint.type in ("unique", "primary_key") and len(constraint.columns) > 1:
            add(
                "expect_compound_columns_to_be_unique",
                {"column_list": list(constraint.columns)},
                "critical",
                f"From the model's {constraint.type} constraint ({', '.join(constraint.columns)}).",
                "constraints",
            )
    for test in _tests_on(manifest, node):
        meta = test.test_metadata
        assert meta is not None
        column = test.column_name or meta.kwargs.get("column_name")
        severity = "warning" if str(test.config.severity or "error").lower() == "warn" else "critical"
        said = f"From the dbt test {test.name} ({where})."
        if meta.name in ("not_null", "unique") and column in (
            never_null if meta.name == "not_null" else always_unique
        ):
            continue  # the enforced contract already guarantees it
        if meta.name == "not_null" and column:
            add("expect_column_values_to_not_be_null", {"column": column}, severity, said, "dbt tests")
        elif meta.name == "unique" and column:
            add("expect_column_values_to_be_unique", {"column": column}, severity, said, "dbt tests")
        elif meta.name == "accepted_values" and column:
            values = meta.kwargs.get("values")
            if isinstance(values, list) and 0 < len(values) <= MAX_IN_SET * 5:
                add(
                    "expect_column_values_to_be_in_set",
                    {"column": column, "value_set": values},
                    severity,
                    said,
                    "dbt tests",
                )
        elif meta.name == "accepted_range" and column:  # dbt_utils' and dbt-expectations' range test
            bounds = {k: meta.kwargs[k] for k in ("min_value", "max_value") if meta.kwargs.get(k) is not None}
            if bounds and all(isinstance(v, int | float) for v in bounds.values()):
                add(
                    "expect_column_values_to_be_between",
                    {"column": column, **bounds},
                    severity,
                    said,
                    "dbt tests",
                )
        elif meta.name in ("unique_combination_of_columns",) and isinstance(
            meta.kwargs.get("combination_of_columns"), list
        ):
            add(
                "expect_compound_columns_to_be_unique",
                {"column_list": list(meta.kwargs["combination_of_columns"])},
                severity,
                said,
                "dbt tests",
            )
    # what the built data shows
    if profile is not None:
        low, high = math.floor(profile.rows * ROW_BAND[0]), math.ceil(profile.rows * ROW_BAND[1])
        add(
            "expect_table_row_count_to_be_between",
            {"min_value": low, "max_value": max(high, 1)},
            "warning",
            f"Profiled: {profile.rows} rows when dp init ran; the band is half to twice that (adjust it to "
            "the product's expected growth).",
            "profiled",
        )
        for column, present in profile.non_null.items():
            if not profile.rows or column not in columns:
                continue
            share = present / profile.rows
            if share == 1:
                add(
                    "expect_column_values_to_not_be_null",
                    {"column": column},
                    "warning",
                    f"Profiled: {column} had no nulls in {profile.rows} rows.",
                    "profiled",
                )
            elif share > 0:
                mostly = math.floor(share * 0.9 * 100) / 100
                if mostly > 0:
                    add(
                        "expect_column_values_to_not_be_null",
                        {"column": column, "mostly": mostly},
                        "warning",
                        f"Profiled: {column} was {share:.0%} filled in; alert below {mostly:.0%}.",
                        "profiled",
                    )
        # a range the project already states (a check constraint, a range test) is not guessed again:
        # two ranges for one column would disagree (dp check DP016)
        stated = {
            s.column.lower()
            for s in statements(node, _tests_on(manifest, node), [])
            if s.kind in ("min", "max")
        }
        for column in profile.minimum:
            if column.lower().endswith("_id") or column.lower() == "id" or column.lower() in stated:
                continue
            lo, hi = profile.minimum[column], profile.maximum[column]
            kwargs: dict[str, Any] = {
                "column": column,
                "min_value": 0 if lo >= 0 else _nice(2 * lo, up=False),
            }
            if hi > 0:
                kwargs["max_value"] = _nice(2 * hi, up=True)
            add(
                "expect_column_values_to_be_between",
                kwargs,
                "warning",
                f"Profiled: {column} ranged from {lo:g} to {hi:g}; the bounds allow "
                + ("no negative values" if lo >= 0 else "twice the lowest value")
                + (" and twice the highest." if hi > 0 else "."),
                "profiled",
            )
    suite = {
        "name": product_id,
        "meta": {"data_product": product_id, "written_by": "dp init"},
        "notes": (
            "Starter suite written by `dp init` from the model's constraints and tests and a profile of the "
            "built table. Review each expectation's severity: only critical ones fail the product. "
            "relationships tests stay dbt tests (the SLO report counts them)."
        ),
        "expectations": expectations,
    }
    return suite, origin


# --- conformed columns ---------------------------------------------------------------------------------------


def _standards_text(columns: Mapping[str, list[tuple[str, str | None, str]]]) -> str | None:
    """The columns two or more products share, each with its most used type."""
    shared = {name: uses for name, uses in columns.items() if len({p for p, _, _ in uses}) > 1}
    if not shared:
        return None
    entries = []
    conflicts = []
    for name in sorted(shared):
        uses = shared[name]
        types = Counter((t or "").lower() for _, t, _ in uses if t)
        entry: dict[str, Any] = {"name": name}
        if types:
            entry["data_type"] = types.most_common(1)[0][0]
            if len(types) > 1:
                conflicts.append(f"{name} ({', '.join(sorted(types))})")
        description = next((d for _, _, d in uses if d), "")
        if description:
            entry["description"] = description
        entries.append(entry)
    header = (
        "# Conformed columns proposed by `dp init`: the column names several data products share, with the\n"
        "# type most of them use. A product column listed here must have this data_type (dp check DP011);\n"
        "# add `aliases:` for names that mean the same (DP012). Keys: docs/governance.md.\n"
    )
    if conflicts:
        header += "# Types differ between products for: " + "; ".join(conflicts) + ". Settle one type each.\n"
    return header + yaml.safe_dump({"version": 1, "columns": entries}, sort_keys=False, width=100)


# --- the plan ------------------------------------------------------------------------------------------------


def _plan_file(cfg: ProjectConfig, rel: str, content: str, detail: str, force: bool) -> PlannedFile:
    path = cfg.project_dir / rel
    if not path.exists():
        return PlannedFile(rel, "create", detail, content)
    if not force:
        return PlannedFile(rel, "keep", "(exists; --force rewrites it)", content)
    return PlannedFile(rel, "overwrite", detail, content)


def _has_freshness(manifest: Manifest, node: Node) -> bool:
    seen: set[str] = set()
    stack = list(node.depends_on.nodes)
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        source = manifest.sources.get(uid)
        if source is not None:
            rule = source.effective_freshness
            loaded = source.effective_loaded_at_field or source.loaded_at_query
            if loaded and rule is not None and (rule.warn_after or rule.error_after):
                return True
        elif uid in manifest.nodes:
            stack += manifest.nodes[uid].depends_on.nodes
    return False


def plan_init(cfg: ProjectConfig, options: InitOptions) -> InitPlan:
    """What ``dp init`` would write (nothing is written here)."""
    with tempfile.TemporaryDirectory(prefix="dp-init-") as work:
        manifest, ids = _list_models(cfg, options, Path(work))
    selected = bool(options.select or options.exclude)
    if selected and not ids:
        raise UsageError(f"--select {' '.join(options.select or [])}: no model matches")
    chosen, why = _choose(manifest, ids, selected)
    plan = InitPlan(why=why, dry_run=options.dry_run)
    declared = {d.model: d for d in manifest.declarations}
    project = manifest.metadata.project_name or cfg.project_dir.name
    con = None
    if options.profile:
        try:
            con = open_read_only(cfg.warehouse)
        except WarehouseError as exc:
            plan.notes.append(f"not profiled ({exc}): run dbt build first, then dp init --force for bounds")
    columns_used: dict[str, list[tuple[str, str | None, str]]] = {}
    try:
        for node in sorted(chosen, key=lambda n: n.name):
            if node.merged_meta.get(DESCRIPTOR_KEY) and node.name not in declared:
                plan.notes.append(
                    f"{node.name}: a product already (descriptor in {descriptor_file(node)}); left alone"
                )
                continue
            if node.config.materialized == "ephemeral":
                plan.notes.append(f"{node.name}: ephemeral (no table or view to serve or validate); skipped")
                continue
            domain = _domain(node, project)
            product_id = f"{domain}.{node.name}"
            declaration = declared.get(node.name)
            decl_rel = declaration.file if declaration else f"{PRODUCTS_DIR}/{domain}/{node.name}.yml"
            suite_rel = f"expectations/{domain}/{node.name}.json"
            profile = None
            if con is not None:
                try:
                    profile = _profile(con, node)
                except Exception as exc:  # a table DuckDB cannot read: no bounds, said once
                    plan.notes.append(f"{node.name}: not profiled ({str(exc).splitlines()[0]})")
                if profile is None and con is not None:
                    plan.notes.append(f"{node.name}: not built in {cfg.warehouse.name}: no profiled bounds")
            types = profile.types if profile else {}
            cols = _columns(node, types)
            for name, kind in cols:
                info = node.columns.get(name)
                columns_used.setdefault(name.lower(), []).append(
                    (
                        product_id,
                        (info.data_type if info and info.data_type else kind),
                        info.description if info else "",
                    )
                )
            descriptor, personal, owner = _descriptor(
                node, manifest, domain, suite_rel, [c for c, _ in cols], _has_freshness(manifest, node)
            )
            suite, origin = _suite(manifest, node, product_id, profile)
            plan.proposals.append(
                Proposal(
                    product_id=product_id,
                    model=node.name,
                    file=node.original_file_path,
                    owner=owner,
                    personal_data=tuple(personal),
                    expectations=len(suite["expectations"]),
                    sources=dict(origin),
                )
            )
            plan.files.append(
                _plan_file(
                    cfg,
                    decl_rel,
                    _declaration_text(node, descriptor, product_id),
                    "declaration",
                    options.force,
                )
            )
            plan.files.append(
                _plan_file(
                    cfg,
                    suite_rel,
                    json.dumps(suite, indent=2) + "\n",
                    f"{len(suite['expectations'])} expectations",
                    options.force,
                )
            )
    finally:
        if con is not None:
            con.close()
    standards = _standards_text(columns_used)
    if standards is not None:
        plan.files.append(
            _plan_file(cfg, DEFAULT_STANDARDS.as_posix(), standards, "conformed columns", options.force)
        )
    if not plan.proposals and not plan.notes:
        plan.notes.append("no model to propose: pass --select (dbt selection syntax, e.g. path:models/marts)")
    return plan


def write_plan(cfg: ProjectConfig, plan: InitPlan) -> None:
    """Write the plan's files, all or none (a full disk leaves the project as it was); kept files are not
    touched."""
    write_all_atomic((cfg.project_dir / planned.path, planned.content) for planned in plan.written)


def run_init(cfg: ProjectConfig, options: InitOptions) -> InitPlan:
    plan = plan_init(cfg, options)
    if not options.dry_run:
        write_plan(cfg, plan)
    return plan


def proposed_ids(plan: InitPlan) -> Iterable[str]:
    return (p.product_id for p in plan.proposals)
