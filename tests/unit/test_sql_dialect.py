"""The compiled engine's SQL dialects (``validation/sql/dialect.py``).

* DuckDB's SQL is byte for byte what it was before the dialect layer (``tests/fixtures/sql_dialect/
  duckdb_sql.json``, written by the compiler before the layer existed): every check's scan and follow-ups.
* Spark's SQL for every check parses as Spark SQL (sqlglot, ``read="spark"``) and holds nothing DuckDB-only;
  Spark's type names, parameters, regex translation and refusals; the Spark catalog and the engine on a
  stand-in connection. ``tests/spark/test_spark_compiled_differential.py`` runs it all on a real Spark.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dataproducts.errors import WarehouseError
from dataproducts.validation.engine import result_format
from dataproducts.validation.registry import compile_expectation
from dataproducts.validation.sql.catalog import CATALOG_SQL, load_spark_catalog
from dataproducts.validation.sql.compiler import ColumnAggregate, Scan, Table, Unsupported, type_family
from dataproducts.validation.sql.dialect import DUCKDB, POSTGRES, SPARK, dialect_named, java_regex
from dataproducts.validation.sql.engine import SqlEngine
from dataproducts.validation.suites import load_suite

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "sql_dialect" / "duckdb_sql.json"

DUCKDB_COLUMNS = {
    "i": "INTEGER",
    "j": "BIGINT",
    "h": "HUGEINT",
    "f": "DOUBLE",
    "d": "DECIMAL(12,2)",
    "s": "VARCHAR",
    'we"ird': "VARCHAR",
    "b": "BOOLEAN",
    "ts": "TIMESTAMP",
    "dd": "DATE",
}

# (expectation type, kwargs): every compiled type, with the options that change the SQL
SAMPLE: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_not_be_null", {"column": "i"}),
    ("expect_column_values_to_not_be_null", {"column": 'we"ird', "mostly": 0.5}),
    ("expect_column_values_to_be_null", {"column": "s", "mostly": 0.5}),
    ("expect_column_values_to_be_unique", {"column": "i"}),
    ("expect_column_values_to_be_unique", {"column": "s"}),
    ("expect_column_values_to_be_unique", {"column": "ts"}),
    ("expect_column_values_to_be_in_set", {"column": "s", "value_set": ["a", "b"], "mostly": 0.9}),
    ("expect_column_values_to_be_in_set", {"column": "i", "value_set": [1, 2.5, None]}),
    ("expect_column_values_to_be_in_set", {"column": "b", "value_set": []}),
    ("expect_column_values_to_not_be_in_set", {"column": "d", "value_set": [1, 2]}),
    ("expect_column_values_to_be_between", {"column": "i", "min_value": 0, "max_value": 9}),
    ("expect_column_values_to_be_between", {"column": "f", "min_value": 0.5, "strict_min": True}),
    (
        "expect_column_values_to_be_between",
        {"column": "d", "max_value": 5, "strict_max": True, "mostly": 0.5},
    ),
    ("expect_column_values_to_be_between", {"column": "dd", "min_value": "2026-01-01"}),
    ("expect_column_values_to_match_regex", {"column": "s", "regex": "^[a-z]+$", "mostly": 0.5}),
    ("expect_column_values_to_not_match_regex", {"column": "s", "regex": "a.c"}),
    ("expect_column_value_lengths_to_be_between", {"column": "s", "min_value": 1, "max_value": 3}),
    ("expect_column_value_lengths_to_equal", {"column": "s", "value": 2}),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "i", "column_B": "j", "mostly": 0.5}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "f", "column_B": "d", "or_equal": True, "ignore_row_if": "either_value_is_missing"},
    ),
    (
        "expect_column_pair_values_to_be_equal",
        {"column_A": "s", "column_B": 'we"ird', "ignore_row_if": "neither"},
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["i", "s"]}),
    (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["i", "j", "b"], "ignore_row_if": "any_value_is_missing"},
    ),
    ("expect_compound_columns_to_be_unique", {"column_list": ["ts", "dd"], "ignore_row_if": "never"}),
    ("expect_column_max_to_be_between", {"column": "ts", "min_value": 0}),
    ("expect_column_min_to_be_between", {"column": "d", "max_value": 3}),
    ("expect_column_mean_to_be_between", {"column": "i", "min_value": 0}),
    ("expect_column_sum_to_be_between", {"column": "j", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "i", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "d", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "h", "min_value": 0}),
    ("expect_column_median_to_be_between", {"column": "f", "min_value": 0}),
    ("expect_column_unique_value_count_to_be_between", {"column": "s", "min_value": 1}),
    ("expect_column_proportion_of_unique_values_to_be_between", {"column": "i", "min_value": 0.5}),
    ("expect_column_proportion_of_non_null_values_to_be_between", {"column": "s", "min_value": 0.5}),
    ("expect_column_distinct_values_to_equal_set", {"column": "s", "value_set": ["a"]}),
    ("expect_column_distinct_values_to_equal_set", {"column": "i", "value_set": [1, 2]}),
    ("expect_table_row_count_to_be_between", {"min_value": 1}),
    ("expect_table_columns_to_match_ordered_list", {"column_list": ["i"]}),
]

DUCKDB_TABLES = {
    "big": Table(relation='"mart"."t"', columns=DUCKDB_COLUMNS),
    "small": Table(relation='"mart"."t"', columns=DUCKDB_COLUMNS, estimated_rows=10),
    "keyed": Table(
        relation='"mart"."t"',
        columns=DUCKDB_COLUMNS,
        unique_keys=(frozenset({"i"}), frozenset({"s", "ts"})),
        estimated_rows=10,
    ),
}


def emitted(table: Table, sample: Sequence[tuple[str, dict[str, Any]]] = SAMPLE) -> list[dict[str, Any]]:
    """The SQL of each expectation of ``sample`` on ``table``: its scan, then the follow-ups its metrics
    read when every count of the scan is 5 (the big-table path; a folded check reads nothing more)."""
    fmt = result_format("SUMMARY", 20)
    out: list[dict[str, Any]] = []
    for etype, kwargs in sample:
        check = compile_expectation(etype, kwargs, table)
        scan = Scan()
        check.plan(scan)
        sql, params = scan.sql(table.relation)
        follow_ups: list[list[Any]] = []

        def query(
            q: str, p: Sequence[Any], follow_ups: list[list[Any]] = follow_ups
        ) -> list[tuple[Any, ...]]:
            follow_ups.append([q, [repr(v) for v in p]])
            width = q.split(" from ")[0].count(", ") + 1  # the columns it selects
            return [(1,) * width]

        if not (table.dialect.folds and table.is_small(5_000)):  # else folded: nothing more to read
            check.metrics([5] * len(scan.exprs), query, fmt)
        out.append(
            {
                "type": etype,
                "kwargs": kwargs,
                "scan": sql,
                "params": [repr(v) for v in params],
                "follow_ups": follow_ups,
            }
        )
    return out


def test_duckdb_sql_is_byte_identical_to_the_sql_before_the_dialect_layer() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden.pop("catalog") == CATALOG_SQL
    now = {name: emitted(table) for name, table in DUCKDB_TABLES.items()}
    assert now.keys() == golden.keys()
    for name in golden:
        assert len(now[name]) == len(golden[name])
        for ours, before in zip(now[name], golden[name], strict=True):
            assert ours == before, f"{name}: {ours['type']} {ours['kwargs']}"


# --- Spark --------------------------------------------------------------------------------------------------

SPARK_COLUMNS = {
    "i": "int",
    "j": "bigint",
    "h": "smallint",
    "f": "double",
    "d": "decimal(12,2)",
    "s": "string",
    "we`ird": "string",
    "b": "boolean",
    "ts": "timestamp",
    "dd": "date",
}
SPARK_TABLES = {
    "big": Table(relation="`mart`.`t`", columns=SPARK_COLUMNS, dialect=SPARK),
    # a size estimate (no Spark catalog gives one) still folds nothing: Spark has no list aggregates
    "small": Table(relation="`mart`.`t`", columns=SPARK_COLUMNS, estimated_rows=10, dialect=SPARK),
}
# what the Spark dialect refuses in SAMPLE, by (type, column): the reason's text
SPARK_REFUSED = {
    ("expect_column_values_to_be_between", "dd"): "a text bound against a date/time column on Spark"
}


def _spark_sample() -> list[tuple[str, dict[str, Any]]]:
    """SAMPLE on Spark's columns (``we"ird`` is ``we`ird``: a quote character inside the quotes)."""

    def rename(value: Any) -> Any:
        if value == 'we"ird':
            return "we`ird"
        if isinstance(value, list):
            return [rename(v) for v in value]
        return value

    return [(t, {k: rename(v) for k, v in kw.items()}) for t, kw in SAMPLE]


