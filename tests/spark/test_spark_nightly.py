"""The whole nightly on Spark against the same night on DuckDB (``make test-spark``).

Two copies of the project get the same landing data (scale 0.02, as of one day) with every fault the
generator has (NULLs, duplicates, a volume drop, late data, and a drifted landing column that keeps the
customer products from building on both engines): one on the DuckDB default,
one on the ``spark`` target (``local[2]``, its own Parquet warehouse and Derby metastore in the copy). Each
runs ``dp generate`` and ``dp nightly``; the Spark copy then validates once more with ``--engine gx`` (GX's
Spark datasource for every expectation). The tests hold Spark to DuckDB: the nightly's exit code, every
product's status and SLI statuses, the same reasons, and every suite's validation result, expectation by
expectation (``tests/differential.py``), for the ``auto`` engine and for GX.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_ignore
from differential import suite_differences

pytestmark = [pytest.mark.spark, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-20"
SCALE = "0.02"
FAULTS = "nulls,duplicates,volume_drop,late,schema_drift"
# Observed means may differ in the last bits: Spark sums a column's floats partition by partition, in
# another order than DuckDB (measured: 0.20489318681318633 and ...683). Counts, sets and every other value
# must be equal.
SUMMATION = 1e-12
# GX on Spark takes a DECIMAL column's mean as Spark's avg does, a DECIMAL with 4 more places (580.094553 for
# DuckDB's double 580.0945527236385): at most 5e-7 away, far below any expectation's bound here.
SPARK_DECIMAL_AVG = 1e-6


@dataclass(frozen=True)
class Night:
    project: Path
    generate: subprocess.CompletedProcess[str]
    nightly: subprocess.CompletedProcess[str]
    seconds: float

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.project / "reports" / "latest" / "slo_report.json").read_text("utf-8")
        )
        return data

    def products(self) -> dict[str, dict[str, Any]]:
        return {p["id"]: p for p in self.report()["products"]}

    def validations(self, index: int = -1) -> dict[str, dict[str, Any]]:
        """Product id -> suite result of the run's ``index``-th validation (in time order)."""
        found = sorted(
            (self.project / "runs").glob("*/validations/*/summary.json"), key=lambda p: p.parent.name
        )
        assert found, f"no validation results under {self.project / 'runs'}"
        folder = found[index].parent
        return {
            path.stem: json.loads(path.read_text("utf-8"))
            for path in folder.glob("*.json")
            if path.name != "summary.json"
        }


def _dp(
    project: Path, env: dict[str, str], *args: str, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataproducts", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _night(root: Path, name: str, target: list[str], env: dict[str, str]) -> Night:
    project = root / name
    shutil.copytree(
        REPO,
        project,
        ignore=copy_ignore(REPO, ".venv*", "target", "logs", "warehouse", "reports", "runs", "files", ".git"),
    )
    started = time.perf_counter()
    generate = _dp(project, env, "generate", *target, "--scale", SCALE, "--as-of", AS_OF, "--inject", FAULTS)
    assert generate.returncode == 0, generate.stderr
    nightly = _dp(project, env, "nightly", *target, "--as-of", AS_OF, "--no-docs", "--no-notify")
    return Night(project, generate, nightly, time.perf_counter() - started)


@pytest.fixture(scope="module")
def nights(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Night, Night, subprocess.CompletedProcess[str]]]:
    if shutil.which("java") is None:
        pytest.fail("java is not on PATH: the Spark tests need a JDK 17 (Debian openjdk-17-jre-headless)")
    pytest.importorskip("pyspark", reason="pip install -e '.[spark]' (make test-spark does)")
    root = tmp_path_factory.mktemp("nights")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DP_", "DBT_")) or key in ("DBT_LOG_PATH",)
    }
    env.update(
        {
            "DO_NOT_TRACK": "1",
            "DP_THREADS": "2",
            "DP_SPARK_MASTER": "local[2]",
            "DP_SPARK_APP_NAME": f"dp-test-night-{os.getpid()}",
        }
    )
    spark = _night(root, "spark", ["--target", "spark"], env)
    duck = _night(root, "duckdb", [], env)
    # GX on Spark for the products the night built (schema_drift keeps the customer products from building)
    built = ",".join(sorted(duck.validations(0)))
    gx = _dp(spark.project, env, "validate", "--target", "spark", "--engine", "gx", "--no-docs", "-s", built)
    print(f"\nnights: spark {spark.seconds:.0f}s, duckdb {duck.seconds:.0f}s")
    yield spark, duck, gx


def _steps(stdout: str) -> dict[str, str]:
    """The nightly's steps and their outcomes: ``[3/6] dbt build: ok (84.2s): ...`` -> {"dbt build": "ok"}."""
    found = re.findall(r"\[\d+/\d+\] ([^:]+): (ok|failed|skipped) \(", stdout)
    return dict(found)


