"""The Spark landing load's pure parts: DuckDB -> Spark types, the spark target read from the profile, and
the refusals that come before any JVM starts (``dp generate`` on a Thrift target, a missing landing copy)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import REPO, dp
from dataproducts.errors import UsageError, WarehouseError
from dataproducts.profile import read_profile
from dataproducts.spark import _last_error, generate_and_load, spark_target, spark_type


@pytest.mark.parametrize(
    ("duckdb_type", "spark"),
    [
        ("INTEGER", "int"),
        ("BIGINT", "bigint"),
        ("DOUBLE", "double"),
        ("VARCHAR", "string"),
        ("DECIMAL(12,6)", "decimal(12, 6)"),
        ("decimal(10, 2)", "decimal(10, 2)"),
        ("TIMESTAMP", "timestamp"),
        ("DATE", "date"),
        ("BOOLEAN", "boolean"),
        ("HUGEINT", "decimal(38, 0)"),
    ],
)
def test_landing_types_map_to_spark(duckdb_type: str, spark: str) -> None:
    assert spark_type(duckdb_type, "w.duckdb: raw_shop.orders.x") == spark


def test_a_type_without_a_spark_counterpart_names_the_column() -> None:
    with pytest.raises(WarehouseError, match=r"raw_shop\.orders\.tags: DuckDB type VARCHAR\[\]"):
        spark_type("VARCHAR[]", "w.duckdb: raw_shop.orders.tags")


def test_the_spark_target_renders_its_session_settings_from_the_environment(tmp_path: Path) -> None:
    env = {"DP_SPARK_WAREHOUSE": str(tmp_path / "sw"), "DP_SPARK_MASTER": "spark://127.0.0.1:7999"}
    target = spark_target(read_profile(REPO, env, target="spark"))
    assert target.method == "session"
    assert target.conf["spark.master"] == "spark://127.0.0.1:7999"
    assert target.conf["spark.sql.warehouse.dir"] == f"{tmp_path}/sw/tables"
    assert (
        f"databaseName={tmp_path}/sw/metastore_db"
        in target.conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    )
    assert target.describe() == f"Spark spark://127.0.0.1:7999 (warehouse {tmp_path}/sw/tables)"
    # the defaults: local mode, the project's own warehouse folder
    default = spark_target(read_profile(REPO, {}, target="spark"))
    assert default.conf["spark.master"] == "local[2]"
    assert default.conf["spark.sql.warehouse.dir"] == "warehouse/spark/tables"


def test_only_a_session_target_is_loaded_into() -> None:
    with pytest.raises(UsageError, match=r"target 'spark_thrift': method 'thrift'.*session"):
        spark_target(read_profile(REPO, {}, target="spark_thrift"))
    with pytest.raises(UsageError, match="not a spark target"):
        spark_target(read_profile(REPO, {}, target="local"))


def test_an_append_without_a_landing_copy_is_refused_before_spark_starts(tmp_path: Path) -> None:
    target = spark_target(read_profile(REPO, {}, target="spark"))
    with pytest.raises(
        UsageError, match=r"--append --target spark: no landing data in .*landing_spark\.duckdb"
    ):
        generate_and_load(
            target, tmp_path / "landing_spark.duckdb", REPO, as_of=dt.date(2026, 11, 20), append=True
        )
    assert not (tmp_path / "landing_spark.duckdb").exists()


def test_the_load_reports_its_own_error_line_else_sparks_last_exception() -> None:
    assert (
        _last_error("noise\ndp-spark-load: [TABLE_OR_VIEW_NOT_FOUND] x\nmore")
        == "[TABLE_OR_VIEW_NOT_FOUND] x"
    )
    assert _last_error("a\njava.lang.OutOfMemoryError: heap\nb") == "java.lang.OutOfMemoryError: heap"
    assert _last_error("") == ""


def test_dp_generate_on_a_thrift_target_is_a_usage_error_naming_the_profile(tmp_path: Path) -> None:
    result = dp(
        "generate",
        "--target",
        "spark_thrift",
        "--scale",
        "0.02",
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        "--runs-dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "profiles.yml" in lines[0] and "method 'thrift'" in lines[0], lines
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "landing_spark_thrift.duckdb").exists()