def _spark_emitted(table: Table) -> tuple[list[dict[str, Any]], dict[tuple[str, str], str]]:
    compiled: list[tuple[str, dict[str, Any]]] = []
    refused: dict[tuple[str, str], str] = {}
    for etype, kwargs in _spark_sample():
        try:
            compile_expectation(etype, kwargs, table)
        except Unsupported as exc:
            refused[(etype, kwargs.get("column", ""))] = str(exc)
            continue
        compiled.append((etype, kwargs))
    return emitted(table, compiled), refused


@pytest.mark.parametrize("size", list(SPARK_TABLES))
def test_spark_sql_of_every_check_is_spark_sql(size: str) -> None:
    """Every statement parses as Spark SQL (sqlglot), names only the table's columns, quotes them with
    backticks, binds one value per placeholder, and uses nothing DuckDB-only."""
    import sqlglot
    from sqlglot import exp

    out, refused = _spark_emitted(SPARK_TABLES[size])
    assert refused == SPARK_REFUSED
    assert {x["type"] for x in out} | {t for t, _ in SPARK_REFUSED} == {t for t, _ in SAMPLE}
    statements = [(x["scan"], x["params"]) for x in out] + [(q, p) for x in out for q, p in x["follow_ups"]]
    assert len(statements) > len(out)  # follow-ups too
    for sql, params in statements:
        tree = sqlglot.parse_one(sql, read="spark")  # raises on anything Spark's grammar does not hold
        assert sql.count("?") == len(params), sql
        for column in tree.find_all(exp.Column):
            assert column.name in SPARK_COLUMNS or column.name == "n", (column.name, sql)
        for duckdb_only in (
            '"',
            " ~ ",
            "!~",
            "list(",
            "list_",
            "filter (where",
            "quantile_disc",
            "::",
            "struct_pack",
        ):
            assert duckdb_only not in sql, (duckdb_only, sql)
        assert " semi join" not in sql or " left semi join" in sql, sql
    scans = "\n".join(x["scan"] for x in out)
    assert "`we``ird`" in scans and "`s` rlike ?" in scans and "not (`s` rlike ?)" in scans
    follow_ups = "\n".join(q for x in out for q, _ in x["follow_ups"])
    assert "select cast(t.`ts` as timestamp_ntz) from `mart`.`t` as t left semi join" in follow_ups
    assert "order by `i` limit 2 offset 1" in follow_ups  # the median: an ordered read, no quantile_disc


