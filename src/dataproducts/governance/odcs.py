"""``dp export odcs``: one Open Data Contract Standard (ODCS v3) contract per data product.

Each contract carries the product's schema (one schema object per version, with physical and logical types,
required, unique and primary key fields), quality rules translated from its Great Expectations suite
(ODCS library metrics where one fits, the GX expectation itself as a ``custom`` rule otherwise), SLA
properties from its descriptor's refresh cycle and SLO targets, the owning team and support channel, and a
server per port (``servers``): the DuckDB warehouse (one per schema), PostgreSQL (host, port, database and
schema of the profile's ``postgres`` target, never a password; an unset variable stays ``${DP_PG_...}``), and
the files port (the Parquet folders of the latest published run, ``{model}`` standing for each schema
object's name). Every contract is validated against the official ODCS JSON Schema that the
``open-data-contract-standard`` package ships before anything is written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from dataproducts.config import ProjectConfig
from dataproducts.constants import OBJECTIVE_SLIS
from dataproducts.errors import ConfigError, DataProductsError, DbtError
from dataproducts.fileio import write_all_atomic
from dataproducts.files.publish import AccessRowLike
from dataproducts.governance.parsing import manifest_from
from dataproducts.governance.standards import normalize_type
from dataproducts.products import Column, DataProduct, ProductVersion, load_products
from dataproducts.validation.suites import load_suite

API_VERSION = "v3.1.0"
_CYCLE_DAYS = {"hourly": (1, "h"), "daily": (1, "d"), "weekly": (7, "d"), "monthly": (1, "M")}


class ContractError(DataProductsError):
    """A generated contract does not validate against the ODCS JSON Schema (a bug in the export)."""


# --- types -----------------------------------------------------------------------------------------------------


def logical_type(data_type: str | None) -> str:
    base = (normalize_type(data_type) or "varchar").split("(", 1)[0]
    if base in {"integer", "bigint", "smallint", "tinyint", "hugeint", "ubigint", "uinteger", "usmallint"}:
        return "integer"
    if base in {"decimal", "double", "float"}:
        return "number"
    if base == "boolean":
        return "boolean"
    if base == "date":
        return "date"
    if base.startswith("timestamp"):
        return "timestamp"
    if base.startswith("time"):
        return "time"
    if base.endswith("[]") or base.startswith("list"):
        return "array"
    if base.startswith("struct"):
        return "object"
    if base.startswith("map"):
        return "map"
    return "string"


# --- quality from the GX suite ------------------------------------------------------------------------------------


def _severity(expectation: Mapping[str, Any]) -> str:
    raw = str(expectation.get("severity") or (expectation.get("meta") or {}).get("severity") or "critical")
    return {"critical": "error", "warning": "warning", "info": "info"}.get(raw.lower(), raw.lower())


def _mostly_rule(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    mostly = kwargs.get("mostly")
    if isinstance(mostly, int | float) and mostly < 1:
        return {"unit": "percent", "mustBeLessOrEqualTo": round((1 - float(mostly)) * 100, 6)}
    return {"mustBe": 0}


def quality_rule(expectation: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(the column it belongs to or None for the table, the ODCS quality rule) for one GX expectation."""
    kind = str(expectation.get("type") or expectation.get("expectation_type") or "")
    kwargs = expectation.get("kwargs") if isinstance(expectation.get("kwargs"), Mapping) else {}
    assert isinstance(kwargs, Mapping)
    column = kwargs.get("column") if isinstance(kwargs.get("column"), str) else None
    rule: dict[str, Any] = {"name": kind}
    if expectation.get("description"):
        rule["description"] = str(expectation["description"])
    if kind == "expect_column_values_to_not_be_null":
        rule.update(type="library", metric="nullValues", dimension="completeness", **_mostly_rule(kwargs))
    elif kind == "expect_column_values_to_be_unique":
        rule.update(type="library", metric="duplicateValues", dimension="uniqueness", **_mostly_rule(kwargs))
    elif kind == "expect_column_values_to_be_in_set" and isinstance(kwargs.get("value_set"), list):
        rule.update(
            type="library",
            metric="invalidValues",
            dimension="conformity",
            arguments={"validValues": list(kwargs["value_set"])},
            **_mostly_rule(kwargs),
        )
    elif kind == "expect_table_row_count_to_be_between" and isinstance(kwargs.get("min_value"), int | float):
        low, high = float(kwargs["min_value"]), kwargs.get("max_value")
        bound: dict[str, Any] = (
            {"mustBeBetween": [low, float(high)]}
            if isinstance(high, int | float) and high > low
            else {"mustBeGreaterOrEqualTo": low}
        )
        rule.update(type="library", metric="rowCount", dimension="completeness", **bound)
    else:
        rule.update(
            type="custom", engine="great-expectations", implementation={"type": kind, "kwargs": dict(kwargs)}
        )
    rule["severity"] = _severity(expectation)
    return column, rule


