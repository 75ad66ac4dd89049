"""DP016: a rule stated as a constraint, a dbt test and a suite expectation says the same in each place.
DP018: a test or an expectation that only restates an enforced constraint is found, and nothing that says more."""

from __future__ import annotations

from typing import Any

import pytest

from dataproducts.artifacts import Node
from dataproducts.governance.agreement import (
    constraint_statements,
    dbt_test_statements,
    disagreements,
    expectation_statements,
    integer_columns,
    restated,
    statements,
)


def _node(columns: dict[str, dict[str, Any]], constraints: list[dict[str, Any]] | None = None) -> Node:
    return Node.model_validate(
        {
            "unique_id": "model.p.orders",
            "resource_type": "model",
            "name": "orders",
            "columns": {name: {"name": name, **info} for name, info in columns.items()},
            "constraints": constraints or [],
        }
    )


def _test(name: str, column: str, **kwargs: Any) -> Node:
    return Node.model_validate(
        {
            "unique_id": f"test.p.{name}_{column}",
            "resource_type": "test",
            "name": f"{name}_{column}",
            "column_name": column,
            "attached_node": "model.p.orders",
            "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}},
        }
    )


def _check(expression: str) -> dict[str, Any]:
    return {"type": "check", "expression": expression}


STATUS = {"data_type": "varchar", "constraints": [_check("status in ('placed', 'shipped')")]}


def test_the_same_rule_in_three_places_agrees() -> None:
    node = _node(
        {"status": STATUS, "amount": {"data_type": "integer", "constraints": [_check("amount > 0")]}}
    )
    tests = [_test("accepted_values", "status", values=["shipped", "placed"])]
    suite = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "status", "value_set": ["placed", "shipped"]},
        },
        # `> 0` on an integer column is `>= 1`
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 1}},
    ]
    assert list(disagreements(statements(node, tests, suite))) == []


def test_allowed_values_that_differ_are_named_with_where_each_is_stated() -> None:
    node = _node({"status": STATUS})
    suite = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "status", "value_set": ["placed", "shipped", "lost"]},
        }
    ]
    (message,) = disagreements(statements(node, [], suite))
    assert message == (
        "status: allowed values disagree (check constraint: {placed, shipped}; "
        "suite expect_column_values_to_be_in_set: {lost, placed, shipped})"
    )


@pytest.mark.parametrize(
    ("expression", "kwargs", "kind"),
    [
        ("price >= 0", {"min_value": 0, "strict_min": True}, "minimum"),
        ("price between 0 and 100", {"min_value": 0, "max_value": 50}, "maximum"),
        ("price <= 10", {"max_value": 10.5}, "maximum"),
    ],
)
def test_ranges_that_differ_disagree(expression: str, kwargs: dict[str, Any], kind: str) -> None:
    node = _node({"price": {"data_type": "decimal(10,2)", "constraints": [_check(expression)]}})
    suite = [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "price", **kwargs}}]
    (message,) = disagreements(statements(node, [], suite))
    assert message.startswith(f"price: {kind} disagree (check constraint: ")


def test_a_test_range_and_a_suite_range_are_compared_too() -> None:
    node = _node({"qty": {"data_type": "bigint"}})
    tests = [_test("accepted_range", "qty", min_value=0, max_value=99)]
    suite = [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "qty", "min_value": 0, "max_value": 100},
        }
    ]
    assert list(disagreements(statements(node, tests, suite))) == [
        "qty: maximum disagree (dbt test accepted_range: <= 99; suite expect_column_values_to_be_between: <= 100)"
    ]


def test_nullability_disagrees_only_when_one_place_tolerates_what_another_forbids() -> None:
    node = _node({"id": {"constraints": [{"type": "not_null"}]}, "note": {}})
    tolerant = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id", "mostly": 0.9}}]
    assert list(disagreements(statements(node, [], tolerant))) == [
        "id: nullability disagree (not_null constraint: never null; "
        "suite expect_column_values_to_not_be_null: some nulls tolerated)"
    ]
    same = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]
    assert list(disagreements(statements(node, [_test("not_null", "id")], same))) == []
    # a column no constraint or test promises anything about: a tolerant suite is the only statement
    note = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "note", "mostly": 0.5}}]
    assert list(disagreements(statements(node, [], note))) == []


def test_model_level_checks_and_keys_count_and_unknown_expressions_are_left_out() -> None:
    node = _node(
        {"id": {}, "status": {"data_type": "varchar"}},
        [
            {"type": "primary_key", "columns": ["id"]},
            _check("status in ('a', 'b')"),
            _check("length(status) < 10 or status is null"),
        ],
    )
    found = statements(node, [], [])
    assert {(s.column, s.kind) for s in found} == {("id", "nulls"), ("id", "unique"), ("status", "values")}