def test_spark_sql_is_not_duckdb_sql_with_other_quotes() -> None:
    """The regex pattern, the datetime bounds and the bigint sum differ in substance, not only in spelling."""
    table = SPARK_TABLES["big"]
    scan = Scan()
    compile_expectation("expect_column_values_to_match_regex", {"column": "s", "regex": "^a.c$"}, table).plan(
        scan
    )
    between = {"column": "ts", "min_value": dt.datetime(2026, 1, 1), "max_value": dt.datetime(2026, 2, 1, 12)}
    compile_expectation("expect_column_values_to_be_between", between, table).plan(scan)
    check = compile_expectation("expect_column_sum_to_be_between", {"column": "j", "min_value": 0}, table)
    check.plan(scan)
    sql, params = scan.sql(table.relation)
    assert params == ["\\Aa[^\\x{a}]c\\z", "2026-01-01 00:00:00", "2026-02-01 12:00:00"]
    assert "`ts` >= cast(? as timestamp_ntz) and `ts` <= cast(? as timestamp_ntz)" in sql
    assert "cast(sum(cast(`j` as decimal(38,0))) as string)" in sql
    row: list[Any] = [None] * len(scan.exprs)
    row[-1] = "9223372039854775938"  # beyond a bigint: Spark's own sum would have wrapped
    assert check.metrics(row, _no_query, result_format("SUMMARY", 20)) == {"column.sum": 9223372039854775938}
    row[-1] = None
    assert check.metrics(row, _no_query, result_format("SUMMARY", 20)) == {"column.sum": None}
    smallint = compile_expectation("expect_column_sum_to_be_between", {"column": "h", "min_value": 0}, table)
    assert isinstance(smallint, ColumnAggregate) and smallint.exprs == {"column.sum": ("sum(`h`)", ())}


