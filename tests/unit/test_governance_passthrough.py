"""The pass-through detector: the SQL-text check, and the proof on data in a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dataproducts.governance.passthrough import Warehouse, select_star_source


@pytest.mark.parametrize(
    "sql",
    [
        "select * from {{ ref('fct_orders') }}",
        "{{ config(materialized='table') }}\n-- a copy\nselect * from {{ ref(\"fct_orders\") }};",
        "with orders as (\n    select * from {{ ref('fct_orders') }}\n),\nfinal as (select * from orders)\nselect * from final",
        "{# the product #}\nWITH o AS (SELECT * FROM {{ ref('fct_orders', v=2) }}) SELECT * FROM o",
    ],
)
def test_bare_select_star_is_a_pass_through(sql: str) -> None:
    assert select_star_source(sql) == "fct_orders"


@pytest.mark.parametrize(
    "sql",
    [
        "select * from {{ ref('fct_orders') }} where status = 'placed'",
        "select order_id, customer_id from {{ ref('fct_orders') }}",
        "with a as (select * from {{ ref('fct_orders') }}), b as (select * from {{ ref('dim_customers') }})\n"
        "select * from a",
        "with a as (select * from {{ ref('fct_orders') }}), b as (select * from a group by 1) select * from b",
        "select * from {{ source('shop', 'orders') }}",
        "{% if true %}select * from {{ ref('fct_orders') }}{% endif %}",
    ],
)
def test_any_transformation_is_not(sql: str) -> None:
    assert select_star_source(sql) is None


def test_data_comparison_counts_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema sales")
        con.execute("create table sales.a as select range as id, range % 3 as v from range(100)")
        con.execute("create table sales.same as select * from sales.a order by id desc")
        con.execute("create table sales.filtered as select * from sales.a where id < 99")
        con.execute(
            "create table sales.dupes as select * from sales.a union all select * from sales.a where id = 1"
        )
        con.execute("create table sales.changed as select id, v + 1 as v from sales.a")
    warehouse = Warehouse(path)
    try:
        assert warehouse.has_relation("sales", "a") and not warehouse.has_relation("sales", "missing")
        assert warehouse.compare(("sales", "same"), ("sales", "a"), ["id", "v"]).same
        for other in ("filtered", "dupes", "changed"):
            assert not warehouse.compare((("sales", other)), ("sales", "a"), ["id", "v"]).same, other
        broken = warehouse.compare(("sales", "a"), ("sales", "a"), ["nope"])
        assert not broken.same and broken.detail.startswith("not comparable")
    finally:
        warehouse.close()
    missing = Warehouse(tmp_path / "none.duckdb")
    assert not missing.has_relation("sales", "a") and "not found" in (missing.error or "")
