"""What the API serves, read from the project as the last build left it.

The products and their access policy come from the newest complete run record's manifest (what the warehouse
holds: docs/runs.md), else ``target/manifest.json``; roles from ``roles.yml``. Both are read again when a
file changes, so a nightly that lands a new record, or an edited roles.yml, is served without a restart.
The access rows are ``build_matrix(products, roles, ("api",))``: the very rows ``dp access --port api``
prints for the same manifest.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.artifacts import load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.governance.access import (
    ROLES_FILE,
    AccessRow,
    Roles,
    VersionPolicy,
    build_matrix,
    load_roles,
    policies,
)
from dataproducts.products import DataProduct, ProductVersion, load_products
from dataproducts.runs import Record, latest_record

API_PORT = "api"


@dataclass(frozen=True)
class Snapshot:
    """The products, roles and api access rows of one manifest."""

    manifest: Path
    record: Record | None
    products: tuple[DataProduct, ...]
    roles: Roles
    rows: tuple[AccessRow, ...]
    policies: tuple[VersionPolicy, ...]
    _contracts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def product(self, product_id: str) -> DataProduct | None:
        return next((p for p in self.products if p.id == product_id), None)

    def access(self, product_id: str, version: int | None, role: str) -> AccessRow | None:
        return next(
            (r for r in self.rows if (r.product, r.version, r.role) == (product_id, version, role)), None
        )

    def policy(self, product: DataProduct, version: ProductVersion) -> VersionPolicy:
        return next(p for p in self.policies if p.product.id == product.id and p.version is version)


def version_number(version: ProductVersion) -> int | None:
    try:
        return int(version.version) if version.version is not None else None
    except ValueError:
        return None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class ProjectView:
    """The current :class:`Snapshot` of a project, rebuilt when its manifest or roles.yml changes."""

    def __init__(self, cfg: ProjectConfig) -> None:
        self.cfg = cfg
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._snapshot: Snapshot | None = None

    def _manifest(self) -> tuple[Path | None, Record | None]:
        record = latest_record(self.cfg.runs_dir)
        if record is not None and record.manifest_path.is_file():
            return record.manifest_path, record
        target = self.cfg.manifest_path
        return (target if target.is_file() else None), None

    def snapshot(self) -> Snapshot | None:
        """The snapshot, or None when the project has no built manifest yet."""
        manifest, record = self._manifest()
        if manifest is None:
            return None
        roles_file = self.cfg.project_dir / ROLES_FILE
        key = (manifest, _stamp(manifest), _stamp(roles_file))
        with self._lock:
            if self._snapshot is None or key != self._key:
                products = tuple(load_products(load_manifest(manifest)))
                roles = load_roles(self.cfg.project_dir)
                rows = tuple(build_matrix(products, roles, (API_PORT,)))
                self._snapshot = Snapshot(
                    manifest, record, products, roles, rows, tuple(policies(products, roles))
                )
                self._key = key
            return self._snapshot


def rows_for_role(snapshot: Snapshot, role: str) -> Sequence[AccessRow]:
    return [r for r in snapshot.rows if r.role == role]
