"""Product declarations kept beside the dbt project: ``products/<domain>/<model>.yml``.

A model becomes a data product in one of two ways: it is ``access: public`` (its descriptor, if any, in
``config.meta.data_product``), or a declaration file names it. ``dp init`` writes declaration files, so
adopting ``dp`` never edits a team's dbt YAML; a team may later move the descriptor into ``config.meta``
(and delete the file). A declaration file holds two keys::

    model: customers            # the dbt model (all its versions)
    data_product: {...}         # the descriptor (docs/descriptor.md), same keys as config.meta.data_product

A run record keeps the declarations it was judged with (``dp_products.json`` beside its manifest), so a
later edit never changes what an earlier run meant; a manifest loaded from a folder holding that file
carries them (``artifacts.load_manifest``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataproducts.errors import ConfigError
from dataproducts.fileio import read_yaml

PRODUCTS_DIR = "products"
SNAPSHOT_FILE = "dp_products.json"
_KEYS = ("model", "data_product")


@dataclass(frozen=True)
class Declaration:
    """One declaration file: the model it makes a product and its descriptor (raw, checked later)."""

    file: str  # relative to the project directory
    model: str
    descriptor: Mapping[str, Any]


def _read(path: Path, shown: str) -> Declaration:
    data = read_yaml(path, shown)
    if not isinstance(data, dict):
        raise ConfigError(f"{shown}: expected a mapping with model and data_product")
    unknown = sorted(str(k) for k in data if k not in _KEYS)
    if unknown:
        raise ConfigError(f"{shown}: unknown key {unknown[0]!r} (expected model and data_product)")
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ConfigError(f"{shown}: model: expected the name of a dbt model")
    descriptor = data.get("data_product") or {}
    if not isinstance(descriptor, dict):
        raise ConfigError(f"{shown}: data_product: expected a mapping")
    return Declaration(file=shown, model=model.strip(), descriptor=descriptor)


def read_declarations(project_dir: Path) -> tuple[Declaration, ...]:
    """Every ``products/**/*.yml`` of the project, sorted by file; none when the folder is absent."""
    root = project_dir / PRODUCTS_DIR
    if not root.is_dir():
        return ()
    found: dict[str, Declaration] = {}
    for path in sorted([*root.rglob("*.yml"), *root.rglob("*.yaml")]):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        declaration = _read(path, path.relative_to(project_dir).as_posix())
        if declaration.model in found:
            raise ConfigError(
                f"{declaration.file}: model {declaration.model!r} is already declared in "
                f"{found[declaration.model].file}"
            )
        found[declaration.model] = declaration
    return tuple(sorted(found.values(), key=lambda d: d.file))


def to_json(declarations: Iterable[Declaration]) -> dict[str, Any]:
    return {
        "declarations": [
            {"file": d.file, "model": d.model, "data_product": dict(d.descriptor)} for d in declarations
        ]
    }


def write_snapshot(folder: Path, declarations: Iterable[Declaration]) -> None:
    """Keep the declarations with a manifest (a run record's ``dbt/`` folder, a parse folder)."""
    text = json.dumps(to_json(declarations), indent=2, sort_keys=True) + "\n"
    (folder / SNAPSHOT_FILE).write_text(text, encoding="utf-8")


def read_snapshot(folder: Path) -> tuple[Declaration, ...]:
    """The declarations kept beside a manifest (none when the folder has no snapshot)."""
    path = folder / SNAPSHOT_FILE
    if not path.is_file():
        return ()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            Declaration(file=str(d["file"]), model=str(d["model"]), descriptor=dict(d["data_product"]))
            for d in data["declarations"]
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a product declarations snapshot ({exc.__class__.__name__})") from exc