# --- the contract ---------------------------------------------------------------------------------------------------


def _grain(description: str) -> str | None:
    match = re.search(r"Grain:\s*(.+?)\*\*", description)
    return match.group(1).strip() if match else None


def _property(
    column: Column, pk: Sequence[str], unique: set[str], classification: str | None
) -> dict[str, Any]:
    prop: dict[str, Any] = {
        "name": column.name,
        "physicalName": column.name,
        "logicalType": logical_type(column.data_type),
        "physicalType": (column.data_type or "varchar").upper(),
    }
    if column.description.strip():
        prop["description"] = " ".join(column.description.split())
    required = "not_null" in column.constraints or column.name in pk
    prop["required"] = required
    prop["unique"] = column.name.lower() in unique
    if column.name in pk:
        prop["primaryKey"] = True
        prop["primaryKeyPosition"] = pk.index(column.name) + 1
    if column.personal_data:
        prop["classification"] = classification or "restricted"
        prop["tags"] = ["personal_data"]
    return prop


def _schema_object(
    product: DataProduct, version: ProductVersion, suite: Sequence[Mapping[str, Any]], unique: set[str]
) -> dict[str, Any]:
    pk = [c.name for c in version.columns if "primary_key" in c.constraints]
    unique = set(unique) | ({pk[0].lower()} if len(pk) == 1 else set())
    properties = [_property(c, pk, unique, product.descriptor.classification) for c in version.columns]
    by_name = {p["name"].lower(): p for p in properties}
    table_rules: list[dict[str, Any]] = []
    if version.is_latest:  # the suite describes the latest version
        for expectation in suite:
            column, rule = quality_rule(expectation)
            target = by_name.get(column.lower()) if column else None
            if target is not None:
                target.setdefault("quality", []).append(rule)
            else:
                table_rules.append(rule)
    obj: dict[str, Any] = {
        "name": version.alias or product.name,
        "physicalName": version.relation,
        "physicalType": "view" if product.materialized == "view" else "table",
        "logicalType": "object",
        "businessName": product.name.replace("_", " "),
    }
    if product.description.strip():
        obj["description"] = " ".join(product.description.split())
    grain = _grain(product.description)
    if grain:
        obj["dataGranularityDescription"] = grain
    if not version.is_latest:
        obj["deprecated"] = True
    tags = [product.domain]
    if version.version:
        tags.append(f"v{version.version}")
    obj["tags"] = tags
    obj["properties"] = properties
    if table_rules:
        obj["quality"] = table_rules
    return obj


