"""Measurement (a): for each product, one plain DuckDB query computing the metrics of its suite in a single
scan, the way an engineer would write it by hand (``count(*) filter (where ...)``, ``count(distinct ...)``,
``max``/``avg``/``median``): the floor the compiled engine is measured against.

The SQL is written out from the suite with the suite parameters inlined: per expectation the numbers its
GX result reports, each aggregate written once (``count(*)`` is every expectation's ``element_count``):
the unexpected count, plus for a column map expectation its column's null count (``missing_count``) and
for a pair or multicolumn expectation the rows of its domain (pairs not both null, tuples not all null).
Uniqueness is the hand-written shortcut ``count(c) - count(distinct c)`` (zero exactly when GX's count is).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from dataproducts.artifacts import load_manifest
from dataproducts.config import ProjectConfig
from dataproducts.products import load_products
from dataproducts.validation.suites import read_suite_json, suite_parameters


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _between(col: str, kw: dict[str, Any]) -> str:
    parts = []
    if kw.get("min_value") is not None:
        parts.append(f"{col} {'>' if kw.get('strict_min') else '>='} {lit(kw['min_value'])}")
    if kw.get("max_value") is not None:
        parts.append(f"{col} {'<' if kw.get('strict_max') else '<='} {lit(kw['max_value'])}")
    return " and ".join(parts) or "true"


# one aggregate each, ``{c}`` the quoted column
_AGGREGATES = {
    "expect_column_max_to_be_between": "max({c})",
    "expect_column_min_to_be_between": "min({c})",
    "expect_column_mean_to_be_between": "avg({c})",
    "expect_column_median_to_be_between": "median({c})",
    "expect_column_unique_value_count_to_be_between": "count(distinct {c})",
    "expect_column_proportion_of_unique_values_to_be_between": "count(distinct {c}) / count({c})",
    "expect_column_proportion_of_non_null_values_to_be_between": "count({c}) / count(*)",
    "expect_column_distinct_values_to_equal_set": "list(distinct {c})",
    "expect_table_row_count_to_be_between": "count(*)",
}


def expressions(kind: str, kw: dict[str, Any]) -> list[str]:
    """The aggregates one expectation's result needs (see the module docstring)."""
    c = q(kw["column"]) if "column" in kw else ""
    nulls = f"count(*) filter (where {c} is null)"
    if kind == "expect_column_values_to_not_be_null":
        return ["count(*)", nulls]
    if kind == "expect_column_values_to_be_unique":
        return ["count(*)", nulls, f"count({c}) - count(distinct {c})"]
    if kind == "expect_compound_columns_to_be_unique":
        cols = [q(x) for x in kw["column_list"]]
        domain = f"count(*) filter (where not ({' and '.join(f'{x} is null' for x in cols)}))"
        return ["count(*)", domain, f"count(*) - count(distinct ({', '.join(cols)}))"]
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(lit(v) for v in kw["value_set"])
        return ["count(*)", nulls, f"count(*) filter (where {c} not in ({values}))"]
    if kind == "expect_column_values_to_be_between":
        return ["count(*)", nulls, f"count(*) filter (where not ({_between(c, kw)}))"]
    if kind == "expect_column_values_to_match_regex":
        return ["count(*)", nulls, f"count(*) filter (where not regexp_matches({c}, {lit(kw['regex'])}))"]
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = q(kw["column_A"]), q(kw["column_B"])
        op = ">=" if kw.get("or_equal") else ">"
        domain = f"count(*) filter (where not ({a} is null and {b} is null))"
        return ["count(*)", domain, f"count(*) filter (where not ({a} {op} {b}))"]
    if kind in _AGGREGATES:
        return [_AGGREGATES[kind].format(c=c)]
    raise ValueError(f"no hand-written SQL for {kind}")


def _substitute(value: Any, params: dict[str, str]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return params[value["$PARAMETER"]]
    return value


def product_queries(cfg: ProjectConfig, as_of: dt.date) -> dict[str, str]:
    """``{product id: single-scan SQL}`` for every product of the manifest."""
    params = suite_parameters(as_of)
    out: dict[str, str] = {}
    for product in load_products(load_manifest(cfg.manifest_path)):
        suite = read_suite_json(product.suite_path(cfg.project_dir))
        exprs: dict[str, None] = {}  # each aggregate written once, in order
        for e in suite["expectations"]:
            kw = {k: _substitute(v, params) for k, v in e["kwargs"].items()}
            exprs.update(dict.fromkeys(expressions(e["type"], kw)))
        version = product.latest
        out[product.id] = (
            "select\n  "
            + ",\n  ".join(exprs)
            + f"\nfrom {q(version.schema or 'main')}.{q(version.alias or '')}"
        )
    return out


if __name__ == "__main__":  # print the queries of the repository's own project
    import sys
    from pathlib import Path

    from dataproducts.config import load_config

    print(
        json.dumps(
            product_queries(load_config(Path(sys.argv[1])), dt.date.fromisoformat(sys.argv[2])), indent=1
        )
    )
