"""Paged reads of one product version's rows: columns, filters, order, and the page in JSON, CSV or Arrow.

Everything a request names is checked against the version's columns in the warehouse before any SQL is
written: column names are only ever those of the relation (quoted), operators come from a fixed table, and
every value is parsed in Python to the column's type and bound as a parameter. Masked columns are selected
as typed NULLs and cannot be filtered or ordered on (a filter on them would reveal their values).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dataproducts.warehouse import Connection, quote_ident, relation_sql

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10_000
MAX_OFFSET = 10**12
MAX_IN_VALUES = 1000
RESERVED = ("limit", "offset", "columns", "order", "format")
OPERATORS: Mapping[str, str] = {
    "eq": "=",
    "ne": "<>",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "in": "in",
    "is": "is",
}
FORMATS: Mapping[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "arrow": "application/vnd.apache.arrow.stream",
}
# a type name from the warehouse's catalog, safe to write into a CAST (it never comes from a request)
_SAFE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9 _]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?")


class BadRequest(Exception):
    """A request the API refuses with 400 (or ``status``): the message says what to fix."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class WarehouseColumn:
    name: str
    type: str  # as the warehouse's catalog names it


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class PageRequest:
    columns: tuple[str, ...]
    conditions: tuple[Condition, ...]
    order: tuple[tuple[str, bool], ...]  # (column, descending)
    limit: int
    offset: int
    format: str


def relation_columns(con: Connection, schema: str | None, name: str | None) -> list[WarehouseColumn]:
    """The relation's columns in order, with their types (empty when the relation does not exist)."""
    rows = con.rows(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema or con.warehouse.default_schema, name or ""],
    )
    return [WarehouseColumn(str(c), str(t)) for c, t in rows]


# --- parsing a value to its column's type -----------------------------------------------------------------------


_INTEGERS = frozenset(
    [
        "tinyint",
        "smallint",
        "integer",
        "int",
        "bigint",
        "hugeint",
        "utinyint",
        "usmallint",
        "uinteger",
        "ubigint",
        "uhugeint",
        "int1",
        "int2",
        "int4",
        "int8",
        "short",
        "long",
        "signed",
    ]
)
_FLOATS = frozenset(("double", "double precision", "float", "float4", "float8", "real"))
_STRINGS = frozenset(
    ("varchar", "text", "string", "character varying", "character", "char", "bpchar", "uuid")
)


def _family(type_name: str) -> str | None:
    """The kind of value a column holds, from its catalog type's base name (``DECIMAL(12,2)``: decimal)."""
    base = type_name.lower().split("(", 1)[0].strip()
    if base in ("boolean", "bool"):
        return "boolean"
    if base in _INTEGERS:
        return "integer"
    if base in ("decimal", "numeric"):
        return "decimal"
    if base in _FLOATS:
        return "float"
    if base == "date":
        return "date"
    if base.startswith("timestamp") and "[]" not in base:
        return "timestamp"
    if base in _STRINGS:
        return "string"
    return None


def parse_value(column: WarehouseColumn, raw: str, where: str) -> Any:
    """``raw`` as a value of the column's type, or ``BadRequest`` naming the filter."""
    family = _family(column.type)
    if family is None:
        raise BadRequest(f"{where}: column {column.name} ({column.type}) cannot be filtered on")
    try:
        if family == "boolean":
            lowered = raw.lower()
            if lowered not in ("true", "false"):
                raise ValueError
            return lowered == "true"
        if family == "integer":
            if not re.fullmatch(r"[+-]?\d{1,19}", raw):
                raise ValueError
            return int(raw)
        if family == "decimal":
            value = decimal.Decimal(raw)
            if not value.is_finite():
                raise ValueError
            return value
        if family == "float":
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError
            return number
        if family == "date":
            return dt.date.fromisoformat(raw)
        if family == "timestamp":
            ts = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo else ts
    except (ValueError, ArithmeticError):
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise BadRequest(f"{where}: {shown!r} is not a valid {column.type} value") from None
    return raw


# --- the request ------------------------------------------------------------------------------------------------