def _sla(product: DataProduct) -> list[dict[str, Any]]:
    d = product.descriptor
    sla: list[dict[str, Any]] = []
    element = product.latest.alias or product.name
    if d.refresh_cycle in _CYCLE_DAYS:
        value, unit = _CYCLE_DAYS[d.refresh_cycle or ""]
        entry: dict[str, Any] = {"property": "frequency", "value": value, "unit": unit, "element": element}
        if d.refresh_schedule:
            entry.update(scheduler="cron", schedule=d.refresh_schedule)
        sla.append(entry)
    if d.slo.freshness_max_age_hours is not None:
        sla.append(
            {
                "property": "latency",
                "value": d.slo.freshness_max_age_hours,
                "unit": "h",
                "element": element,
                "description": "The newest data is at most this old at the daily as-of time (D 06:00 UTC).",
            }
        )
    for name in OBJECTIVE_SLIS:
        objective = d.slo.for_sli(name)
        if objective.objective is None:
            continue
        params = ", ".join(f"{k} {v}" for k, v in objective.params.items() if k != "max_age_hours")
        sla.append(
            {
                "property": f"{name}Objective",
                "value": round(objective.objective * 100, 4),
                "unit": "percent",
                "element": element,
                "driver": "operational",
                "description": f"Share of nightly runs in a rolling {d.slo.window_days}-day window that meet the "
                f"{name} SLI" + (f" ({params})" if params else "") + ".",
            }
        )
    for version in product.versions:
        if version.deprecation_date:
            sla.append(
                {
                    "property": "endOfSupport",
                    "value": version.deprecation_date.isoformat(),
                    "element": version.alias or product.name,
                    "description": f"v{version.version} is deprecated on this date; move to the latest version.",
                }
            )
    return sla


def _uniques_from_suite(suite: Iterable[Mapping[str, Any]]) -> set[str]:
    found = set()
    for expectation in suite:
        kwargs = expectation.get("kwargs")
        if (
            expectation.get("type") == "expect_column_values_to_be_unique"
            and isinstance(kwargs, Mapping)
            and isinstance(kwargs.get("column"), str)
            and not kwargs.get("mostly")
        ):
            found.add(kwargs["column"].lower())
    return found


@dataclass(frozen=True)
class PostgresPort:
    """The profile's ``postgres`` target, as a consumer addresses it (no credentials)."""

    host: str
    port: int | str
    database: str


@dataclass(frozen=True)
class Ports:
    """Where the products are served besides the DuckDB warehouse, and who may read them there."""

    postgres: PostgresPort | None = None
    files_run: str | None = None  # the latest published run folder, as shown (relative to the project)
    access: Sequence[AccessRowLike] = ()  # the access matrix (governance.access), every port


def _server_roles(
    product: DataProduct, ports: Ports, port: str, versions: Sequence[ProductVersion]
) -> list[dict[str, Any]]:
    """The roles that may read ``versions`` of ``product`` on ``port`` (ODCS server roles), each with what
    it reads and who approves a request (the owner)."""
    numbers = {int(v.version) if v.version and v.version.isdigit() else None for v in versions}
    reads: dict[str, list[AccessRowLike]] = {}
    for row in ports.access:
        if row.product == product.id and row.port == port and row.allowed and row.version in numbers:
            reads.setdefault(row.role, []).append(row)
    roles = []
    for role, rows in reads.items():
        masked = sorted({c for r in rows for c in r.masked_columns})
        entry: dict[str, Any] = {
            "role": role,
            "access": "read, personal data masked" if masked else "read",
            "description": "reads "
            + ", ".join(sorted({r.relation for r in rows}))
            + (f" ({', '.join(masked)} NULL)" if masked else ""),
        }
        if product.owner.email:
            entry["firstLevelApprovers"] = product.owner.email
        roles.append(entry)
    return roles


def _servers(product: DataProduct, warehouse: str, ports: Ports) -> list[dict[str, Any]]:
    schemas = list(dict.fromkeys(v.schema or "main" for v in product.versions))
    servers: list[dict[str, Any]] = [
        {
            "id": f"duckdb_{schema}",
            "server": f"duckdb-{schema}",
            "type": "duckdb",
            "environment": "prod",
            "description": "The project's DuckDB warehouse, built nightly by dbt.",
            "database": warehouse,
            "schema": schema,
        }
        for schema in schemas
    ]
    if ports.postgres is not None:
        pg = ports.postgres
        servers += [
            _with_roles(
                product,
                ports,
                "postgres",
                [v for v in product.versions if (v.schema or "main") == schema],
                {
                    "id": f"postgres_{schema}",
                    "server": f"postgres-{schema}",
                    "type": "postgres",
                    "environment": "prod",
                    "description": "The project's PostgreSQL database (dbt build --target postgres): log in with "
                    "your own role; each consumer role reads what the product's access policy allows, personal "
                    "data through the <name>_masked view unless it reads them in clear (dp access).",
                    "host": pg.host,
                    "port": pg.port,
                    "database": pg.database,
                    "schema": schema,
                },
            )
            for schema in schemas
        ]
    if ports.files_run is not None:
        servers.append(
            _with_roles(
                product,
                ports,
                "files",
                product.versions,
                {
                    "id": f"files_{product.domain}",
                    "server": f"files-{product.domain}",
                    "type": "local",
                    "environment": "prod",
                    "description": "The files port: each nightly run's Parquet copy of every product version, "
                    "with manifest.json (check a copy with dp verify). This path is the full copy; each role "
                    "reads roles/<role>/<domain>/<name>/ of the same run folder (personal data NULL for masked "
                    "readers; dp access --format json lists them).",
                    "path": f"{ports.files_run}/data/clear/{product.domain}/{{model}}/*.parquet",
                    "format": "parquet",
                },
            )
        )
    return servers