def test_the_nightly_runs_on_spark_and_judges_like_duckdb(nights: tuple[Night, Night, Any]) -> None:
    spark, duck, _ = nights
    assert "Traceback" not in spark.nightly.stderr, spark.nightly.stderr
    assert not spark.nightly.stderr.strip(), spark.nightly.stderr  # nothing from Spark's JVM or pyspark
    # the faults breach products: exit 1 on both, every step of the job run on Spark with DuckDB's outcome
    # (late data fails source freshness on both; the faults fail validation on both)
    assert duck.nightly.returncode == 1, duck.nightly.stderr
    assert spark.nightly.returncode == duck.nightly.returncode, spark.nightly.stdout + spark.nightly.stderr
    on_spark, on_duckdb = _steps(spark.nightly.stdout), _steps(duck.nightly.stdout)
    assert on_duckdb["dp publish"] == "ok" and on_spark.pop("dp publish") == "skipped"  # DuckDB-only port
    on_duckdb.pop("dp publish")
    assert on_spark == on_duckdb, (on_spark, on_duckdb)
    assert set(on_spark) == {"checks", "dbt source freshness", "dbt build", "dp validate", "dp report"}
    # schema_drift fails the customer models on both engines; the faults fail suites of what was built
    assert on_spark["dbt build"] == "failed" and on_spark["dp validate"] == "failed"
    assert spark.report()["overall_status"] == duck.report()["overall_status"] == "breached"


def test_every_product_and_sli_has_the_same_status_on_spark(nights: tuple[Night, Night, Any]) -> None:
    spark, duck, _ = nights
    on_spark, on_duckdb = spark.products(), duck.products()
    assert set(on_spark) == set(on_duckdb) and len(on_duckdb) == 9
    # the faults leave some SLIs met and breach others
    statuses = {sli["status"] for p in on_duckdb.values() for sli in p["slis"].values()}
    assert {"met", "breached"} <= statuses, statuses
    for pid, expected in on_duckdb.items():
        got = on_spark[pid]
        assert got["status"] == expected["status"], (pid, got["status"], expected["status"])
        for sli, value in expected["slis"].items():
            assert got["slis"][sli]["status"] == value["status"], (pid, sli, got["slis"][sli], value)
            assert got["slis"][sli]["value"] == value["value"], (pid, sli, got["slis"][sli], value)


def test_the_schema_sli_says_spark_enforces_no_constraints(nights: tuple[Night, Night, Any]) -> None:
    spark, duck, _ = nights
    judged = [p["slis"]["schema_stability"] for p in spark.report()["products"]]
    judged = [
        sli for sli in judged if sli["value"] is not None
    ]  # a product not built has no columns to judge
    assert len(judged) >= 6, judged
    for sli in judged:
        assert "Spark does not enforce the contract's constraints" in sli["reason"], sli
        assert sli["details"]["constraints_enforced"] is False
    for product in duck.report()["products"]:
        assert "constraints_enforced" not in product["slis"]["schema_stability"]["details"]


def test_validation_on_spark_equals_duckdb_for_every_suite(nights: tuple[Night, Night, Any]) -> None:
    spark, duck, _ = nights
    on_spark, on_duckdb = spark.validations(0), duck.validations(0)
    # the products each night built (all but those schema_drift stops, on both engines)
    assert set(on_spark) == set(on_duckdb) and 6 <= len(on_duckdb) < 9, sorted(on_duckdb)
    failed = [pid for pid, result in on_duckdb.items() if not result["success"]]
    assert failed, "the faults must fail some suites"
    differences = [
        d
        for pid in sorted(on_duckdb)
        for d in suite_differences(on_duckdb[pid], on_spark[pid], rel_tol=SUMMATION)
    ]
    assert not differences, "\n".join(differences[:40])


def test_gx_on_spark_equals_duckdb_for_every_suite(nights: tuple[Night, Night, Any]) -> None:
    spark, duck, gx = nights
    assert gx.returncode == 1, gx.stdout + gx.stderr  # the faults fail suites
    assert "Traceback" not in gx.stderr, gx.stderr
    on_spark, on_duckdb = spark.validations(-1), duck.validations(0)
    assert set(on_spark) == set(on_duckdb), (sorted(on_spark), sorted(on_duckdb))
    for result in on_spark.values():  # GX validated a DataFrame of dp's Spark session
        assert result["meta"]["batch_spec"].get("batch_data") == "SparkDataFrame", result["meta"]
    differences = [
        d
        for pid in sorted(on_duckdb)
        for d in suite_differences(on_duckdb[pid], on_spark[pid], rel_tol=SPARK_DECIMAL_AVG)
    ]
    assert not differences, "\n".join(differences[:40])