# --- DP018: copies of an enforced constraint ---------------------------------------------------------------------

ENFORCED = _node(
    {
        "order_id": {"data_type": "integer", "constraints": [{"type": "not_null"}, {"type": "primary_key"}]},
        "status": STATUS,
        "qty": {"data_type": "integer", "constraints": [{"type": "not_null"}, _check("qty > 0")]},
        "rate": {"data_type": "double", "constraints": [_check("rate between 0 and 1")]},
        "day": {"data_type": "date", "constraints": [{"type": "not_null"}]},
        "note": {"data_type": "varchar"},
    },
    [{"type": "primary_key", "columns": ["day", "qty"]}],
)


def _restated_by_expectation(kind: str, **kwargs: Any) -> list[str]:
    made = restated(
        expectation_statements({"type": kind, "kwargs": kwargs}, integer_columns(ENFORCED)),
        kwargs,
        constraint_statements(ENFORCED),
    )
    return [f"{s.where} {s.said}".strip() for s in made]


@pytest.mark.parametrize(
    ("kind", "kwargs", "constraint"),
    [
        ("expect_column_values_to_not_be_null", {"column": "order_id"}, "not_null constraint"),
        ("expect_column_values_to_not_be_null", {"column": "day", "mostly": 1}, "not_null constraint"),
        ("expect_column_values_to_be_unique", {"column": "order_id"}, "primary_key constraint (order_id)"),
        # the key's columns in any order; a model-level key also forbids nulls
        (
            "expect_compound_columns_to_be_unique",
            {"column_list": ["qty", "day"]},
            "primary_key constraint (day, qty)",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": ["shipped", "placed"]},
            "check constraint status in ('placed', 'shipped')",
        ),
        # `> 0` on an integer column is `>= 1`
        ("expect_column_values_to_be_between", {"column": "qty", "min_value": 1}, "check constraint qty > 0"),
        (
            "expect_column_values_to_be_between",
            {"column": "rate", "min_value": 0, "max_value": 1},
            "check constraint rate between 0 and 1",
        ),
    ],
)
def test_a_copy_of_an_enforced_constraint_is_found(
    kind: str, kwargs: dict[str, Any], constraint: str
) -> None:
    assert _restated_by_expectation(kind, **kwargs) == [constraint]


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("expect_column_values_to_not_be_null", {"column": "order_id", "mostly": 0.9}),  # a mostly
        ("expect_column_values_to_not_be_null", {"column": "note"}),  # no constraint
        ("expect_column_values_to_be_unique", {"column": "day"}),  # a part of the key is not the key
        ("expect_compound_columns_to_be_unique", {"column_list": ["day", "order_id"]}),
        ("expect_column_values_to_be_in_set", {"column": "status", "value_set": ["placed"]}),  # another set
        (
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": ["placed", "shipped"], "mostly": 0.5},
        ),
        ("expect_column_values_to_be_between", {"column": "qty", "min_value": 1, "max_value": 5}),  # more
        ("expect_column_values_to_be_between", {"column": "qty", "min_value": 2}),  # another bound
        (
            "expect_column_values_to_be_between",
            {"column": "rate", "min_value": 0, "max_value": {"$PARAMETER": "x"}},
        ),
        ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "qty", "column_B": "rate"}),
    ],
)
def test_a_check_that_says_more_than_the_constraints_is_no_copy(kind: str, kwargs: dict[str, Any]) -> None:
    assert _restated_by_expectation(kind, **kwargs) == []


def test_dbt_tests_are_read_the_same_way() -> None:
    enforced = constraint_statements(ENFORCED)
    integer = integer_columns(ENFORCED)

    def made(test: Node) -> list[str]:
        assert test.test_metadata is not None
        found = restated(dbt_test_statements(test, integer), test.test_metadata.kwargs, enforced)
        return [f"{s.where} {s.said}".strip() for s in found]

    assert made(_test("unique", "order_id")) == ["primary_key constraint (order_id)"]
    assert made(_test("not_null", "qty")) == ["not_null constraint"]
    assert made(_test("accepted_values", "status", values=["placed", "shipped"])) == [
        "check constraint status in ('placed', 'shipped')"
    ]
    assert made(_test("accepted_range", "rate", min_value=0, max_value=1)) == [
        "check constraint rate between 0 and 1"
    ]
    combination = _test("unique_combination_of_columns", "day", combination_of_columns=["day", "qty"])
    assert made(combination) == ["primary_key constraint (day, qty)"]
    assert made(_test("accepted_values", "status", values=["placed", "shipped", "lost"])) == []
    assert made(_test("unique", "note")) == [] and made(_test("relationships", "order_id", to="x")) == []
