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

The same statements serve DP018 (``restated``): a dbt test or an expectation every statement of which an
enforced constraint already makes (the same allowed values, the same bound, never null, the key's uniqueness)
can never fail on the table that enforces the constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    column: str  # for ``unique``: the key's columns, comma-separated
    kind: str  # values | min | max | nulls | unique
    value: Any  # frozenset of values | (number, strict) | "never" / "tolerated" / "expected" | key columns
    said: str = field(default="", compare=False)  # a constraint's text: "status in (...)", "(a, b)"


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
    said = " ".join(text.split())
    if match := _IN_LIST.match(text):
        yield Statement("check constraint", match[1], "values", _literals(match[2]), said)
    elif match := _BETWEEN.match(text):
        whole = integer(match[1])
        yield Statement(
            "check constraint", match[1], "min", _bound("min", float(match[2]), False, whole), said
        )
        yield Statement(
            "check constraint", match[1], "max", _bound("max", float(match[3]), False, whole), said
        )
    elif match := _COMPARE.match(text):
        kind = "min" if match[2].startswith(">") else "max"
        strict = len(match[2]) == 1
        yield Statement(
            "check constraint", match[1], kind, _bound(kind, float(match[3]), strict, integer(match[1])), said
        )


def _key(columns: Iterable[str]) -> frozenset[str]:
    return frozenset(str(c).lower() for c in columns)


def _unique(where: str, columns: list[str], said: str = "") -> Statement:
    return Statement(where, ", ".join(columns), "unique", _key(columns), said)


def integer_columns(node: Node) -> Callable[[str], bool]:
    """Whether a column of the node is of an integer type (a strict bound is then the next inclusive one)."""
    types = {name.lower(): (info.data_type or "").lower() for name, info in node.columns.items()}

    def integer(column: str) -> bool:
        return bool(_INTEGER.match(types.get(column.lower(), "")))

    return integer


def constraint_statements(node: Node) -> list[Statement]:
    """What the node's constraints say, column and model level (keys: never null, and unique)."""
    integer = integer_columns(node)
    found: list[Statement] = []
    for name, info in node.columns.items():
        for constraint in info.constraints:
            if constraint.type in ("not_null", "primary_key"):
                found.append(Statement(f"{constraint.type} constraint", name, "nulls", "never"))
            if constraint.type in ("primary_key", "unique"):
                found.append(_unique(f"{constraint.type} constraint", [name], f"({name})"))
            elif constraint.type == "check" and constraint.expression:
                found += _check_statements(constraint.expression, integer)
    for constraint in node.constraints:
        if constraint.type == "check" and constraint.expression:
            found += _check_statements(constraint.expression, integer)
        elif constraint.type in ("primary_key", "unique") and constraint.columns:
            key = f"({', '.join(constraint.columns)})"
            found.append(_unique(f"{constraint.type} constraint", list(constraint.columns), key))
            if constraint.type == "primary_key":
                found += [
                    Statement("primary_key constraint", c, "nulls", "never", key) for c in constraint.columns
                ]
    return found


def dbt_test_statements(test: Node, integer: Callable[[str], bool]) -> list[Statement]:
    """What one dbt data test says about a column (or a key); nothing for a test this module cannot read."""
    meta = test.test_metadata
    if meta is None:
        return []
    name = meta.name.split(".")[-1]
    where = f"dbt test {meta.name}"
    if name == "unique_combination_of_columns":
        columns = meta.kwargs.get("combination_of_columns")
        if isinstance(columns, list) and columns:
            return [_unique(where, [str(c) for c in columns])]
        return []
    column = test.column_name or meta.kwargs.get("column_name")
    if not isinstance(column, str):
        return []
    if name == "unique":
        return [_unique(where, [column])]
    if name == "accepted_values" and isinstance(meta.kwargs.get("values"), list):
        return [Statement(where, column, "values", frozenset(str(v) for v in meta.kwargs["values"]))]
    if name == "not_null":
        return [Statement(where, column, "nulls", "never")]
    found: list[Statement] = []
    if name == "accepted_range":
        inclusive = meta.kwargs.get("inclusive", True) is not False
        for key, kind in (("min_value", "min"), ("max_value", "max")):
            number = _number(meta.kwargs.get(key))
            if number is not None:
                found.append(
                    Statement(where, column, kind, _bound(kind, number, not inclusive, integer(column)))
                )
    return found


def expectation_statements(expectation: Mapping[str, Any], integer: Callable[[str], bool]) -> list[Statement]:
    """What one suite expectation says about a column (or a key); nothing for one this module cannot read."""
    kind_name = str(expectation.get("type", ""))
    kwargs = expectation.get("kwargs") or {}
    where = f"suite {kind_name}"
    if kind_name == "expect_compound_columns_to_be_unique":
        columns = kwargs.get("column_list")
        if isinstance(columns, list) and columns:
            return [_unique(where, [str(c) for c in columns])]
        return []
    column = kwargs.get("column")
    if not isinstance(column, str):
        return []
    if kind_name == "expect_column_values_to_be_unique":
        return [_unique(where, [column])]
    if kind_name == "expect_column_values_to_be_in_set" and isinstance(kwargs.get("value_set"), list):
        return [Statement(where, column, "values", frozenset(str(v) for v in kwargs["value_set"]))]
    if kind_name == "expect_column_values_to_not_be_null":
        mostly = _number(kwargs.get("mostly"))
        return [
            Statement(where, column, "nulls", "tolerated" if mostly is not None and mostly < 1 else "never")
        ]
    if kind_name == "expect_column_values_to_be_null":
        return [Statement(where, column, "nulls", "expected")]
    found: list[Statement] = []
    if kind_name == "expect_column_values_to_be_between":
        for key, kind in (("min_value", "min"), ("max_value", "max")):
            number = _number(kwargs.get(key))
            if number is not None:
                strict = bool(kwargs.get(f"strict_{kind}"))
                found.append(Statement(where, column, kind, _bound(kind, number, strict, integer(column))))
    return found


def statements(
    node: Node, tests: Iterable[Node], expectations: Iterable[Mapping[str, Any]]
) -> list[Statement]:
    """Every statement about the node's columns, from its constraints, its tests and its suite."""
    integer = integer_columns(node)
    found = constraint_statements(node)
    for test in tests:
        found += dbt_test_statements(test, integer)
    for expectation in expectations:
        found += expectation_statements(expectation, integer)
    return found


def _fully_read(arguments: Mapping[str, Any]) -> bool:
    """No ``mostly`` below 1 and every bound a number: the statements are all the copy says."""
    mostly = arguments.get("mostly")
    number = _number(mostly)
    if mostly is not None and (number is None or number < 1):
        return False
    return all(
        arguments.get(b) is None or _number(arguments[b]) is not None for b in ("min_value", "max_value")
    )


def restated(
    said: Sequence[Statement], arguments: Mapping[str, Any], enforced: Sequence[Statement]
) -> list[Statement]:
    """The enforced constraint statements a copy (a test's or an expectation's statements) only repeats.

    Empty unless every statement of the copy is one an enforced constraint makes (same column, kind and value:
    the same allowed values, the same bound, never null, uniqueness of the same columns) and the copy says
    nothing else: no ``mostly`` below 1, no bound that is not a number (a suite parameter).
    """
    if not said or not _fully_read(arguments):
        return []
    made: dict[tuple[str, str, Any], Statement] = {}
    for statement in enforced:
        column = "" if statement.kind == "unique" else statement.column.lower()
        made.setdefault((column, statement.kind, statement.value), statement)
    found: list[Statement] = []
    for statement in said:
        column = "" if statement.kind == "unique" else statement.column.lower()
        match = made.get((column, statement.kind, statement.value))
        if match is None:
            return []
        found.append(match)
    # one constraint makes both bounds of ``between``: named once
    return list({(s.where, s.column.lower(), s.said): s for s in found}.values())


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
        if kind not in labels:  # a key is unique or says nothing: uniqueness cannot disagree
            continue
        if kind == "nulls":
            if not any(s.value == "never" for s in group) or all(s.value == "never" for s in group):
                continue
        elif len({s.value for s in group}) < 2:
            continue
        said = "; ".join(f"{s.where}: {_shown(s)}" for s in dict.fromkeys(group))
        yield f"{group[0].column}: {labels[kind]} disagree ({said})"