def _int(params: Mapping[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = params.get(name) or []
    if not values:
        return default
    if len(values) > 1:
        raise BadRequest(f"{name}: given {len(values)} times")
    raw = values[0]
    if not re.fullmatch(r"\d{1,13}", raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: expected a whole number from {low} to {high}, got {raw[:40]!r}")
    return int(raw)


def _names(raw: str, known: Mapping[str, WarehouseColumn], what: str) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name.lstrip("-") not in known:
            raise BadRequest(f"{what}: no column {name.lstrip('-')[:64]!r} (columns: {', '.join(known)})")
    return names


def parse_request(
    params: Mapping[str, list[str]],
    columns: Sequence[WarehouseColumn],
    masked: Sequence[str],
    key: Sequence[str],
    fmt: str,
    *,
    max_page_size: int = MAX_PAGE_SIZE,
) -> PageRequest:
    """The page a request's query parameters ask for; ``BadRequest`` on anything unknown or malformed."""
    known = {c.name: c for c in columns}
    hidden = set(masked)
    limit = _int(params, "limit", min(DEFAULT_PAGE_SIZE, max_page_size), 1, max_page_size)
    offset = _int(params, "offset", 0, 0, MAX_OFFSET)
    selected = list(known)
    if params.get("columns"):
        selected = _names(",".join(params["columns"]), known, "columns")
        if not selected:
            raise BadRequest("columns: name at least one column")
        selected = list(dict.fromkeys(selected))
    conditions: list[Condition] = []
    for name, values in params.items():
        if name in RESERVED:
            continue
        column_name, _, op = name.partition(".")
        op = op or "eq"
        if column_name not in known:
            raise BadRequest(
                f"filter {name[:64]!r}: no column {column_name[:64]!r} (columns: {', '.join(known)}; "
                f"parameters: {', '.join(RESERVED)})"
            )
        if op not in OPERATORS:
            raise BadRequest(
                f"filter {name[:64]!r}: unknown operator {op[:20]!r} (operators: {', '.join(OPERATORS)})"
            )
        if column_name in hidden:
            raise BadRequest(
                f"filter {name}: column {column_name} is masked for this role: it cannot be filtered on"
            )
        column = known[column_name]
        for raw in values:
            where = f"filter {name}={raw[:40]}"
            if op == "is":
                if raw.lower() not in ("null", "notnull"):
                    raise BadRequest(f"{where}: expected null or notnull")
                conditions.append(Condition(column_name, "is", (raw.lower(),)))
            elif op == "in":
                items = raw.split(",")
                if len(items) > MAX_IN_VALUES:
                    raise BadRequest(f"{where}: at most {MAX_IN_VALUES} values")
                conditions.append(
                    Condition(column_name, "in", tuple(parse_value(column, v, where) for v in items))
                )
            else:
                conditions.append(Condition(column_name, op, (parse_value(column, raw, where),)))
    order: list[tuple[str, bool]] = []
    if params.get("order"):
        for item in _names(",".join(params["order"]), known, "order"):
            name = item.lstrip("-")
            if name in hidden:
                raise BadRequest(f"order: column {name} is masked for this role: it cannot be ordered by")
            order.append((name, item.startswith("-")))
    # a total order for paging: the primary key, else every column the role reads in clear
    ordered = {n for n, _ in order}
    tiebreak = [k for k in key if k in known and k not in hidden] or [n for n in known if n not in hidden]
    order += [(n, False) for n in tiebreak if n not in ordered]
    return PageRequest(tuple(selected), tuple(conditions), tuple(order), limit, offset, fmt)


def _select_item(column: WarehouseColumn, masked: bool) -> str:
    if not masked:
        return quote_ident(column.name)
    cast = f"cast(null as {column.type})" if _SAFE_TYPE.fullmatch(column.type) else "null"
    return f"{cast} as {quote_ident(column.name)}"


def build_query(
    schema: str | None,
    name: str | None,
    columns: Sequence[WarehouseColumn],
    masked: Sequence[str],
    page: PageRequest,
) -> tuple[str, list[Any]]:
    """The page's SQL (``?`` placeholders) and its parameters; asks for one row more than the page."""
    known = {c.name: c for c in columns}
    hidden = set(masked)
    select = ", ".join(_select_item(known[n], n in hidden) for n in page.columns)
    where: list[str] = []
    params: list[Any] = []
    for cond in page.conditions:
        col = quote_ident(cond.column)
        if cond.op == "is":
            where.append(f"{col} is {'not ' if cond.values[0] == 'notnull' else ''}null")
        elif cond.op == "in":
            where.append(f"{col} in ({', '.join('?' for _ in cond.values)})")
            params.extend(cond.values)
        else:
            where.append(f"{col} {OPERATORS[cond.op]} ?")
            params.append(cond.values[0])
    sql = f"select {select} from {relation_sql(schema, name)}"
    if where:
        sql += " where " + " and ".join(where)
    if page.order:
        sql += " order by " + ", ".join(
            f"{quote_ident(n)}{' desc' if d else ''} nulls last" for n, d in page.order
        )
    sql += " limit ? offset ?"
    params += [page.limit + 1, page.offset]
    return sql, params


# --- writing a page ---------------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def to_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                "" if v is None else ("true" if v is True else "false" if v is False else jsonable(v))
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8")


def arrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def to_arrow(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The page as an Arrow IPC stream (needs pyarrow: check ``arrow_available`` first)."""
    import pyarrow as pa

    table = (
        pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in rows])
        if rows
        else pa.table({c: pa.array([], type=pa.null()) for c in columns})
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def negotiate(params: Mapping[str, list[str]], accept: str | None) -> str:
    """``json``, ``csv`` or ``arrow``: the ``format`` parameter, else the Accept header (default JSON)."""
    if params.get("format"):
        fmt = params["format"][-1].lower()
        if fmt not in FORMATS:
            raise BadRequest(f"format: expected one of {', '.join(FORMATS)}, got {fmt[:20]!r}")
        return fmt
    if not accept:
        return "json"
    wanted = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    for media in wanted:
        if media in ("application/json", "*/*", "application/*"):
            return "json"
        if media in ("text/csv", "text/*"):
            return "csv"
        if media == "application/vnd.apache.arrow.stream":
            return "arrow"
    raise BadRequest(
        f"Accept: none of {', '.join(wanted)[:100]} is served here (application/json, text/csv, "
        "application/vnd.apache.arrow.stream)",
        status=406,
    )