def _no_query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    raise AssertionError(f"unexpected query {sql}")


@pytest.mark.parametrize(
    ("data_type", "family"),
    [
        ("string", "string"),
        ("varchar(10)", "string"),
        ("char(3)", "other"),
        ("string collate UTF8_LCASE", "other"),
        ("tinyint", "integer"),
        ("smallint", "integer"),
        ("int", "integer"),
        ("bigint", "integer"),
        ("decimal(12,2)", "decimal"),
        ("decimal(38,0)", "decimal"),
        ("double", "float"),
        ("float", "float"),
        ("boolean", "boolean"),
        ("date", "temporal"),
        ("timestamp", "temporal"),
        ("timestamp_ntz", "temporal"),
        ("interval day to second", "other"),
        ("array<int>", "other"),
        ("struct<a:int>", "other"),
        ("map<string,int>", "other"),
        ("binary", "other"),
        ("void", "other"),
    ],
)
def test_spark_type_families(data_type: str, family: str) -> None:
    assert SPARK.type_family(data_type) == family
    assert SPARK.type_family(data_type.upper()) == family


def test_duckdb_type_families_are_the_compilers() -> None:
    for data_type in (
        "INTEGER",
        "HUGEINT",
        "DECIMAL(18,2)",
        "VARCHAR",
        "TIMESTAMP WITH TIME ZONE",
        "STRUCT(a INT)",
    ):
        assert DUCKDB.type_family(data_type) == type_family(data_type)


def test_quoting_and_relations() -> None:
    assert DUCKDB.quote('we"ird') == '"we""ird"' and DUCKDB.relation(None, "t") == '"main"."t"'
    assert SPARK.quote("we`ird") == "`we``ird`" and SPARK.relation("raw_shop", "t") == "`raw_shop`.`t`"
    assert SPARK.relation(None, "t") == "`main`.`t`"  # SparkWarehouse.default_schema
    assert POSTGRES.quote('we"ird') == '"we""ird"' and POSTGRES.relation(None, "t") == '"public"."t"'
    assert dialect_named("spark") is SPARK and dialect_named("duckdb") is DUCKDB
    assert dialect_named("postgres") is POSTGRES
    with pytest.raises(Unsupported, match="mysql"):
        dialect_named("mysql")


@pytest.mark.parametrize(
    ("value", "family", "expected"),
    [
        (1, "integer", ("?", 1)),
        (2**62, "integer", ("?", 2**62)),
        (0.5, "float", ("?", 0.5)),
        (decimal.Decimal("1.25"), "decimal", ("?", decimal.Decimal("1.25"))),
        ("a", "string", ("?", "a")),
        (True, "boolean", ("?", True)),
        (dt.date(2026, 1, 2), "temporal", ("?", dt.date(2026, 1, 2))),
        (
            dt.datetime(2026, 1, 2, 3, 4, 5, 6),
            "temporal",
            ("cast(? as timestamp_ntz)", "2026-01-02 03:04:05.000006"),
        ),
    ],
)
def test_spark_parameters(value: Any, family: str, expected: tuple[str, Any]) -> None:
    assert SPARK.param(value, family) == expected
    assert DUCKDB.param(value, family) == ("?", value)


