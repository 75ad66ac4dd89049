"""The one way to the warehouse (warehouse.py): a DuckDB file or a PostgreSQL database behind one Connection,
errors one line naming the warehouse, never its password. The PostgreSQL side against a real server is
tests/integration/test_nightly_postgres.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dataproducts.errors import WarehouseError
from dataproducts.warehouse import Connection, DuckDBWarehouse, PostgresWarehouse, connected, pg_reason

PG = PostgresWarehouse("127.0.0.1", 55432, "dp_admin", "p@ss:/w%rd", "dataproducts", "main")


def test_a_postgres_warehouse_is_named_without_its_password() -> None:
    assert PG.label == "postgresql://dp_admin@127.0.0.1:55432/dataproducts"
    assert "p@ss" not in repr(PG)
    assert (
        PG.sqlalchemy_url()
        == "postgresql+psycopg2://dp_admin:p%40ss%3A%2Fw%25rd@127.0.0.1:55432/dataproducts"
    )
    assert PG.dialect == "postgres" and PG.default_schema == "main"


def test_placeholders_are_written_once_and_translated_for_psycopg2() -> None:
    con = Connection(PG, raw=None)
    assert con._sql("select ? where x like '5%'") == "select %s where x like '5%%'"
    assert Connection(DuckDBWarehouse(Path("w.duckdb")), raw=None)._sql("select ?") == "select ?"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            'connection to server at "127.0.0.1", port 5 failed: Connection refused\n\tIs the server running?',
            "server not reachable (is it running? scripts/postgres up): connection to server",
        ),
        (
            '(psycopg2.OperationalError) connection to server failed: FATAL:  password authentication failed for user "x"',
            "login refused: connection to server failed",
        ),
        (
            'relation "sales.nope" does not exist\nLINE 1: select * from sales.nope',
            'relation "sales.nope" does not exist',
        ),
    ],
)
def test_postgres_errors_are_one_line_naming_the_cause(message: str, expected: str) -> None:
    reason = pg_reason(Exception(message))
    assert reason.startswith(expected) and "\n" not in reason


def test_a_duckdb_file_reads_through_the_same_connection(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema sales; create table sales.orders (id integer, amount decimal(12,2))")
        con.execute("insert into sales.orders values (1, 2.50), (2, null)")
    warehouse = DuckDBWarehouse(path)
    with connected(warehouse) as con:
        assert con.relation_exists("sales", "orders") and not con.relation_exists("sales", "nope")
        assert ("sales", "orders", "amount", "DECIMAL(12,2)") in con.columns()
        assert con.first("select count(amount) as n from sales.orders where id >= ?", [1]) == {"n": 1}
        with pytest.raises(WarehouseError, match=rf"^{path}: Catalog Error") as caught:
            con.rows("select * from sales.nope")
        assert "\n" not in str(caught.value)
        with pytest.raises(WarehouseError, match="read-only"):
            con.execute("create table sales.x (a integer)")
    with connected(warehouse, write=True) as con:
        con.execute("create table sales.x as select cast(? as varchar) as state", ["{}"])
    with pytest.raises(WarehouseError, match="warehouse not found"):
        DuckDBWarehouse(tmp_path / "missing.duckdb").connect()
