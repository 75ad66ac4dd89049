"""The GX-on-DuckDB workaround (``dataproducts.validation.gx_duckdb``): it works, and it is still needed.

The canary tests run plain GX (no workaround) in a subprocess and assert the upstream bugs still exist. When a
GX upgrade fixes them, the canary fails: remove the workaround, as the module docstring explains.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import great_expectations
import pytest
import sqlalchemy
from great_expectations.expectations.core.expect_column_max_to_be_between import ExpectColumnMaxToBeBetween
from great_expectations.expectations.core.expect_column_mean_to_be_between import ExpectColumnMeanToBeBetween
from great_expectations.expectations.core.expect_column_pair_values_a_to_be_greater_than_b import (
    ExpectColumnPairValuesAToBeGreaterThanB,
)
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_set import ExpectColumnValuesToBeInSet
from great_expectations.expectations.core.expect_column_values_to_be_unique import (
    ExpectColumnValuesToBeUnique,
)
from great_expectations.expectations.core.expect_column_values_to_match_regex import (
    ExpectColumnValuesToMatchRegex,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
    ExpectColumnValuesToNotBeNull,
)
from great_expectations.expectations.core.expect_column_values_to_not_match_regex import (
    ExpectColumnValuesToNotMatchRegex,
)
from great_expectations.expectations.core.expect_table_row_count_to_be_between import (
    ExpectTableRowCountToBeBetween,
)

from dataproducts.validation import gx_duckdb

ROWS = 1000


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gx_duckdb") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        f"""
        create schema s;
        create table s.t as
        select
            i::bigint as id,
            'a' || i as name,
            case when i % 10 = 0 then null else i end as v,
            case when i % 3 = 0 then 'x' else 'y' end as kind,
            timestamp '2026-01-01' + to_seconds(i * 60) as created_at
        from range({ROWS}) as r(i);
        """
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def batch(warehouse: Path) -> Iterator[Any]:
    context = great_expectations.get_context(mode="ephemeral")
    datasource = gx_duckdb.open_duckdb_datasource(context, "w", warehouse)
    asset = datasource.add_table_asset("t", table_name="t", schema_name="s")
    yield asset.add_batch_definition_whole_table("all").get_batch()
    datasource.get_execution_engine().close()


def _sql(batch: Any, query: str) -> int:
    # Plain SQL on the same read-only connection (DuckDB refuses a second, differently configured one).
    with batch.data.execution_engine.get_connection() as connection:
        return int(connection.execute(sqlalchemy.text(query)).scalar_one())


def _raised(result: Any) -> bool:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(v.get("raised_exception") for v in info.values() if isinstance(v, dict))


# --- versions the workaround was written for ------------------------------------------------------------------


def test_gx_version_is_the_one_the_workaround_was_written_for() -> None:
    assert gx_duckdb.gx_version_supported(), (
        f"great_expectations {great_expectations.__version__} is outside {gx_duckdb.SUPPORTED_GX}: re-run the "
        "canary tests, then update SUPPORTED_GX (or drop the workaround if the canary says GX fixed it)"
    )


def test_gx_version_range_check() -> None:
    assert gx_duckdb.gx_version_supported("1.24.1")
    assert not gx_duckdb.gx_version_supported("1.25.0")
    assert not gx_duckdb.gx_version_supported("1.23.9")


def test_sqlalchemy_below_2_1() -> None:
    # SQLAlchemy 2.1 breaks duckdb_engine's column reflection (pyproject pins < 2.1).
    major, minor = (int(p) for p in sqlalchemy.__version__.split(".")[:2])
    assert (major, minor) < (2, 1)


# --- the workaround works -------------------------------------------------------------------------------------


def test_engine_is_the_duckdb_engine(batch: Any) -> None:
    assert isinstance(batch.data.execution_engine, gx_duckdb.DuckDBExecutionEngine)


@pytest.mark.parametrize(
    ("expectation", "expected_unexpected"),
    [
        (lambda: ExpectColumnValuesToNotBeNull(column="v"), "select count(*) from s.t where v is null"),
        (lambda: ExpectColumnValuesToBeUnique(column="id"), "select 0"),
        (
            lambda: ExpectColumnValuesToBeBetween(column="v", min_value=1, max_value=499),
            "select count(*) from s.t where v > 499",
        ),
        (
            lambda: ExpectColumnValuesToBeInSet(column="kind", value_set=["x"]),
            "select count(*) from s.t where kind <> 'x'",
        ),
        (
            lambda: ExpectColumnValuesToMatchRegex(column="name", regex="7"),
            "select count(*) from s.t where name not like '%7%'",
        ),
        (
            lambda: ExpectColumnValuesToNotMatchRegex(column="name", regex="^a9"),
            "select count(*) from s.t where name like 'a9%'",
        ),
        (
            lambda: ExpectColumnPairValuesAToBeGreaterThanB(column_A="id", column_B="v", or_equal=True),
            "select 0",
        ),
    ],
)
def test_expectations_evaluate_with_counts(
    batch: Any, expectation: Callable[[], Any], expected_unexpected: str
) -> None:
    result = batch.validate(expectation(), result_format="SUMMARY")
    assert not _raised(result), result.exception_info
    assert result.result["element_count"] == ROWS
    assert result.result["unexpected_count"] == _sql(batch, expected_unexpected)


def test_table_metrics(batch: Any) -> None:
    rows = batch.validate(ExpectTableRowCountToBeBetween(min_value=ROWS, max_value=ROWS))
    assert rows.success and rows.result["observed_value"] == ROWS
    mean = batch.validate(ExpectColumnMeanToBeBetween(column="id", min_value=499, max_value=500))
    assert mean.success, mean.exception_info
    # GX's pydantic model parses a timestamp string into this very datetime; pass it typed.
    newest = batch.validate(
        ExpectColumnMaxToBeBetween(column="created_at", min_value=dt.datetime(2026, 1, 1, 16))
    )
    assert newest.success, newest.exception_info


@pytest.mark.parametrize(
    ("regex", "text"),
    [("^a1", "a12"), ("2$", "a12"), ("1", "b91c"), ("^x", "ax"), ("[0-9]{3}", "a12"), ("^a[0-9]+$", "a12")],
)
def test_regex_semantics_match_python_search(regex: str, text: str) -> None:
    # GX's regex expectations mean re.search; the PostgreSQL ~ operator that DuckDB runs must agree.
    con = duckdb.connect()
    try:
        row = con.execute("select ? ~ ?", [text, regex]).fetchone()
    finally:
        con.close()
    assert row is not None
    assert bool(row[0]) == bool(re.search(regex, text))


def test_opens_read_only(batch: Any) -> None:
    engine = batch.data.execution_engine
    with (
        pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"),
        engine.get_connection() as connection,
    ):
        connection.execute(sqlalchemy.text("create table s.u (i integer)"))


def test_a_failing_metric_does_not_poison_the_shared_connection(batch: Any) -> None:
    broken = batch.validate(ExpectColumnValuesToMatchRegex(column="name", regex="("))  # invalid in DuckDB
    assert not broken.success and _raised(broken)
    after = batch.validate(ExpectColumnValuesToNotBeNull(column="id"), result_format="SUMMARY")
    assert after.success, after.exception_info
    assert after.result["element_count"] == ROWS


def test_plain_sql_datasource_is_untouched(warehouse: Path) -> None:
    # No global patching: GX's own SQL datasource still uses GX's own engine.
    from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    context = great_expectations.get_context(mode="ephemeral")
    # At run time add_sql takes every SQLDatasource field; GX's stub (sources.pyi) leaves out ``kwargs``.
    add_sql: Callable[..., SQLDatasource] = context.data_sources.add_sql
    datasource = add_sql(
        "plain",
        connection_string=gx_duckdb.duckdb_url(warehouse),
        kwargs={"connect_args": {"read_only": True}},
    )
    engine = datasource.get_execution_engine()
    assert type(engine) is SqlAlchemyExecutionEngine
    assert engine.dialect_module is None
    engine.close()


# --- canary: the upstream bugs still exist --------------------------------------------------------------------

_CANARY = textwrap.dedent(
    """
    import json, sys
    import great_expectations as gx
    import great_expectations.expectations as gxe

    assert "dataproducts.validation.gx_duckdb" not in sys.modules
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_sql(
        "plain", connection_string=sys.argv[1], kwargs={"connect_args": {"read_only": True}}
    )
    batch = datasource.add_table_asset("t", table_name="t", schema_name="s").add_batch_definition_whole_table(
        "all"
    ).get_batch()
    out = {}
    for key, expectation in {
        "not_null": gxe.ExpectColumnValuesToNotBeNull(column="v"),
        "regex": gxe.ExpectColumnValuesToMatchRegex(column="name", regex="^a"),
    }.items():
        result = batch.validate(expectation, result_format="SUMMARY")
        out[key] = {"success": result.success, "exception_info": json.dumps(result.exception_info, default=str)}
    print("CANARY" + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def canary(warehouse: Path) -> dict[str, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-c", _CANARY, gx_duckdb.duckdb_url(warehouse)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("CANARY"))
    found: dict[str, Any] = json.loads(line.removeprefix("CANARY"))
    return found


_UPSTREAM_FIXED = (
    "GX {version} no longer shows the bug this canary watches ({what}): the workaround in "
    "dataproducts/validation/gx_duckdb.py may be unnecessary. Check and remove it (see its docstring)."
)


def test_canary_results_read_after_connection_closed(canary: dict[str, Any]) -> None:
    info = canary["not_null"]["exception_info"]
    assert "IndexError" in info, _UPSTREAM_FIXED.format(
        version=great_expectations.__version__, what="IndexError, GX issues #10738/#11579"
    )
    assert canary["not_null"]["success"] is False


def test_canary_regex_refused_for_duckdb(canary: dict[str, Any]) -> None:
    info = canary["regex"]["exception_info"]
    assert "IndexError" in info or "not supported" in info, _UPSTREAM_FIXED.format(
        version=great_expectations.__version__, what="regex not supported for duckdb"
    )
