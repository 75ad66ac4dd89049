"""The landing load's pure parts: DuckDB -> PostgreSQL types, and the postgres target read from a profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataproducts.errors import ConfigError, WarehouseError
from dataproducts.postgres import _normalise, _same_state, landing_file, pg_type
from dataproducts.profile import read_profile


@pytest.mark.parametrize(
    ("duckdb_type", "postgres"),
    [
        ("INTEGER", "integer"),
        ("BIGINT", "bigint"),
        ("DOUBLE", "double precision"),
        ("VARCHAR", "varchar"),
        ("DECIMAL(12,6)", "numeric(12, 6)"),
        ("decimal(10, 2)", "numeric(10, 2)"),
        ("TIMESTAMP", "timestamp"),
        ("DATE", "date"),
        ("BOOLEAN", "boolean"),
        ("HUGEINT", "numeric(38, 0)"),
    ],
)
def test_landing_types_map_to_postgres(duckdb_type: str, postgres: str) -> None:
    assert pg_type(duckdb_type, "w.duckdb: raw_shop.orders.x") == postgres


def test_a_type_without_a_postgres_counterpart_names_the_column() -> None:
    with pytest.raises(WarehouseError, match=r"raw_shop\.orders\.tags: DuckDB type VARCHAR\[\]"):
        pg_type("VARCHAR[]", "w.duckdb: raw_shop.orders.tags")


def test_the_server_spelling_of_a_created_type_is_recognised() -> None:
    # format_type's spelling, so an unchanged table is truncated (its views kept), not replaced
    assert _normalise("numeric(12, 6)") == "numeric(12,6)"
    assert _normalise("varchar") == "character varying"
    assert _normalise("timestamp") == "timestamp without time zone"
    assert _normalise("double precision") == "double precision"


def test_landing_states_compare_by_value() -> None:
    server = (dt.date(2024, 11, 20), dt.date(2026, 11, 20), 7, 0.02, 2)
    assert _same_state(server, ("2024-11-20", "2026-11-20", 7, 0.02, 2))
    assert not _same_state(server, (dt.date(2024, 11, 20), dt.date(2026, 11, 19), 7, 0.02, 2))


def test_the_landing_file_sits_next_to_the_warehouse(tmp_path: Path) -> None:
    assert (
        landing_file(tmp_path / "w" / "dp.duckdb", "postgres") == tmp_path / "w" / "landing_postgres.duckdb"
    )


def _project(tmp_path: Path, output: str) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "profiles.yml").write_text(f"shop:\n  target: pg\n  outputs:\n    pg: {output}\n")
    return tmp_path


def test_a_postgres_target_renders_its_connection(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "{type: postgres, host: 127.0.0.1, port: \"{{ env_var('X_PORT') | as_number }}\", user: dp, "
        "password: \"{{ env_var('X_PW') }}\", dbname: shop, schema: main}",
    )
    target = read_profile(root, {"X_PORT": "5544", "X_PW": "secret"}).postgres_target()
    assert (target.host, target.port, target.user, target.password, target.dbname) == (
        "127.0.0.1",
        5544,
        "dp",
        "secret",
        "shop",
    )
    assert "secret" not in repr(target)
    assert target.describe() == "PostgreSQL dp@127.0.0.1:5544/shop"


@pytest.mark.parametrize(
    ("output", "environ", "message"),
    [
        ("{type: postgres, host: h, port: 1, user: u, password: \"{{ env_var('X_PW') }}\", dbname: d}", {},
         "password: env var X_PW is not set"),
        ("{type: postgres, host: h, port: x, user: u, password: p, dbname: d}", {}, "port: expected a port number"),
        ("{type: postgres, host: h, port: 1, user: u, password: p}", {}, "dbname is empty"),
        ("{type: duckdb, path: w.duckdb}", {}, "not a postgres target"),
    ],
)  # fmt: skip
def test_a_postgres_target_that_cannot_connect_is_one_line(
    tmp_path: Path, output: str, environ: dict[str, str], message: str
) -> None:
    profile = read_profile(_project(tmp_path, output), environ)
    with pytest.raises(ConfigError, match=message):
        profile.postgres_target()
