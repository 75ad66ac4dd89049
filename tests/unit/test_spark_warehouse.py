"""A Spark target's warehouse as ``dp`` reads it, the parts that need no JVM: the configuration that names it,
SQL quoting for Spark, the refusals before a session starts (a Thrift target, no spark extra), and one-line
reasons from Spark's errors. Spark itself is exercised by tests/spark (``make test-spark``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO, dp
from dataproducts.config import load_config
from dataproducts.errors import UsageError, WarehouseError
from dataproducts.profile import TARGET_ADAPTERS
from dataproducts.slo.evidence import SPARK_CONSTRAINTS_NOTE
from dataproducts.slo.slis import normalize_type
from dataproducts.spark_session import spark_reason
from dataproducts.warehouse import Connection, SparkWarehouse


def test_a_spark_target_is_read_as_its_spark_warehouse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DP_SPARK_MASTER", "spark://127.0.0.1:7999")
    monkeypatch.setenv("DP_SPARK_WAREHOUSE", str(tmp_path / "sw"))
    cfg = load_config(REPO, target="spark", adapters=TARGET_ADAPTERS)
    db = cfg.db
    assert isinstance(db, SparkWarehouse)
    assert db.dialect == "spark" and db.default_schema == "main" and db.target == "spark"
    assert db.project_dir == REPO
    assert db.settings["spark.master"] == "spark://127.0.0.1:7999"
    assert db.settings["spark.sql.warehouse.dir"] == f"{tmp_path}/sw/tables"
    assert db.label == f"spark spark://127.0.0.1:7999 {tmp_path}/sw/tables"
    assert not cfg.on_duckdb  # no DuckDB file locks, no files port


def test_a_thrift_target_is_refused_in_one_line_before_any_jvm(tmp_path: Path) -> None:
    cfg = load_config(REPO, target="spark_thrift", adapters=TARGET_ADAPTERS)
    with pytest.raises(UsageError, match=r"method 'thrift': dp works on Spark through a session"):
        _ = cfg.db
    result = dp("validate", "--target", "spark_thrift", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "method 'thrift'" in lines[0], lines
    assert "Traceback" not in result.stderr


def test_without_the_spark_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    warehouse = SparkWarehouse("spark", (("spark.master", "local[1]"),), REPO)
    with pytest.raises(WarehouseError, match=r"needs the spark extra: pip install 'dataproducts\[spark\]'"):
        warehouse.connect()


def test_spark_sql_quotes_with_backticks() -> None:
    con = Connection(SparkWarehouse("spark", (), REPO), raw=None)
    assert con.quote("order_id") == "`order_id`"
    assert con.quote("odd`name") == "`odd``name`"
    assert con.relation(None, "orders") == "`main`.`orders`"
    assert con.relation("sales", "orders") == "`sales`.`orders`"


def test_spark_type_names_compare_with_the_contracts() -> None:
    # the session catalog's spelling against the contracts' (the schema SLI normalizes both)
    assert normalize_type("string") == normalize_type("varchar")
    assert normalize_type("int") == normalize_type("integer")
    assert normalize_type("decimal(12,2)") == normalize_type("numeric(12, 2)")
    assert normalize_type("timestamp_ntz") == normalize_type("timestamp")
    assert normalize_type("double") == normalize_type("double precision")
    assert "Spark does not enforce" in SPARK_CONSTRAINTS_NOTE


def test_a_metastore_held_by_another_process_is_named() -> None:
    exc = RuntimeError(
        "org.apache.spark.sql.AnalysisException: java.lang.RuntimeException: Unable to instantiate "
        "org.apache.hadoop.hive.ql.metadata.SessionHiveMetaStoreClient\n...\nCaused by: ERROR XSDB6: Another "
        "instance of Derby may have already booted the database /p/warehouse/spark/metastore_db."
    )
    why = spark_reason(exc)
    assert "metastore" in why and "another process" in why, why
    assert "\n" not in why
    plain = spark_reason(
        RuntimeError("[TABLE_OR_VIEW_NOT_FOUND] The table `main`.`x` cannot be found.\nmore")
    )
    assert plain == "[TABLE_OR_VIEW_NOT_FOUND] The table `main`.`x` cannot be found."
