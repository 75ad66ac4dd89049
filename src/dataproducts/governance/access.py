"""The access policy: consumer roles (``roles.yml``) and who may read which product, masked or in clear.

Each product version's descriptor carries an ``access`` policy (docs/descriptor.md): its readers (roles of
``roles.yml``), the readers who see personal data in clear (``unmasked``), its personal-data columns and how
to request access. The owning domain's role is always an unmasked reader of its own products. From the
policies and the roles, :func:`access_matrix` builds one row per product version relation, role and port:
what that role reads there, whether it may, and which columns it reads masked (as NULL). ``dp access``
prints it; the PostgreSQL grants (macros/access/) and the files port (one folder per role) apply it, and the
access tests prove each role can do exactly what the matrix says.

A version without a policy is readable by its owning domain only (fail closed); a column marked
``meta.personal_data: true`` is masked even when the policy forgets it (``dp check`` reports the gap).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataproducts.config import ProjectConfig
from dataproducts.descriptor import AccessModel, RoleName, Text
from dataproducts.errors import ConfigError, DbtError
from dataproducts.fileio import read_yaml
from dataproducts.governance.parsing import manifest_from
from dataproducts.products import DataProduct, ProductVersion, load_products, select_products

ROLES_FILE = Path("roles.yml")
PORTS: tuple[str, ...] = ("postgres", "files", "api")
MASKED_SUFFIX = "_masked"
RoleKind = Literal["domain", "application", "broad"]
DOMAIN_ROLE_PREFIX = "domain_"


# --- roles.yml -----------------------------------------------------------------------------------------------


class RoleModel(BaseModel):
    """One consumer role: a PostgreSQL role (NOLOGIN; people and services log in as members of it)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: RoleName
    kind: RoleKind = Field(
        description="`domain`: a domain's team (named domain_<domain>); `application`: one named "
        "application (an exposure); `broad`: a large population such as every analyst."
    )
    domain: Text | None = Field(default=None, description="The domain a `domain` role stands for.")
    description: Text

    @model_validator(mode="after")
    def _domain(self) -> RoleModel:
        if self.kind == "domain":
            if self.domain is None:
                raise ValueError("a domain role needs `domain`")
            if self.name != f"{DOMAIN_ROLE_PREFIX}{self.domain}":
                raise ValueError(f"a domain role is named {DOMAIN_ROLE_PREFIX}{self.domain}, not {self.name}")
        elif self.domain is not None:
            raise ValueError(f"only a domain role has `domain` (this one is {self.kind})")
        return self


@dataclass(frozen=True)
class Roles:
    """The project's consumer roles, in file order; ``file`` is None when the project has no roles.yml."""

    roles: tuple[RoleModel, ...] = ()
    file: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.roles)

    def get(self, name: str) -> RoleModel | None:
        return next((r for r in self.roles if r.name == name), None)

    def domain_role(self, domain: str) -> str | None:
        """The role of ``domain``'s own team, when roles.yml declares one."""
        return next((r.name for r in self.roles if r.kind == "domain" and r.domain == domain), None)


def parse_roles(data: Any, shown: str = "roles.yml") -> Roles:
    """The roles in a parsed ``roles.yml``; a ``ConfigError`` naming the file and the entry when wrong."""
    if data is None:
        return Roles(file=shown)
    if not isinstance(data, Mapping) or set(data) - {"roles"}:
        raise ConfigError(f"{shown}: expected a mapping with one key `roles` (a list of roles)")
    entries = data.get("roles") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{shown}: roles: expected a list")
    roles: list[RoleModel] = []
    for index, entry in enumerate(entries):
        where = f"{shown}: roles[{index}]"
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            where += f" ({entry['name']})"
        try:
            role = RoleModel.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            key = ".".join(str(p) for p in error["loc"])
            detail = str(error["msg"]).removeprefix("Value error, ")
            raise ConfigError(f"{where}{'.' + key if key else ''}: {detail}") from None
        if role.name in {r.name for r in roles}:
            raise ConfigError(f"{where}: role {role.name!r} is declared twice")
        roles.append(role)
    return Roles(tuple(roles), shown)


def load_roles(project_dir: Path) -> Roles:
    """``<project>/roles.yml``; an empty ``Roles`` (``file`` None) when the project has none."""
    path = project_dir / ROLES_FILE
    if not path.is_file():
        return Roles()
    return parse_roles(read_yaml(path, str(ROLES_FILE)), str(ROLES_FILE))


# --- the matrix ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRow:
    """What one role reads of one product version on one port (the ``dp access --format json`` object)."""

    product: str  # the product id, ``<domain>.<name>``
    version: int | None
    role: str
    port: str  # postgres | files | api
    # what the role reads: the masked view for a masked reader, the base relation otherwise; on the files port
    # its folder of the run, on the api port the rows path under the API's root (``/api/``)
    relation: str
    allowed: bool
    masked_columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["masked_columns"] = list(self.masked_columns)
        return data


