"""Typed readers for the dbt artifacts the runner uses.

Only the fields we use are modelled; unknown fields are allowed, so a newer dbt that adds fields still reads.
Each reader checks ``metadata.dbt_schema_version`` against the versions this code was written for and fails
with one clear line (``ArtifactError``) on anything else: a missing file, invalid JSON, an unsupported
schema version, or a shape we cannot read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from dataproducts.declarations import Declaration, read_snapshot
from dataproducts.errors import ArtifactError

SUPPORTED_SCHEMAS: dict[str, frozenset[int]] = {
    "manifest": frozenset({12}),
    "run-results": frozenset({5, 6}),
    "sources": frozenset({3}),
    "catalog": frozenset({1}),
}

_SCHEMA_RE = re.compile(r"/dbt/(?P<kind>[a-z-]+)/v(?P<version>\d+)\.json$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Metadata(_Model):
    dbt_schema_version: str
    dbt_version: str | None = None
    generated_at: str | None = None
    invocation_id: str | None = None
    project_name: str | None = None
    adapter_type: str | None = None


# --- manifest ---------------------------------------------------------------------------------------------


class Owner(_Model):
    name: str | None = None
    email: str | list[str] | None = None


class Constraint(_Model):
    type: str
    name: str | None = None
    expression: str | None = None
    columns: list[str] = Field(default_factory=list)


class ColumnConfig(_Model):
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class ColumnInfo(_Model):
    name: str
    description: str = ""
    data_type: str | None = None
    constraints: list[Constraint] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    config: ColumnConfig = Field(default_factory=ColumnConfig)

    @property
    def merged_meta(self) -> dict[str, Any]:
        return {**self.meta, **self.config.meta}


class Contract(_Model):
    enforced: bool = False


class NodeConfig(_Model):
    enabled: bool = True
    materialized: str | None = None
    group: str | None = None
    access: str | None = None
    contract: Contract = Field(default_factory=Contract)
    meta: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] | str = Field(default_factory=list)
    severity: str | None = None
    incremental_strategy: str | None = None
    event_time: str | None = None
    lookback: int | None = None


class DependsOn(_Model):
    nodes: list[str] = Field(default_factory=list)
    macros: list[str] = Field(default_factory=list)


class TestMetadata(_Model):
    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    namespace: str | None = None


class Node(_Model):
    unique_id: str
    resource_type: str
    name: str
    package_name: str = ""
    path: str = ""
    original_file_path: str = ""
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    alias: str | None = None
    relation_name: str | None = None
    description: str = ""
    columns: dict[str, ColumnInfo] = Field(default_factory=dict)
    config: NodeConfig = Field(default_factory=NodeConfig)
    access: str | None = None
    group: str | None = None
    version: str | int | float | None = None
    latest_version: str | int | float | None = None
    deprecation_date: str | None = None
    constraints: list[Constraint] = Field(default_factory=list)
    depends_on: DependsOn = Field(default_factory=DependsOn)
    meta: dict[str, Any] = Field(default_factory=dict)
    raw_code: str = ""
    test_metadata: TestMetadata | None = None
    attached_node: str | None = None
    column_name: str | None = None
    primary_key: list[str] = Field(default_factory=list)

    @property
    def merged_meta(self) -> dict[str, Any]:
        return {**self.meta, **self.config.meta}


class FreshnessThreshold(_Model):
    count: int | None = None
    period: str | None = None


class FreshnessRule(_Model):
    warn_after: FreshnessThreshold | None = None
    error_after: FreshnessThreshold | None = None
    filter: str | None = None


class SourceConfig(_Model):
    enabled: bool = True
    freshness: FreshnessRule | None = None
    loaded_at_field: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class SourceDefinition(_Model):
    unique_id: str
    source_name: str
    name: str
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    identifier: str | None = None
    relation_name: str | None = None
    loaded_at_field: str | None = None
    loaded_at_query: str | None = None
    freshness: FreshnessRule | None = None
    config: SourceConfig = Field(default_factory=SourceConfig)
    description: str = ""

    @property
    def effective_freshness(self) -> FreshnessRule | None:
        return self.config.freshness or self.freshness

    @property
    def effective_loaded_at_field(self) -> str | None:
        return self.config.loaded_at_field or self.loaded_at_field


class Exposure(_Model):
    unique_id: str
    name: str
    type: str = ""
    owner: Owner = Field(default_factory=Owner)
    url: str | None = None
    maturity: str | None = None
    description: str = ""
    label: str | None = None
    depends_on: DependsOn = Field(default_factory=DependsOn)
    meta: dict[str, Any] = Field(default_factory=dict)


class Group(_Model):
    unique_id: str
    name: str
    owner: Owner = Field(default_factory=Owner)


class Manifest(_Model):
    metadata: Metadata
    nodes: dict[str, Node] = Field(default_factory=dict)
    sources: dict[str, SourceDefinition] = Field(default_factory=dict)
    exposures: dict[str, Exposure] = Field(default_factory=dict)
    groups: dict[str, Group] = Field(default_factory=dict)
    parent_map: dict[str, list[str]] = Field(default_factory=dict)
    child_map: dict[str, list[str]] = Field(default_factory=dict)
    # product declaration files (declarations.py) that belong with this manifest; not a dbt field
    _declarations: tuple[Declaration, ...] = PrivateAttr(default=())

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return self._declarations

    def declare(self, declarations: tuple[Declaration, ...]) -> Manifest:
        """This manifest with the project's product declarations (the live files or a run's snapshot)."""
        self._declarations = tuple(declarations)
        return self

    def models(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.resource_type == "model"]

    def tests(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.resource_type in ("test", "unit_test")]


# --- run results and sources ---------------------------------------------------------------------------------


class RunResult(_Model):
    unique_id: str
    status: str
    message: str | None = None
    failures: int | None = None
    execution_time: float = 0.0
    adapter_response: dict[str, Any] = Field(default_factory=dict)


class RunResults(_Model):
    metadata: Metadata
    results: list[RunResult] = Field(default_factory=list)
    elapsed_time: float = 0.0
    args: dict[str, Any] = Field(default_factory=dict)

    def by_id(self) -> dict[str, RunResult]:
        return {r.unique_id: r for r in self.results}


class SourceFreshnessResult(_Model):
    unique_id: str
    status: str
    max_loaded_at: str | None = None
    snapshotted_at: str | None = None
    max_loaded_at_time_ago_in_s: float | None = None
    error: str | None = None
    criteria: dict[str, Any] = Field(default_factory=dict)


class SourcesResults(_Model):
    metadata: Metadata
    results: list[SourceFreshnessResult] = Field(default_factory=list)
    elapsed_time: float = 0.0

    def by_id(self) -> dict[str, SourceFreshnessResult]:
        return {r.unique_id: r for r in self.results}


class CatalogColumn(_Model):
    name: str
    type: str
    index: int = 0


class CatalogTable(_Model):
    unique_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    columns: dict[str, CatalogColumn] = Field(default_factory=dict)
    stats: dict[str, Any] = Field(default_factory=dict)


class Catalog(_Model):
    metadata: Metadata
    nodes: dict[str, CatalogTable] = Field(default_factory=dict)
    sources: dict[str, CatalogTable] = Field(default_factory=dict)


# --- loading --------------------------------------------------------------------------------------------------

_KINDS: dict[str, type[_Model]] = {
    "manifest": Manifest,
    "run-results": RunResults,
    "sources": SourcesResults,
    "catalog": Catalog,
}

T = TypeVar("T", bound=_Model)


def schema_version(data: Any) -> tuple[str, int] | None:
    """``("manifest", 12)`` for a manifest v12's ``metadata.dbt_schema_version``, else None."""
    try:
        url = data["metadata"]["dbt_schema_version"]
    except (KeyError, TypeError):
        return None
    match = _SCHEMA_RE.search(str(url))
    if not match:
        return None
    return match.group("kind"), int(match.group("version"))


