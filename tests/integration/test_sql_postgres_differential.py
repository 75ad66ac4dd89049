"""The compiled validation engine on PostgreSQL gives the results it gives on DuckDB, and GX's.

The rows of ``compiled_cases`` go into a DuckDB file and into tables of a real PostgreSQL server (the
session's ``postgres_server``, a database of this module's own), every value as text cast in SQL (psycopg2
would write ``-0.0`` as a numeric, which has no sign). A suite of every compiled type runs through
:class:`SqlEngine` on both, on PostgreSQL through ``dataproducts.warehouse.PostgresWarehouse``'s connection
(the ``sql`` engine: nothing may fall back), and the results must equal the DuckDB engine's and GX's on the
DuckDB file (``differential``). The regex translation to PostgreSQL's AREs is checked against DuckDB's RE2
on every pattern and string, in one query per engine.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiled_cases import (
    AS_OF,
    COLUMNS,
    REGEXES,
    ROWS,
    WORDS,
    product,
    rows_strategy,
    suite_for,
    text_of,
    write_duckdb,
    write_suite,
)
from dataproducts.validation.engine import result_format
from dataproducts.validation.gx_engine import GxEngine
from dataproducts.validation.registry import COMPILED_TYPES
from dataproducts.validation.sql.dialect import POSTGRES
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import suite_parameters
from dataproducts.warehouse import PostgresWarehouse
from differential import suite_differences
from postgres_support import PostgresServer

pytestmark = pytest.mark.integration

_counter = itertools.count()


@pytest.fixture(scope="module")
def pg(postgres_server: PostgresServer) -> PostgresServer:
    server = postgres_server.fresh_database("dp_compiled_differential")
    server.query("create schema mart")
    return server


def _warehouse(server: PostgresServer) -> PostgresWarehouse:
    return PostgresWarehouse(
        host=server.host, port=server.port, user=server.user, password=server.password, dbname=server.database
    )


def write_postgres(server: PostgresServer, name: str, rows: Sequence[tuple[Any, ...]], *, key: bool) -> None:
    columns = ", ".join(f"{c} {pg}" for c, (_, _, pg) in COLUMNS.items())
    server.query(f"create table mart.{name} ({columns}{', unique (i, s)' if key else ''})")
    casts = ", ".join(f"cast(%s as {pg})" for _, (_, _, pg) in COLUMNS.items())
    con = server.connect()
    try:
        with con.cursor() as cur:
            for row in rows:
                cur.execute(f"insert into mart.{name} values ({casts})", [text_of(v) for v in row])
            cur.execute(f"analyze mart.{name}")
    finally:
        con.close()


def run_all(
    tmp: Path,
    server: PostgresServer,
    rows: Sequence[tuple[Any, ...]],
    expectations: list[dict[str, Any]],
    *,
    with_gx: bool = True,
    key: bool = False,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, list[str]]:
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    write_duckdb(warehouse, name, rows)
    write_postgres(server, name, rows, key=key)
    suite = write_suite(tmp, name, expectations)
    params = suite_parameters(AS_OF)
    now = dt.datetime.now(dt.UTC)
    rf = result_format("SUMMARY", 20)
    results: dict[str, dict[str, Any]] = {}
    queries: list[str] = []
    for label, target in (("duckdb", warehouse), ("postgres", _warehouse(server))):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            if label == "postgres":
                assert engine.dialect is POSTGRES
            results[label] = engine.validate(product(name, "mart"), suite, params).to_json_dict()
            queries = list(engine.queries)
        finally:
            engine.close()
    gx_result = None
    if with_gx:
        gx = GxEngine(warehouse, result_format=rf, run_name=name, run_time=now)
        try:
            gx_result = gx.validate(product(name, "mart"), suite, params).to_json_dict()
        finally:
            gx.close()
    return results["duckdb"], results["postgres"], gx_result, queries


def assert_same(duck: dict[str, Any], pg: dict[str, Any], gx: dict[str, Any] | None) -> None:
    diffs = suite_differences(duck, pg)
    assert not diffs, "PostgreSQL differs from DuckDB:\n" + "\n".join(diffs)
    if gx is not None:
        diffs = suite_differences(gx, pg)
        assert not diffs, "PostgreSQL differs from GX on DuckDB:\n" + "\n".join(diffs)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiled_pg")


def test_every_compiled_type_gives_duckdb_and_gx_results_on_postgres(tmp: Path, pg: PostgresServer) -> None:
    expectations = suite_for(ROWS, REGEXES)
    assert {x["type"] for x in expectations} == set(COMPILED_TYPES)
    duck, ours, gx, queries = run_all(tmp, pg, ROWS, expectations)
    assert_same(duck, ours, gx)
    assert not ours["success"] and len(ours["results"]) == len(expectations)
    scan = next(q for q in queries if q.startswith("select\n"))
    assert '"s" ~ ?' in scan and "list(" not in scan and "cast(? as double precision)" in scan
    assert any("where exists (select 1 from" in q for q in queries)


def test_an_enforced_key_and_an_empty_table(tmp: Path, pg: PostgresServer) -> None:
    duck, ours, gx, _ = run_all(tmp, pg, [], suite_for([]))
    assert_same(duck, ours, gx)
    rows = [r for r in ROWS if r[0] is not None and r[4] is not None]
    rows = list({(r[0], r[4]): r for r in rows}.values())  # unique (i, s)
    expectations = [
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["i", "s", "b"]}}
    ]
    duck, ours, gx, queries = run_all(tmp, pg, rows, expectations, key=True)
    assert_same(duck, ours, gx)
    assert not any("group by" in q for q in queries)  # the key answers it: no query beyond the scan


texts_without_nul = st.one_of(
    st.none(),
    st.sampled_from(WORDS),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=6),
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=rows_strategy, regexes=st.lists(st.sampled_from(REGEXES), min_size=1, max_size=4, unique=True))
def test_drawn_tables_give_duckdb_results_on_postgres(
    tmp: Path, pg: PostgresServer, rows: list[tuple[Any, ...]], regexes: list[str]
) -> None:
    rows = [
        r if r[4] is None or "\x00" not in r[4] else (*r[:4], None, *r[5:]) for r in rows
    ]  # text has no NUL
    duck, ours, _, _ = run_all(tmp, pg, rows, suite_for(rows, regexes), with_gx=False)
    assert_same(duck, ours, None)


def test_translated_regexes_match_where_duckdb_matches(pg: PostgresServer) -> None:
    strings = [*WORDS, "a\r", "a\n\n", "\n", "aab", "ab\n", "K\u212a", "SKU-0001234", "𝔘", "a.cc", "1 2"]
    pairs = [(s, r) for s in strings for r in REGEXES]
    con = duckdb.connect()
    try:
        ours = [
            bool(v)
            for (v,) in con.execute(
                "select s ~ r from (select unnest(?) as s, unnest(?) as r)",
                [[s for s, _ in pairs], [r for _, r in pairs]],
            ).fetchall()
        ]
    finally:
        con.close()
    translated = [POSTGRES.regex('"s"', r, negate=False)[1][0] for _, r in pairs]
    theirs = [
        bool(v)
        for (v,) in pg.query(
            "select s ~ r from unnest(%s::text[], %s::text[]) with ordinality as p(s, r, n) order by n",
            ([s for s, _ in pairs], translated),
        )
    ]
    differ = [(pairs[n], ours[n], theirs[n]) for n in range(len(pairs)) if ours[n] != theirs[n]]
    assert not differ, differ
    assert sum(ours) > len(pairs) // 10


def test_strings_compare_in_duckdb_byte_order_under_any_collation(tmp: Path, pg: PostgresServer) -> None:
    """Columns collated by ICU (``'a' < 'B'``, where DuckDB has ``'B' < 'a'``): ``a > b`` compares them with
    ``collate "C"``, DuckDB's byte order, so the results are DuckDB's (max and min do the same; GX takes no
    text bound for them)."""
    rows = [("a", "B"), ("é", "z"), (None, "x"), ("10", "9"), ("a", "a"), ("b", "C")]
    name = f"t{next(_counter)}"
    warehouse = tmp / f"{name}.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create schema mart; create table mart.{name} (a varchar, b varchar)")
        con.executemany(f"insert into mart.{name} values (?, ?)", rows)
    finally:
        con.close()
    pg.query(f'create table mart.{name} (a text collate "und-x-icu", b text collate "und-x-icu")')
    for row in rows:
        pg.query(f"insert into mart.{name} values (%s, %s)", row)
    # the column's own order is not DuckDB's
    assert pg.query(f"select count(*) from mart.{name} where a > b") != pg.query(
        f'select count(*) from mart.{name} where a collate "C" > b collate "C"'
    )
    expectations: list[dict[str, Any]] = [
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {"column_A": "a", "column_B": "b"},
        },
        {
            "type": "expect_column_pair_values_a_to_be_greater_than_b",
            "kwargs": {"column_A": "b", "column_B": "a", "or_equal": True},
        },
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "b", "value_set": ["a", "B"]}},
    ]
    suite = write_suite(tmp, name, expectations)
    now = dt.datetime.now(dt.UTC)
    rf = result_format("SUMMARY", 20)
    results = []
    for target in (warehouse, _warehouse(pg)):
        engine = SqlEngine(target, result_format=rf, run_name=name, run_time=now)
        try:
            results.append(engine.validate(product(name, "mart"), suite, {}).to_json_dict())
        finally:
            engine.close()
    diffs = suite_differences(*results)
    assert not diffs, "\n".join(diffs)
    assert [r["result"]["unexpected_count"] for r in results[1]["results"][:2]] == [2, 3]
