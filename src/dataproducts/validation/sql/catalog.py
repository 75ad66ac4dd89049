"""What the compiled engine knows about the warehouse before it reads any data: every user relation's
columns and types, its enforced unique keys and its estimated size, read once per run.

DuckDB (:func:`load_catalog`)
-----------------------------

One query (a ``union all`` of ``duckdb_columns()``, ``duckdb_tables()`` and ``duckdb_constraints()``) covers
every table and view of the current database outside the system schemas. Measured on the scale-100
warehouse (32 relations, 304 columns): 2.2 ms, about what one ``information_schema`` lookup cost per
product before (two per product, 1.5-1.7 ms each).

* Columns come in ordinal order with DuckDB's type strings, the very strings ``information_schema.columns``
  shows (that view reads ``duckdb_columns()``), so :func:`.compiler.type_family` parses them unchanged.
* ``unique_keys``: the column sets of enforced ``PRIMARY KEY`` and ``UNIQUE`` constraints. DuckDB enforces
  both at every insert and update (there is no ``NOT ENFORCED``); views carry none.
* ``estimated_rows``: ``duckdb_tables().estimated_size``, None for views. Only a strategy choice depends on
  it (:data:`.compiler.SMALL_TABLE_ROWS`), never a result: every strategy is exact.

The catalog is a snapshot: the engine holds a read-only connection, and DuckDB lets no other process write
the file meanwhile.

Spark (:func:`load_spark_catalog`)
----------------------------------

Spark SQL has no ``information_schema``: ``show databases``, then ``show tables in`` each database (every
database, not only ``default``: ``main``, ``raw_shop``, ``dp_meta`` ...; temporary views are left out), once
per run; a relation's columns come from ``describe table`` when the engine first asks for it (a run
validates a few products of a warehouse that holds many relations), with Spark's type names
(``int``, ``decimal(12,2)``, ``timestamp_ntz`` ..., :meth:`.dialect.SparkDialect.type_family`). Names are
looked up case-insensitively, as Spark resolves them. No unique keys (Spark enforces no constraint on
Parquet tables) and no size estimate (None): the uniqueness and small-table strategies that depend on them
are never chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dataproducts.validation.sql.compiler import QueryFn, Table
from dataproducts.validation.sql.dialect import DUCKDB, POSTGRES, SPARK, Dialect

SYSTEM_SCHEMAS = ("information_schema", "pg_catalog")

_SYSTEM = ", ".join(f"'{s}'" for s in SYSTEM_SCHEMAS)
_SCOPE = f"database_name = current_database() and schema_name not in ({_SYSTEM})"

CATALOG_SQL = f"""
select 'column' as kind, schema_name, table_name, column_index as position, column_name, data_type,
  null::bigint as estimated_size, null::varchar[] as key_columns
