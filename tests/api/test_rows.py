"""The rows reader's request parsing and SQL, on a real in-memory DuckDB table (no server): request text only
ever reaches SQL as a known, quoted column name or a bound parameter."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dataproducts.api.rows import (
    BadRequest,
    PageRequest,
    WarehouseColumn,
    build_query,
    negotiate,
    parse_request,
    parse_value,
    relation_columns,
)
from dataproducts.warehouse import DuckDBWarehouse

WEIRD = 'odd "name"; drop table t --'


@pytest.fixture()
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "w.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("create schema s")
    raw.execute(
        f"create table s.t (id integer primary key, amount decimal(12, 2), day date, seen_at timestamp, ok boolean, "
        f'email varchar, "{WEIRD.replace(chr(34), chr(34) * 2)}" varchar)'
    )
    raw.execute(
        "insert into s.t values "
        "(1, 10.50, '2026-11-01', '2026-11-01 08:00:00', true, 'a@x.org', 'w1'), "
        "(2, 99.99, '2026-11-02', '2026-11-02 09:30:00', false, 'b@x.org', 'w2'), "
        "(3, null, '2026-11-03', null, null, null, 'w3')"
    )
    raw.close()
    with DuckDBWarehouse(path).connect() as connection:
        yield connection.raw


def _columns(con: duckdb.DuckDBPyConnection) -> list[WarehouseColumn]:
    from dataproducts.warehouse import Connection

    return relation_columns(Connection(DuckDBWarehouse(Path("unused")), con), "s", "t")


def _run(con: duckdb.DuckDBPyConnection, page: PageRequest, masked: tuple[str, ...] = ()) -> list[tuple]:
    sql, params = build_query("s", "t", _columns(con), masked, page)
    return con.execute(sql, params).fetchall()


def _page(
    con: duckdb.DuckDBPyConnection, query: dict[str, list[str]], masked: tuple[str, ...] = ()
) -> PageRequest:
    return parse_request(query, _columns(con), masked, ["id"], "json")


def test_columns_come_from_the_catalog_with_their_types(con: duckdb.DuckDBPyConnection) -> None:
    assert [(c.name, c.type) for c in _columns(con)] == [
        ("id", "INTEGER"),
        ("amount", "DECIMAL(12,2)"),
        ("day", "DATE"),
        ("seen_at", "TIMESTAMP"),
        ("ok", "BOOLEAN"),
        ("email", "VARCHAR"),
        (WEIRD, "VARCHAR"),
    ]


def test_filters_run_as_bound_parameters_and_quoted_names(con: duckdb.DuckDBPyConnection) -> None:
    def ids(query: dict[str, list[str]]) -> list[int]:
        return [r[0] for r in _run(con, _page(con, query))]

    assert ids({}) == [1, 2, 3]
    assert ids({"amount.gt": ["10.5"]}) == [2]
    assert ids({"day.gte": ["2026-11-02"], "day.lt": ["2026-11-03"]}) == [2]
    assert ids({"seen_at.lte": ["2026-11-01T08:00:00Z"]}) == [1]
    assert ids({"ok": ["false"]}) == [2]
    assert ids({"email.is": ["null"]}) == [3]
    assert ids({"id.in": ["3,1"]}) == [1, 3]
    assert ids({"email": ["a@x.org' or '1'='1"]}) == []  # a value is data, never SQL
    assert ids({WEIRD: ["w2"]}) == [2]  # a real column with quotes and a semicolon in its name
    assert ids({"order": ["-id"]}) == [3, 2, 1]
    page = _page(con, {"columns": [f"id,{WEIRD}"], "limit": ["1"], "offset": ["1"]})
    assert _run(con, page) == [(2, "w2"), (3, "w3")]  # one row more than the page: is there a next page?
    sql, params = build_query("s", "t", _columns(con), (), _page(con, {"email": ["x'--"]}))
    assert "x'--" not in sql and "x'--" in params


def test_masked_columns_are_typed_nulls_and_cannot_be_filtered_or_ordered(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = _run(con, _page(con, {"columns": ["id,email"]}, ("email",)), ("email",))
    assert rows == [(1, None), (2, None), (3, None)]
    sql, _ = build_query("s", "t", _columns(con), ("email",), _page(con, {}, ("email",)))
    assert 'cast(null as VARCHAR) as "email"' in sql
    for query in ({"email": ["a@x.org"]}, {"email.is": ["notnull"]}, {"order": ["email"]}):
        with pytest.raises(BadRequest, match="masked for this role"):
            _page(con, query, ("email",))
    # the masked key is no tiebreak either: ordering by it would reveal its order
    assert all("email" not in name for name, _ in _page(con, {}, ("id", "email")).order)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"nope": ["1"]}, "no column 'nope'"),
        ({'id" or 1=1 --': ["1"]}, "no column"),
        ({"id.between": ["1"]}, "unknown operator 'between'"),
        ({"id": ["1.5"]}, "not a valid INTEGER"),
        ({"id": ["99999999999999999999"]}, "not a valid INTEGER"),
        ({"amount": ["Infinity"]}, "not a valid DECIMAL"),
        ({"day": ["2026-02-30"]}, "not a valid DATE"),
        ({"seen_at": ["yesterday"]}, "not a valid TIMESTAMP"),
        ({"ok": ["yes"]}, "not a valid BOOLEAN"),
        ({"email.is": ["nothing"]}, "expected null or notnull"),
        ({"id.in": [",".join(["1"] * 1001)]}, "at most 1000 values"),
        ({"limit": ["0"]}, "limit: expected a whole number from 1 to 10000"),
        ({"limit": ["1", "2"]}, "limit: given 2 times"),
        ({"offset": ["-5"]}, "offset"),
        ({"columns": ["id,nope"]}, "no column 'nope'"),
        ({"columns": [","]}, "name at least one column"),
        ({"order": ["-nope"]}, "no column 'nope'"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    con: duckdb.DuckDBPyConnection, query: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(BadRequest, match=message.replace("(", r"\(")):
        _page(con, query)


def test_values_are_parsed_to_the_column_type() -> None:
    assert parse_value(WarehouseColumn("a", "DECIMAL(12,2)"), "1.25", "f") == decimal.Decimal("1.25")
    assert parse_value(
        WarehouseColumn("a", "timestamp without time zone"), "2026-11-01T10:00:00+02:00", "f"
    ) == (dt.datetime(2026, 11, 1, 8, 0))
    assert parse_value(WarehouseColumn("a", "character varying"), "x", "f") == "x"
    assert parse_value(WarehouseColumn("a", "bigint"), "-7", "f") == -7
    with pytest.raises(BadRequest, match="cannot be filtered on"):
        parse_value(WarehouseColumn("a", "STRUCT(x INTEGER)"), "1", "f")


def test_formats_from_the_parameter_or_the_accept_header() -> None:
    assert negotiate({}, None) == "json"
    assert negotiate({"format": ["CSV"]}, "application/json") == "csv"
    assert negotiate({}, "text/csv;q=0.9, application/json") == "csv"
    assert negotiate({}, "application/vnd.apache.arrow.stream") == "arrow"
    assert negotiate({}, "text/html, */*;q=0.8") == "json"
    with pytest.raises(BadRequest) as refused:
        negotiate({}, "image/png")
    assert refused.value.status == 406