def _with_roles(
    product: DataProduct, ports: Ports, port: str, versions: Sequence[ProductVersion], server: dict[str, Any]
) -> dict[str, Any]:
    roles = _server_roles(product, ports, port, versions)
    return server | ({"roles": roles} if roles else {})


def build_contract(
    product: DataProduct, *, project_dir: Path, warehouse: str, ports: Ports | None = None
) -> dict[str, Any]:
    # the checks dp validate and dp check apply: an unreadable suite is an error (exit 2), never no rules
    suite = load_suite(product.suite_path(project_dir)).expectations
    unique = _uniques_from_suite(suite)
    d = product.descriptor
    owner = product.owner
    contract: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": product.id,
        "name": product.name,
        "version": f"{product.latest.version or 1}.0.0",
        "status": "active",
        "domain": product.domain,
        "tenant": "dataproducts",
        "description": {
            "purpose": " ".join(product.description.split()) or product.name,
            "usage": "Read through the interfaces: "
            + "; ".join(f"{i.get('type')} {i.get('address')}" for i in d.interfaces)
            + ".",
            "limitations": f"Classification {d.classification or 'unclassified'}"
            + ("; holds personal data." if d.personal_data else "; no personal data."),
        },
        "tags": [
            t for t in (product.domain, d.classification, "personal_data" if d.personal_data else None) if t
        ],
        "schema": [_schema_object(product, v, suite, unique) for v in reversed(product.versions)],
        "servers": _servers(product, warehouse, ports or Ports()),
        "team": {
            "name": owner.team or owner.name or product.domain,
            "members": [
                {"username": owner.email or owner.name or product.domain, "role": "owner"}
                | ({"name": owner.name} if owner.name else {})
            ],
        },
        "slaProperties": _sla(product),
        "customProperties": [
            {"property": "dataProductId", "value": product.id},
            {"property": "refreshCycle", "value": d.refresh_cycle or "unknown"},
            {"property": "personalData", "value": bool(d.personal_data)},
            {
                "property": "qualitySuite",
                "value": str(d.suite or f"expectations/{product.domain}/{product.name}.json"),
            },
            {"property": "consumers", "value": [e.name for e in product.exposures]},
            {"property": "upstreamProducts", "value": list(product.upstream_products)},
        ],
    }
    if owner.email:
        contract["support"] = [
            {"channel": "owner-email", "tool": "email", "url": f"mailto:{owner.email}", "scope": "issues"}
        ]
    return contract


# --- validation and writing ------------------------------------------------------------------------------------


def odcs_schema() -> dict[str, Any]:
    """The ODCS JSON Schema shipped by the ``open-data-contract-standard`` package."""
    path = resources.files("open_data_contract_standard") / "schema.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validation_errors(contract: Mapping[str, Any], schema: Mapping[str, Any] | None = None) -> list[str]:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema or odcs_schema())
    validator = validator_cls(schema or odcs_schema())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(contract), key=lambda e: list(e.absolute_path))
    ]


@dataclass(frozen=True)
class ExportResult:
    paths: tuple[Path, ...]
    products: tuple[str, ...]

    def render_text(self) -> str:
        lines = [str(p) for p in self.paths]
        lines.append(
            f"dp export odcs: {len(self.paths)} contracts, each valid against the ODCS {API_VERSION} schema"
        )
        return "\n".join(lines)