from duckdb_columns() where {_SCOPE} and not internal
union all
select 'table', schema_name, table_name, null, null, null, estimated_size, null
from duckdb_tables() where {_SCOPE} and not internal
union all
select 'key', schema_name, table_name, null, null, null, null, constraint_column_names
from duckdb_constraints() where {_SCOPE} and constraint_type in ('PRIMARY KEY', 'UNIQUE')
""".strip()


@dataclass(frozen=True)
class Catalog:
    """Every user table and view of the warehouse, by ``(schema, name)`` exactly as DuckDB spells them."""

    tables: Mapping[tuple[str, str], Table] = field(default_factory=dict)
    dialect: Dialect = DUCKDB

    def exists(self, schema: str | None, name: str | None) -> bool:
        """Is there a table or view ``schema.name`` (the dialect's default schema, ``main``, when None)?"""
        return (schema or self.dialect.default_schema, name or "") in self.tables

    def table(self, schema: str | None, name: str) -> Table:
        """The relation's :class:`Table`; for a relation that does not exist, a table without columns (the
        engine then hands its expectations to GX, which reports the missing relation its own way)."""
        found = self.tables.get((schema or self.dialect.default_schema, name))
        return found if found is not None else self.missing(schema, name)

    def missing(self, schema: str | None, name: str) -> Table:
        return Table(relation=self.dialect.relation(schema, name), columns={}, dialect=self.dialect)


@dataclass(frozen=True)
class SparkCatalog(Catalog):
    """Spark's relations by lower-cased ``(database, name)``; each one's columns read when first asked for."""

    relations: Mapping[tuple[str, str], tuple[str, str]] = field(
        default_factory=dict
    )  # key -> as Spark spells
    query: QueryFn | None = None
    _described: dict[tuple[str, str], Table] = field(default_factory=dict, repr=False, compare=False)

    def _key(self, schema: str | None, name: str | None) -> tuple[str, str]:
        return ((schema or self.dialect.default_schema).lower(), (name or "").lower())

    def exists(self, schema: str | None, name: str | None) -> bool:
        return self._key(schema, name) in self.relations

    def table(self, schema: str | None, name: str) -> Table:
        key = self._key(schema, name)
        found = self.relations.get(key)
        if found is None or self.query is None:
            return self.missing(schema, name)
        if key not in self._described:
            self._described[key] = self._describe(*found)
        return self._described[key]

    def _describe(self, schema: str, name: str) -> Table:
        """``describe table``'s columns: the rows before the first blank or ``#`` row (partition and detail
        sections follow there)."""
        assert self.query is not None
        relation = self.dialect.relation(schema, name)
        columns: dict[str, str] = {}
        for row in self.query(f"describe table {relation}", []):
            column, data_type = str(row[0] or ""), str(row[1] or "")
            if not column or column.startswith("#"):
                break
            columns[column] = data_type
        return Table(relation=relation, columns=columns, dialect=self.dialect)


# PostgreSQL's catalog in the same shape: columns with ``format_type``'s full types, the enforced PRIMARY KEY
# and UNIQUE constraints' columns, and ``reltuples`` (-1 before the first ANALYZE: unknown).
_PG_SCOPE = (
    "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' "
    "and n.nspname not like 'pg_temp%'"
)
POSTGRES_CATALOG_SQL = f"""
select 'column' as kind, n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
  null::bigint, null::text[]
from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'v', 'm', 'p', 'f') and {_PG_SCOPE}
union all
select 'table', n.nspname, c.relname, null, null, null, case when c.reltuples >= 0 then c.reltuples::bigint end,
  null
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and {_PG_SCOPE}
union all
select 'key', n.nspname, c.relname, null, null, null, null,
  array(select a.attname::text from unnest(k.conkey) as u(num)
        join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.num)
from pg_catalog.pg_constraint k join pg_catalog.pg_class c on c.oid = k.conrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where k.contype in ('p', 'u') and {_PG_SCOPE}
""".strip()


def load_catalog(query: QueryFn, dialect: Dialect = DUCKDB) -> Catalog:
    """Read the catalog with one query (``query(sql, params) -> rows``, e.g. ``SqlEngine.query``): DuckDB's
    (:data:`CATALOG_SQL`) or PostgreSQL's (:data:`POSTGRES_CATALOG_SQL`, the same shape)."""
    if dialect not in (DUCKDB, POSTGRES):
        raise ValueError(f"no one-query catalog for {dialect.name}")
    sql = POSTGRES_CATALOG_SQL if dialect is POSTGRES else CATALOG_SQL
    columns: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    sizes: dict[tuple[str, str], int | None] = {}
    keys: dict[tuple[str, str], set[frozenset[str]]] = {}
    for kind, schema, name, position, column, data_type, size, key_columns in query(sql, []):
        rel = (str(schema), str(name))
        if kind == "column":
            columns.setdefault(rel, []).append((int(position), str(column), str(data_type)))
        elif kind == "table":
            sizes[rel] = None if size is None else int(size)
        elif key_columns:
            keys.setdefault(rel, set()).add(frozenset(str(c) for c in key_columns))
    tables: dict[tuple[str, str], Table] = {}
    for rel, cols in columns.items():
        cols.sort()
        tables[rel] = Table(
            relation=dialect.relation(*rel),
            columns={c: t for _, c, t in cols},
            unique_keys=tuple(sorted(keys.get(rel, ()), key=lambda k: (len(k), sorted(k)))),
            estimated_rows=sizes.get(rel),
            dialect=dialect,
        )
    return Catalog(tables, dialect)


def load_spark_catalog(query: QueryFn, dialect: Dialect = SPARK) -> SparkCatalog:
    """Spark's relations: ``show databases``, then ``show tables in`` each (``query(sql, params) -> rows``)."""
    relations: dict[tuple[str, str], tuple[str, str]] = {}
    for database, *_ in query("show databases", []):
        for row in query(f"show tables in {dialect.quote(str(database))}", []):
            namespace, name, temporary = str(row[0] or ""), str(row[1]), bool(row[2])
            if temporary or not namespace:
                continue  # a temporary view: in no database, listed under every one
            relations[(namespace.lower(), name.lower())] = (namespace, name)
    return SparkCatalog(dialect=dialect, relations=relations, query=query)