def _load(path: Path, kind: str, model: type[T]) -> T:
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: {kind} artifact not found (has dbt run in this project?)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read {kind} artifact ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}); truncated {kind} artifact?"
        ) from exc
    found = schema_version(data)
    if found is None:
        raise ArtifactError(f"{path}: no metadata.dbt_schema_version; not a dbt {kind} artifact")
    found_kind, version = found
    if found_kind != kind:
        raise ArtifactError(f"{path}: expected a dbt {kind} artifact, found {found_kind} v{version}")
    supported = SUPPORTED_SCHEMAS[kind]
    if version not in supported:
        wanted = ", ".join(f"v{v}" for v in sorted(supported))
        raise ArtifactError(f"{path}: unsupported {kind} schema v{version} (this dp reads {wanted})")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ArtifactError(f"{path}: unexpected {kind} shape at {where}: {first.get('msg')}") from exc


def load_manifest(path: Path) -> Manifest:
    """The manifest, with the product declarations kept beside it (a run record's snapshot), if any."""
    manifest = _load(path, "manifest", Manifest)
    return manifest.declare(read_snapshot(path.parent))


def load_run_results(path: Path) -> RunResults:
    return _load(path, "run-results", RunResults)


def load_sources(path: Path) -> SourcesResults:
    return _load(path, "sources", SourcesResults)


def load_catalog(path: Path) -> Catalog:
    return _load(path, "catalog", Catalog)