def _shown(config: ProjectConfig, path: Path) -> str:
    try:
        return str(path.relative_to(config.project_dir))
    except ValueError:
        return str(path)


def _warehouse_address(config: ProjectConfig) -> str:
    return _shown(config, config.warehouse)


POSTGRES_TARGET = "postgres"


def postgres_port(config: ProjectConfig) -> PostgresPort | None:
    """The ``postgres`` output of the project's profile (None when it has none): ``env_var`` calls rendered
    from the environment, an unset variable without a default kept as an ODCS variable reference ``${NAME}``;
    the password is never read."""
    import jinja2

    from dataproducts.fileio import read_yaml

    profile = config.profile
    if profile is None or profile.file is None or profile.name is None:
        return None
    profiles = read_yaml(profile.file)
    outputs = (profiles.get(profile.name) or {}).get("outputs") if isinstance(profiles, dict) else None
    output = outputs.get(POSTGRES_TARGET) if isinstance(outputs, dict) else None
    if not isinstance(output, dict):
        return None

    def env_var(name: str, default: Any = None) -> str:
        return os.environ.get(name, "${" + name + "}" if default is None else str(default))

    env = jinja2.Environment(autoescape=False)
    for name in ("as_text", "as_number", "as_bool", "as_native"):
        env.filters[name] = lambda value: value

    def render(key: str, *alternatives: str) -> str:
        for name in (key, *alternatives):
            if output.get(name) is not None:
                try:
                    return env.from_string(str(output[name])).render(env_var=env_var).strip()
                except jinja2.TemplateError as exc:
                    raise ConfigError(
                        f"{profile.file}: {profile.name}.outputs.postgres.{name}: {exc}"
                    ) from exc
        return "${DP_PG_" + key.upper() + "}"

    port = render("port")
    return PostgresPort(
        host=render("host"), port=int(port) if port.isdigit() else port, database=render("dbname", "database")
    )


def ports_of(config: ProjectConfig, products: Sequence[DataProduct]) -> Ports:
    """Every port a consumer can read the products from, besides the warehouse, with who may read them."""
    from dataproducts.files.manifest import RUNS_DIR
    from dataproducts.files.publish import latest_run
    from dataproducts.governance.access import build_matrix, load_roles

    run = latest_run(config.files_dir)
    files_run = _shown(config, config.files_dir / RUNS_DIR / (run or "<run id in latest>"))
    access = build_matrix(products, load_roles(config.project_dir))
    return Ports(postgres=postgres_port(config), files_run=files_run, access=access)


def export_contracts(
    products: Sequence[DataProduct],
    *,
    project_dir: Path,
    warehouse: str,
    output: Path,
    ports: Ports | None = None,
) -> ExportResult:
    """Build and validate every contract first; write them only when all validate."""
    schema = odcs_schema()
    rendered: list[tuple[Path, str]] = []
    for product in products:
        contract = build_contract(product, project_dir=project_dir, warehouse=warehouse, ports=ports)
        errors = validation_errors(contract, schema)
        if errors:
            raise ContractError(f"{product.id}: the ODCS contract does not validate: {errors[0]}")
        text = yaml.safe_dump(contract, sort_keys=False, allow_unicode=True, width=110)
        rendered.append((output / product.domain / f"{product.name}.odcs.yaml", text))
    paths = tuple(write_all_atomic(rendered))  # all contracts replaced together, or none
    return ExportResult(paths, tuple(p.id for p in products))


def run_export_odcs(
    config: ProjectConfig,
    *,
    manifest_path: Path | None = None,
    output: Path | None = None,
    select: Iterable[str] | None = None,
) -> ExportResult:
    from dataproducts.products import select_products

    source = manifest_from(config, manifest_path)
    if source.manifest is None:
        raise DbtError("; ".join(source.notes) or "dbt parse failed")
    products = select_products(load_products(source.manifest), select)
    return export_contracts(
        products,
        project_dir=config.project_dir,
        warehouse=_warehouse_address(config),
        output=output or config.reports_dir / "contracts",
        ports=ports_of(config, products),
    )