@pytest.mark.parametrize(
    ("value", "family", "reason"),
    [
        (dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "temporal", "timezone-aware"),
        ("2026-01-02", "temporal", "text bound"),
        (2**63, "integer", "64 bits"),
        (-(2**63) - 1, "integer", "64 bits"),
        (decimal.Decimal("1" * 39), "decimal", "no Spark literal"),
        (decimal.Decimal("NaN"), "decimal", "no Spark literal"),
    ],
)
def test_spark_refuses_parameters_it_cannot_bind_as_duckdb_does(value: Any, family: str, reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        SPARK.param(value, family)


@pytest.mark.parametrize(
    ("re2", "java"),
    [
        ("", ""),
        ("a", "a"),
        ("^[a-z]+$", "\\A(?:[a-z])+\\z"),
        ("^SKU-[0-9]{6}$", "\\ASKU\\x{2d}(?:[0-9]){6}\\z"),
        ("^.{0,2}$", "\\A(?:[^\\x{a}]){0,2}\\z"),
        ("(?s).*", "(?:(?s:.))*"),
        ("[À-ÿ]", "[\\x{c0}-\\x{ff}]"),
        ("\\d\\w\\s", "[0-9][0-9A-Z\\x{5f}a-z][\\x{9}-\\x{a}\\x{c}-\\x{d}\\x{20}]"),
        ("[^\\d.]", "[^0-9\\x{2e}]"),
        ("[]a-]", "[\\x{5d}a\\x{2d}]"),
        ("(ab|c)+?", "(?:(?:ab|c))+"),
        ("a{2,}b{1,3}", "(?:a){2,}(?:b){1,3}"),
        ("\\x41\\x{1F642}\\.\\n", "A\\x{1f642}\\x{2e}\\x{a}"),
        ("x'y|日", "x\\x{27}y|\\x{65e5}"),
        ("a\\z", "a\\z"),
        ("(a*)?", "(?:(?:(?:a)*))?"),
    ],
)
def test_regexes_translate_to_java(re2: str, java: str) -> None:
    assert java_regex(re2) == java
    assert SPARK.regex("`s`", re2, negate=False) == ("`s` rlike ?", [java])
    assert SPARK.regex("`s`", re2, negate=True) == ("not (`s` rlike ?)", [java])
    assert DUCKDB.regex('"s"', re2, negate=True) == ('"s" !~ ?', [re2])


@pytest.mark.parametrize(
    ("re2", "reason"),
    [
        ("(?i)k", "flags"),
        ("a(?s).", "flags"),
        ("(?P<n>a)", "flags"),
        ("(?=a)", "flags"),
        ("\\bword", "escape"),
        ("\\pL", "escape"),
        ("\\1", "escape"),
        ("\\Qa.b\\E", "escape"),
        ("[[:alpha:]]", "POSIX"),
        ("a{,2}", "not a repetition"),
        ("a{", "not a repetition"),
        ("a{1001}", "RE2 refuses"),
        ("a{3,2}", "RE2 refuses"),
        ("(a+)+$", "unbounded"),
        ("(a|b*)*", "unbounded"),
        ("a*+", "repetition of a repetition"),
        ("a**", "repetition of a repetition"),
        ("*a", "nothing to repeat"),
        ("^*", "anchor"),
        ("(a", "unclosed group"),
        ("a)", "unexpected"),
        ("[a", "unclosed class"),
        ("[z-a]", "out of order"),
        ("[\\D]", "negated Perl class"),
        ("[a-\\d]", "range ending in a class"),
        ("[\\d-z]", "range"),
        ("\\x{110000}", "of no character"),
        ("\\x{d800}", "of no character"),
        ("\\x{zz}", "malformed"),
        ("a\\", "trailing backslash"),
    ],
)
def test_regexes_spark_cannot_reproduce_are_refused(re2: str, reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        java_regex(re2)


# --- the Spark catalog and the engine, on a stand-in connection ---------------------------------------------


class FakeSpark:
    """Answers the catalog's statements as Spark 4 does, and a scan with fixed values."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.raw = None
        self.scan_row: tuple[Any, ...] = (3,)
        self.closed = False

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        if sql == "show databases":
            return [("default",), ("main",), ("raw_shop",)]
        if sql == "show tables in `main`":
            return [("main", "orders", False), ("main", "v_orders", False), ("", "tmp_view", True)]
        if sql == "show tables in `raw_shop`":
            return [("raw_shop", "orders", False)]
        if sql.startswith("show tables in"):
            return []
        if sql.startswith("describe table `main`.`orders`"):
            return [
                ("order_id", "bigint", None),
                ("Amount", "decimal(12,2)", "the amount"),
                ("order_date", "date", None),
                ("# Partition Information", "", ""),
                ("# col_name", "data_type", "comment"),
                ("order_date", "date", None),
            ]
        if sql.startswith("describe table"):
            return [("id", "int", None), ("", "", ""), ("# Detailed Table Information", "", "")]
        if sql.startswith("select\n"):
            return [self.scan_row]
        raise AssertionError(f"unexpected statement {sql}")

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeSparkWarehouse:
    con: FakeSpark
    dialect: str = "spark"
    label: str = "spark (fake)"

    def connect(self) -> FakeSpark:
        return self.con


def test_the_spark_catalog_lists_every_database_and_describes_a_relation_once() -> None:
    fake = FakeSpark()
    catalog = load_spark_catalog(fake.rows)
    assert fake.statements == [
        "show databases",
        "show tables in `default`",
        "show tables in `main`",
        "show tables in `raw_shop`",
    ]
    assert (
        catalog.exists("main", "orders")
        and catalog.exists(None, "ORDERS")
        and catalog.exists("raw_shop", "orders")
    )
    assert not catalog.exists("main", "tmp_view") and not catalog.exists("main", "nope")
    table = catalog.table("MAIN", "Orders")
    assert table.relation == "`main`.`orders`" and table.dialect is SPARK
    assert dict(table.columns) == {"order_id": "bigint", "Amount": "decimal(12,2)", "order_date": "date"}
    assert table.unique_keys == () and table.estimated_rows is None
    assert catalog.table("main", "orders") is table
    assert catalog.table("raw_shop", "orders").columns == {"id": "int"}
    assert sum(s.startswith("describe") for s in fake.statements) == 2  # once per relation asked for
    missing = catalog.table("main", "nope")
    assert missing.columns == {} and missing.relation == "`main`.`nope`"


def test_the_engine_validates_through_a_spark_warehouse_connection(tmp_path: Path) -> None:
    fake = FakeSpark()
    suite_path = tmp_path / "orders.json"
    suite_path.write_text(
        json.dumps(
            {
                "name": "test.orders",
                "expectations": [
                    {
                        "type": "expect_table_row_count_to_equal",
                        "kwargs": {"value": 3},
                        "severity": "critical",
                    },
                    {
                        "type": "expect_column_values_to_not_be_null",
                        "kwargs": {"column": "order_id"},
                        "severity": "critical",
                    },
                ],
            }
        )
    )
    product = SimpleNamespace(
        id="test.orders",
        name="orders",
        latest=SimpleNamespace(schema="main", alias="orders", relation="main.orders"),
    )
    engine = SqlEngine(
        FakeSparkWarehouse(fake),
        result_format=result_format("SUMMARY", 20),
        run_name="fake",
        run_time=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    try:
        assert engine.dialect is SPARK and engine.relation_exists("main", "orders")
        fake.scan_row = (3, 0)  # count(*), the null count of order_id
        result = engine.validate(cast(Any, product), load_suite(suite_path), {}).to_json_dict()
    finally:
        engine.close()
    assert fake.closed
    assert result["success"] and result["statistics"]["successful_expectations"] == 2
    scan = next(s for s in engine.queries if s.startswith("select\n"))
    assert scan == "select\n  count(*),\n  count(*) - count(`order_id`)\nfrom `main`.`orders`"


def test_the_engine_writes_no_other_dialect() -> None:
    mysql = SimpleNamespace(dialect="mysql", label="mysql://dp@127.0.0.1:3306/dataproducts")
    with pytest.raises(WarehouseError, match="writes no mysql SQL"):
        SqlEngine(
            cast(Any, mysql),
            result_format=result_format("SUMMARY", 20),
            run_name="x",
            run_time=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        )


# --- PostgreSQL ---------------------------------------------------------------------------------------------

POSTGRES_COLUMNS = {
    "i": "integer",
    "j": "bigint",
    "h": "smallint",
    "f": "double precision",
    "d": "numeric(12,2)",
    "s": "text",
    'we"ird': "character varying(20)",
    "b": "boolean",
    "ts": "timestamp without time zone",
    "dd": "date",
}


def test_postgres_sql_of_every_check_is_postgres_sql() -> None:
    """Every statement parses as PostgreSQL (sqlglot), one value per placeholder, nothing DuckDB-only; the
    pieces that differ from DuckDB's are there."""
    import sqlglot

    table = Table(relation='"mart"."t"', columns=POSTGRES_COLUMNS, estimated_rows=10, dialect=POSTGRES)
    compiled, refused = [], {}
    for etype, kwargs in SAMPLE:
        try:
            compile_expectation(etype, kwargs, table)
        except Unsupported as exc:
            refused[(etype, kwargs.get("column", ""))] = str(exc)
            continue
        compiled.append((etype, kwargs))
    assert refused == {
        ("expect_column_values_to_be_between", "dd"): "a text bound against a date/time column on PostgreSQL"
    }
    out = emitted(table, compiled)
    statements = [(x["scan"], x["params"]) for x in out] + [(q, p) for x in out for q, p in x["follow_ups"]]
    for sql, params in statements:
        sqlglot.parse_one(sql, read="postgres")
        assert sql.count("?") == len(params), sql
        for duckdb_only in ("list(", "list_", "quantile_disc", "::", "struct_pack", "semi join"):
            assert duckdb_only not in sql, (duckdb_only, sql)
    text = "\n".join(sql for sql, _ in statements)
    assert 'sum(cast(? as double precision) * "i") / nullif(count("i"), 0)' in text  # the mean
    assert 'cast(sum("j") as text)' in text and '"f" > cast(? as double precision)' in text
    assert "where exists (select 1 from (select" in text and "having count(*) >= 2) as c" in text
    assert '"s" ~ ?' in text and '"s" !~ ?' in text


def test_postgres_type_families_and_parameters() -> None:
    families = {
        "integer": "integer",
        "bigint": "integer",
        "smallint": "integer",
        "numeric(12,2)": "decimal",
        "numeric": "decimal",
        "double precision": "float",
        "real": "float",
        "text": "string",
        "character varying(20)": "string",
        "character varying": "string",
        "character(3)": "other",
        "boolean": "boolean",
        "date": "temporal",
        "timestamp without time zone": "temporal",
        "timestamp(3) without time zone": "temporal",
        "timestamp with time zone": "other",
        "jsonb": "other",
        "uuid": "other",
    }
    assert {t: POSTGRES.type_family(t) for t in families} == families
    assert POSTGRES.param(0.5, "decimal") == ("cast(? as double precision)", 0.5)
    assert POSTGRES.param(2**70, "integer") == ("?", 2**70)  # a numeric literal: exact, as DuckDB's HUGEINT
    assert POSTGRES.param(dt.datetime(2026, 1, 2), "temporal") == ("?", dt.datetime(2026, 1, 2))
    for value, family in ((dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "temporal"), ("2026-01-02", "temporal")):
        with pytest.raises(Unsupported):
            POSTGRES.param(value, family)
    assert (
        POSTGRES.ordered('"s"', "text") == '"s" collate "C"' and POSTGRES.ordered('"i"', "integer") == '"i"'
    )


@pytest.mark.parametrize(
    ("re2", "are"),
    [
        ("^[a-z]+$", "\\A(?:[a-z])+\\Z"),
        ("^.{0,2}$", "\\A(?:[^\\U0000000a]){0,2}\\Z"),
        ("(?s)a.b", "a.b"),
        ("\\s", "[\\U00000009-\\U0000000a\\U0000000c-\\U0000000d\\U00000020]"),
        ("x'y|日", "x\\U00000027y|\\U000065e5"),
    ],
)
def test_regexes_translate_to_postgres_ares(re2: str, are: str) -> None:
    assert POSTGRES.regex('"s"', re2, negate=False) == ('"s" ~ ?', [are])
    assert POSTGRES.regex('"s"', re2, negate=True) == ('"s" !~ ?', [are])


def test_postgres_refuses_repetitions_above_255() -> None:
    with pytest.raises(Unsupported, match="above 255"):
        POSTGRES.regex('"s"', "a{256}", negate=False)
    assert SPARK.regex("`s`", "a{256}", negate=False)[1] == ["(?:a){256}"]
