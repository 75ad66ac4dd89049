"""DP016: where one rule about a product's data is stated twice, the statements agree.

A rule may live in three places: a contract constraint (checked by DuckDB at insert), a dbt test (checked by
``dbt build``) and an expectation in the product's GX suite (checked by ``dp validate``). Stated twice, the
copies drift: a status added to the suite but not to the check constraint fails the build, a range widened
in the test but not in the suite fails validation. This module reads every statement of four kinds about
each column of a product's latest version and reports the pairs that disagree:

- **allowed values**: ``check`` constraints ``<column> in (...)``, ``accepted_values`` tests,
  ``expect_column_values_to_be_in_set``;
- **minimum** and **maximum**: ``check`` constraints ``<column> >= n`` / ``> n`` / ``between a and b``,
  ``accepted_range`` tests, ``expect_column_values_to_be_between`` (a strict bound on an integer column is
  the inclusive one next to it: ``> 0`` is ``>= 1``);
- **nullability**: ``not_null`` / ``primary_key`` constraints and ``not_null`` tests say *never null*; an
  expectation that tolerates nulls (``mostly`` < 1) or expects them disagrees.

Statements the parser does not understand (other check expressions) are left out, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dataproducts.artifacts import Node

_IN_LIST = re.compile(r"^\(?\s*\"?(\w+)\"?\s+in\s*\((.*)\)\s*\)?$", re.IGNORECASE | re.DOTALL)
_COMPARE = re.compile(r"^\(?\s*\"?(\w+)\"?\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*\)?$")
_BETWEEN = re.compile(
    r"^\(?\s*\"?(\w+)\"?\s+between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)\s*\)?$", re.IGNORECASE
)
_INTEGER = re.compile(
    r"^(tinyint|smallint|integer|int|bigint|hugeint|int\d|u?bigint|utinyint|usmallint|uinteger)"
)


@dataclass(frozen=True)
class Statement:
    where: str  # "check constraint", "dbt test accepted_values", "suite expect_column_values_to_be_in_set"
    column: str
    kind: str  # values | min | max | nulls
    value: Any  # frozenset of values | (number, strict) | "never" / "tolerated" / "expected"


def _literals(text: str) -> frozenset[str]:
    return frozenset(part.strip().strip("'\"") for part in text.split(",") if part.strip())


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _bound(kind: str, value: float, strict: bool, integer: bool) -> tuple[float, bool]:
    """A bound as (value, strict); a strict bound on an integer column is the inclusive one next to it."""
    if strict and integer:
        return (value + 1 if kind == "min" else value - 1), False
    return value, strict


def _check_statements(expression: str, integer: Callable[[str], bool]) -> Iterator[Statement]:
    text = expression.strip()
    if match := _IN_LIST.match(text):
        yield Statement("check constraint", match[1], "values", _literals(match[2]))
    elif match := _BETWEEN.match(text):
        whole = integer(match[1])
        yield Statement("check constraint", match[1], "min", _bound("min", float(match[2]), False, whole))
        yield Statement("check constraint", match[1], "max", _bound("max", float(match[3]), False, whole))
    elif match := _COMPARE.match(text):
        kind = "min" if match[2].startswith(">") else "max"
        strict = len(match[2]) == 1
        yield Statement(
            "check constraint", match[1], kind, _bound(kind, float(match[3]), strict, integer(match[1]))
        )


def statements(
    node: Node, tests: Iterable[Node], expectations: Iterable[Mapping[str, Any]]
) -> list[Statement]:
    """Every statement about the node's columns, from its constraints, its tests and its suite."""
    types = {name.lower(): (info.data_type or "").lower() for name, info in node.columns.items()}

    def integer(column: str) -> bool:
        return bool(_INTEGER.match(types.get(column.lower(), "")))

    found: list[Statement] = []
    for name, info in node.columns.items():
        for constraint in info.constraints:
            if constraint.type in ("not_null", "primary_key"):
                found.append(Statement(f"{constraint.type} constraint", name, "nulls", "never"))
            elif constraint.type == "check" and constraint.expression:
                found += _check_statements(constraint.expression, integer)
    for constraint in node.constraints:
        if constraint.type == "check" and constraint.expression:
            found += _check_statements(constraint.expression, integer)
        elif constraint.type == "primary_key":
            found += [Statement("primary_key constraint", c, "nulls", "never") for c in constraint.columns]
    for test in tests:
        meta = test.test_metadata
        column = test.column_name or (meta.kwargs.get("column_name") if meta else None)
        if meta is None or not isinstance(column, str):
            continue
        where = f"dbt test {meta.name}"
        if meta.name == "accepted_values" and isinstance(meta.kwargs.get("values"), list):
            found.append(Statement(where, column, "values", frozenset(str(v) for v in meta.kwargs["values"])))
        elif meta.name == "not_null":
            found.append(Statement(where, column, "nulls", "never"))
        elif meta.name == "accepted_range":
            inclusive = meta.kwargs.get("inclusive", True) is not False
            for key, kind in (("min_value", "min"), ("max_value", "max")):
                number = _number(meta.kwargs.get(key))
                if number is not None:
                    found.append(
                        Statement(where, column, kind, _bound(kind, number, not inclusive, integer(column)))
                    )
    for expectation in expectations:
        kind_name = str(expectation.get("type", ""))
        kwargs = expectation.get("kwargs") or {}
        column = kwargs.get("column")
        if not isinstance(column, str):
            continue
        where = f"suite {kind_name}"
        if kind_name == "expect_column_values_to_be_in_set" and isinstance(kwargs.get("value_set"), list):
            found.append(Statement(where, column, "values", frozenset(str(v) for v in kwargs["value_set"])))
        elif kind_name == "expect_column_values_to_be_between":
            for key, kind in (("min_value", "min"), ("max_value", "max")):
                number = _number(kwargs.get(key))
                if number is not None:
                    strict = bool(kwargs.get(f"strict_{kind}"))
                    found.append(
                        Statement(where, column, kind, _bound(kind, number, strict, integer(column)))
                    )
        elif kind_name == "expect_column_values_to_not_be_null":
            mostly = _number(kwargs.get("mostly"))
            found.append(
                Statement(
                    where, column, "nulls", "tolerated" if mostly is not None and mostly < 1 else "never"
                )
            )
        elif kind_name == "expect_column_values_to_be_null":
            found.append(Statement(where, column, "nulls", "expected"))
    return found


def _shown(statement: Statement) -> str:
    value = statement.value
    if statement.kind == "values":
        return "{" + ", ".join(sorted(value)) + "}"
    if statement.kind in ("min", "max"):
        number, strict = value
        sign = (">" if strict else ">=") if statement.kind == "min" else ("<" if strict else "<=")
        return f"{sign} {number:g}"
    return {"never": "never null", "tolerated": "some nulls tolerated", "expected": "null expected"}[value]


def disagreements(found: Iterable[Statement]) -> Iterator[str]:
    """One message per column and kind whose statements differ: where each says what."""
    by_key: dict[tuple[str, str], list[Statement]] = {}
    for statement in found:
        by_key.setdefault((statement.column.lower(), statement.kind), []).append(statement)
    labels = {"values": "allowed values", "min": "minimum", "max": "maximum", "nulls": "nullability"}
    for (_column, kind), group in sorted(by_key.items()):
        if kind == "nulls":
            if not any(s.value == "never" for s in group) or all(s.value == "never" for s in group):
                continue
        elif len({s.value for s in group}) < 2:
            continue
        said = "; ".join(f"{s.where}: {_shown(s)}" for s in dict.fromkeys(group))
        yield f"{group[0].column}: {labels[kind]} disagree ({said})"