@dataclass(frozen=True)
class VersionPolicy:
    """One product version's resolved policy: the readers (owning domain included) and the masked columns."""

    product: DataProduct
    version: ProductVersion
    readers: tuple[str, ...]
    unmasked: tuple[str, ...]
    personal_columns: tuple[str, ...]  # as the version's columns spell them, in column order
    request: str | None

    @property
    def masked_relation(self) -> str | None:
        return f"{self.version.relation}{MASKED_SUFFIX}" if self.personal_columns else None

    def reads_masked(self, role: str) -> bool:
        return role in self.readers and role not in self.unmasked and bool(self.personal_columns)


def _version_number(version: ProductVersion) -> int | None:
    if version.version is None:
        return None
    try:
        return int(version.version)
    except ValueError:
        return None


def api_rows_path(product_id: str, version: int | None) -> str:
    """Where the data API serves a version's rows, relative to its root (``/api/``; docs/api.md)."""
    if version is None:
        return f"products/{product_id}/rows"
    return f"products/{product_id}/versions/{version}/rows"


def personal_columns(version: ProductVersion) -> tuple[str, ...]:
    """The version's personal columns: those its policy lists and those its YAML marks, in column order."""
    listed = {c.lower() for c in (version.policy.personal_columns if version.policy else ())}
    return tuple(c.name for c in version.columns if c.personal_data or c.name.lower() in listed)


def version_policy(product: DataProduct, version: ProductVersion, roles: Roles) -> VersionPolicy:
    policy = version.policy or AccessModel()
    own = roles.domain_role(product.domain)
    declared = set(roles.names)
    readers = [r for r in policy.readers if r in declared]  # an undeclared role reads nothing (dp check)
    unmasked = [r for r in policy.unmasked if r in readers]
    if own is not None:
        readers = [own, *(r for r in readers if r != own)]
        unmasked = [own, *(r for r in unmasked if r != own)]
    return VersionPolicy(
        product,
        version,
        tuple(dict.fromkeys(readers)),
        tuple(dict.fromkeys(unmasked)),
        personal_columns(version),
        policy.request,
    )


def policies(products: Iterable[DataProduct], roles: Roles) -> list[VersionPolicy]:
    """Every product version's resolved policy, by product id and version order."""
    return [version_policy(p, v, roles) for p in products for v in p.versions]


def _relation(policy: VersionPolicy, role: str, port: str) -> tuple[str, bool, tuple[str, ...]]:
    allowed = role in policy.readers
    masked = policy.personal_columns if allowed and policy.reads_masked(role) else ()
    version = policy.version
    if port == "files":
        return f"roles/{role}/{policy.product.domain}/{version.alias}", allowed, masked
    if port == "api":
        return api_rows_path(policy.product.id, _version_number(version)), allowed, masked
    relation = policy.masked_relation if masked and policy.masked_relation else version.relation
    return relation, allowed, masked


def build_matrix(
    products: Sequence[DataProduct], roles: Roles, ports: Sequence[str] = PORTS
) -> list[AccessRow]:
    """One row per product version relation, role (roles.yml order) and port."""
    rows: list[AccessRow] = []
    for policy in policies(products, roles):
        for role in roles.names:
            for port in ports:
                relation, allowed, masked = _relation(policy, role, port)
                rows.append(
                    AccessRow(
                        product=policy.product.id,
                        version=_version_number(policy.version),
                        role=role,
                        port=port,
                        relation=relation,
                        allowed=allowed,
                        masked_columns=masked,
                    )
                )
    return rows


def access_matrix(
    config: ProjectConfig,
    *,
    manifest_path: Path | None = None,
    select: Iterable[str] | None = None,
    ports: Sequence[str] = PORTS,
) -> list[AccessRow]:
    """The project's access matrix: its products (``dbt parse``, or ``manifest_path``) x roles.yml x ports."""
    roles = load_roles(config.project_dir)
    source = manifest_from(config, manifest_path)
    if source.manifest is None:
        raise DbtError("; ".join(source.notes) or "dbt parse failed")
    products = select_products(load_products(source.manifest), select)
    return build_matrix(products, roles, ports)


# --- rendering ---------------------------------------------------------------------------------------------------


def render_json(rows: Sequence[AccessRow]) -> str:
    return json.dumps([r.to_dict() for r in rows], indent=2) + "\n"


def render_table(rows: Sequence[AccessRow]) -> str:
    """The matrix as a fixed-width text table (one line per row)."""
    header = ("product", "version", "role", "port", "allowed", "relation", "masked_columns")
    body = [
        (
            r.product,
            "" if r.version is None else f"v{r.version}",
            r.role,
            r.port,
            "yes" if r.allowed else "no",
            r.relation,
            ", ".join(r.masked_columns),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in (header, *body)
    ]
    allowed = sum(r.allowed for r in rows)
    masked = sum(bool(r.masked_columns) for r in rows)
    lines.append(f"{len(rows)} rows: {allowed} allowed ({masked} masked), {len(rows) - allowed} refused")
    return "\n".join(lines) + "\n"
