"""The interoperability standard: conformed columns with their one type, meaning and known aliases.

Read from ``standards/conformed_columns.yml`` (written by the dbt engineers). The reader is tolerant about the
shape: a list of entries or a mapping by name, ``data_type`` or ``type``, ``meaning`` or ``description``,
``aliases`` as a list. An optional ``classification`` section sets the order of classification levels
(widest access first) and the level personal data needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataproducts.errors import ConfigError

DEFAULT_STANDARDS = Path("standards") / "conformed_columns.yml"
DEFAULT_LEVELS: tuple[str, ...] = ("public", "internal", "confidential", "restricted")
DEFAULT_PERSONAL_DATA_LEVEL = "confidential"  # docs/descriptor.md: personal data is at least confidential

# DuckDB spellings of one type, so ``int`` and ``INTEGER`` compare equal.
_TYPE_SYNONYMS: dict[str, str] = {
    "int": "integer",
    "int4": "integer",
    "int32": "integer",
    "signed": "integer",
    "int8": "bigint",
    "int64": "bigint",
    "long": "bigint",
    "int2": "smallint",
    "short": "smallint",
    "int1": "tinyint",
    "text": "varchar",
    "string": "varchar",
    "char": "varchar",
    "bpchar": "varchar",
    "character varying": "varchar",
    "nvarchar": "varchar",
    "float8": "double",
    "double precision": "double",
    "float4": "float",
    "real": "float",
    "numeric": "decimal",
    "bool": "boolean",
    "logical": "boolean",
    "datetime": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamp with time zone",
}


def normalize_type(value: str | None) -> str | None:
    """``DECIMAL(12, 2)`` -> ``decimal(12,2)``, ``INT`` -> ``integer``, ``VARCHAR(20)`` -> ``varchar``."""
    if value is None or not str(value).strip():
        return None
    text = " ".join(str(value).strip().lower().split())
    match = re.fullmatch(r"([a-z0-9_ ]+?)\s*(?:\((.*)\))?", text)
    if not match:
        return text
    base = _TYPE_SYNONYMS.get(match.group(1).strip(), match.group(1).strip())
    params = match.group(2)
    if params is None or base == "varchar":
        return base
    return f"{base}({','.join(p.strip() for p in params.split(','))})"


def types_match(expected: str | None, actual: str | None) -> bool:
    """True when ``actual`` is ``expected`` (a standard without precision accepts any precision)."""
    want, got = normalize_type(expected), normalize_type(actual)
    if want is None:
        return True
    if got is None:
        return False
    if "(" not in want:
        return got.split("(", 1)[0] == want
    return got == want


def name_key(name: str) -> str:
    """What two spellings of one name share: lower case without underscores or punctuation."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class ConformedColumn:
    name: str
    data_type: str | None
    meaning: str = ""
    aliases: tuple[str, ...] = ()
    personal_data: bool = False


@dataclass(frozen=True)
class Standards:
    columns: tuple[ConformedColumn, ...] = ()
    levels: tuple[str, ...] = DEFAULT_LEVELS
    personal_data_level: str = DEFAULT_PERSONAL_DATA_LEVEL
    path: Path | None = None
    keys: Mapping[str, ConformedColumn] = field(default_factory=dict, repr=False)

    def match(self, column_name: str) -> ConformedColumn | None:
        """The conformed column a name spells (exactly, by case/underscores, or through an alias)."""
        return self.keys.get(name_key(column_name))

    def level_rank(self, level: str | None) -> int | None:
        if level is None:
            return None
        lowered = str(level).lower()
        return self.levels.index(lowered) if lowered in self.levels else None


def _entry(name: str, raw: Mapping[str, Any], where: str) -> ConformedColumn:
    aliases = raw.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, Sequence):
        raise ConfigError(f"{where}: aliases of {name!r} must be a list")
    data_type = raw.get("data_type", raw.get("type"))
    return ConformedColumn(
        name=name,
        data_type=None if data_type is None else str(data_type),
        meaning=str(raw.get("meaning") or raw.get("description") or "").strip(),
        aliases=tuple(str(a) for a in aliases),
        personal_data=raw.get("personal_data") is True,
    )


def build_standards(
    columns: Sequence[ConformedColumn],
    *,
    levels: Sequence[str] = DEFAULT_LEVELS,
    personal_data_level: str = DEFAULT_PERSONAL_DATA_LEVEL,
    path: Path | None = None,
) -> Standards:
    keys: dict[str, ConformedColumn] = {}
    for column in columns:
        for spelling in (column.name, *column.aliases):
            other = keys.get(name_key(spelling))
            if other is not None and other.name != column.name:
                raise ConfigError(
                    f"{path or 'standards'}: {spelling!r} spells both {other.name!r} and {column.name!r}"
                )
            keys[name_key(spelling)] = column
    levels = tuple(str(level).lower() for level in levels)
    if personal_data_level.lower() not in levels:
        raise ConfigError(
            f"{path or 'standards'}: personal data level {personal_data_level!r} is not one of {levels}"
        )
    return Standards(
        columns=tuple(columns),
        levels=levels,
        personal_data_level=personal_data_level.lower(),
        path=path,
        keys=keys,
    )


def load_standards(path: Path) -> Standards:
    """Read the standards file; a missing or malformed file is a ``ConfigError`` (the rules cannot run)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: standards file not found (conformed columns; see docs/governance.md)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if isinstance(data, list):
        data = {"conformed_columns": data}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping with conformed_columns")
    raw_columns = data.get("conformed_columns", data.get("columns"))
    if raw_columns is None:
        raise ConfigError(f"{path}: no conformed_columns")
    entries: list[ConformedColumn] = []
    if isinstance(raw_columns, Mapping):
        for name, raw in raw_columns.items():
            entries.append(_entry(str(name), raw if isinstance(raw, Mapping) else {"type": raw}, str(path)))
    elif isinstance(raw_columns, list):
        for raw in raw_columns:
            if not isinstance(raw, Mapping) or not raw.get("name"):
                raise ConfigError(f"{path}: every conformed column needs a name")
            entries.append(_entry(str(raw["name"]), raw, str(path)))
    else:
        raise ConfigError(f"{path}: conformed_columns must be a list or a mapping")
    classification = data.get("classification")
    classification = classification if isinstance(classification, Mapping) else {}
    levels = classification.get("levels") or DEFAULT_LEVELS
    personal = classification.get("personal_data") or DEFAULT_PERSONAL_DATA_LEVEL
    if isinstance(personal, Mapping):
        personal = (
            personal.get("min_level") or personal.get("min_classification") or DEFAULT_PERSONAL_DATA_LEVEL
        )
    return build_standards(entries, levels=list(levels), personal_data_level=str(personal), path=path)
