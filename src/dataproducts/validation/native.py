"""Great Expectations' validation semantics without importing Great Expectations.

Importing GX costs about 3 s per process, and building its result objects about 1 ms per expectation; for a
nightly run of compiled suites that is most of the time not spent reading data. This module re-implements,
for the expectation types the compiled engine supports, exactly what GX 1.x does with the metrics of one
expectation:

- :func:`normalize` -- a suite expectation's ``kwargs`` after suite-parameter substitution, coerced and
  reduced the way GX's pydantic model does it (``Expectation.configuration``: ``int`` bounds of a ``float``
  field become floats, ISO strings of a date/datetime field become ``date``/``datetime``, values equal to
  their defaults are dropped);
- :func:`evaluate` -- ``success`` and the ``result`` dict GX's ``_validate`` returns for the metrics the
  compiler computed (``_format_map_output``, ``_mostly_success``, ``_validate_metric_value_between`` ...);
- :func:`to_json` and the ``*_json`` builders -- GX's JSON serialisation of expectation and suite results
  (``convert_to_json_serializable`` and the marshmallow schemas' key sets).

Anything this module is not certain to reproduce raises :class:`NotNative` and is evaluated by GX's own code
instead (by the compiled engine through GX's expectation classes, or by the GX engine). The tests
``tests/unit/test_native.py`` hold every rule here against GX itself, and the differential suites compare
whole runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import math
import re
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any


class NotNative(Exception):
    """GX's own code must evaluate this expectation (an option, value or type not reproduced here)."""


# --- field coercion: GX's pydantic (v1) models, field by field ------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_PARAM_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _column(value: Any) -> Any:  # StrictStr, min_length 1
    if not isinstance(value, str) or not value:
        raise NotNative("column is not a non-empty string")
    return value


def _comparable(value: Any) -> Any:  # Union[float, SuiteParameterDict, date, datetime, None]
    if value is None:
        return None
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            raise NotNative(f"numeric string {value!r}")
        if _DATE_RE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError as exc:
                raise NotNative(f"date {value!r}") from exc
        m = _DATETIME_RE.match(value)
        if m:
            year, month, day, hour, minute, second, micro = m.groups()
            try:
                return dt.datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour),
                    int(minute),
                    int(second or 0),
                    int((micro or "0").ljust(6, "0")),
                )
            except ValueError as exc:
                raise NotNative(f"datetime {value!r}") from exc
    raise NotNative(f"bound {value!r}")


def _optional(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else coerce(value)


def _float(value: Any) -> Any:
    if _is_number(value):
        return float(value)
    raise NotNative(f"{value!r} is not a number")


def _int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise NotNative(f"{value!r} is not an integer")


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise NotNative(f"{value!r} is not a boolean")


def _mostly(value: Any) -> Any:
    if _is_number(value) and 0 <= value <= 1:
        return float(value)
    raise NotNative(f"mostly {value!r}")


def _value_set(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    raise NotNative("value_set is not a list")


def _str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise NotNative(f"{value!r} is not a string")


def _str_list(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise NotNative("not a list of strings")


def _column_list(value: Any) -> Any:  # Sequence[str] of at least two columns
    if isinstance(value, list) and len(value) >= 2 and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise NotNative("not a list of two or more column names")


def _literal(*allowed: str) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if value in allowed and isinstance(value, str):
            return value
        raise NotNative(f"{value!r} not one of {allowed}")

    return coerce


_REQUIRED = object()
_PAIR_IGNORE = _literal("both_values_are_missing", "either_value_is_missing", "neither")
_MULTI_IGNORE = _literal("all_values_are_missing", "any_value_is_missing", "never")

# Field = (name, coerce, default); fields in GX's model order.
Field = tuple[str, Callable[[Any], Any], Any]


def _bounds(coerce: Callable[[Any], Any]) -> list[Field]:
    """``min_value``/``max_value`` read with ``coerce`` (optional), and ``strict_min``/``strict_max``."""
    return [
        ("min_value", coerce, None),
        ("max_value", coerce, None),
        ("strict_min", _bool, False),
        ("strict_max", _bool, False),
    ]


_BETWEEN_BOUNDS: list[Field] = _bounds(_comparable)
_MOSTLY: Field = ("mostly", _mostly, 1)


@dataclass(frozen=True)
class Spec:
    kind: str  # map | nonnull | null | pair | multicolumn | between | row_count_equal | column_count_equal
    #            | distinct_set | ordered_list
    fields: tuple[Field, ...]
    metric: str = ""  # the map metric, or the metric a "between" expectation bounds


def _map(metric: str, *extra: Field) -> Spec:
    return Spec("map", (("column", _column, _REQUIRED), _MOSTLY, *extra), metric)


def _aggregate(metric: str, bounds: Sequence[Field] = _BETWEEN_BOUNDS) -> Spec:
    return Spec("between", (("column", _column, _REQUIRED), *bounds), metric)


SPECS: dict[str, Spec] = {
    "expect_column_values_to_not_be_null": Spec(
        "nonnull", (("column", _column, _REQUIRED), _MOSTLY), "column_values.nonnull"
    ),
    "expect_column_values_to_be_null": Spec(
        "null", (("column", _column, _REQUIRED), _MOSTLY), "column_values.null"
    ),
    "expect_column_values_to_be_unique": _map("column_values.unique"),
    "expect_column_values_to_be_in_set": _map("column_values.in_set", ("value_set", _value_set, _REQUIRED)),
    "expect_column_values_to_not_be_in_set": _map(
        "column_values.not_in_set", ("value_set", _value_set, _REQUIRED)
    ),
    "expect_column_values_to_be_between": _map("column_values.between", *_BETWEEN_BOUNDS),
    "expect_column_values_to_match_regex": _map("column_values.match_regex", ("regex", _str, "(?s).*")),
    "expect_column_values_to_not_match_regex": _map(
        "column_values.not_match_regex", ("regex", _str, _REQUIRED)
    ),
    "expect_column_value_lengths_to_be_between": _map(
        "column_values.value_length.between",
        *_bounds(_optional(_int)),
    ),
    "expect_column_value_lengths_to_equal": _map(
        "column_values.value_length.equals", ("value", _float, _REQUIRED)
    ),
    "expect_column_pair_values_a_to_be_greater_than_b": Spec(
        "pair",
        (
            ("column_A", _column, _REQUIRED),
            ("column_B", _column, _REQUIRED),
            _MOSTLY,
            ("or_equal", _optional(_bool), None),
            ("ignore_row_if", _PAIR_IGNORE, "both_values_are_missing"),
        ),
        "column_pair_values.a_greater_than_b",
    ),
    "expect_column_pair_values_to_be_equal": Spec(
        "pair",
        (
            ("column_A", _column, _REQUIRED),
            ("column_B", _column, _REQUIRED),
            _MOSTLY,
            ("ignore_row_if", _PAIR_IGNORE, "both_values_are_missing"),
        ),
        "column_pair_values.equal",
    ),
    "expect_compound_columns_to_be_unique": Spec(
        "multicolumn",
        (
            ("column_list", _column_list, _REQUIRED),
            _MOSTLY,
            ("ignore_row_if", _MULTI_IGNORE, "all_values_are_missing"),
        ),
        "compound_columns.unique",
    ),
    "expect_column_max_to_be_between": _aggregate("column.max"),
    "expect_column_min_to_be_between": _aggregate("column.min"),
    "expect_column_mean_to_be_between": _aggregate("column.mean"),
    "expect_column_sum_to_be_between": _aggregate("column.sum"),
    "expect_column_median_to_be_between": _aggregate("column.median"),
    "expect_column_unique_value_count_to_be_between": _aggregate(
        "column.distinct_values.count",
        _bounds(_optional(_int)),
    ),
    "expect_column_proportion_of_unique_values_to_be_between": _aggregate(
        "column.unique_proportion",
        _bounds(_optional(_float)),
    ),
    "expect_column_proportion_of_non_null_values_to_be_between": _aggregate(
        "column.non_null_proportion",
        _bounds(_optional(_float)),
    ),
    "expect_column_distinct_values_to_equal_set": Spec(
        "distinct_set", (("column", _column, _REQUIRED), ("value_set", _value_set, _REQUIRED))
    ),
    "expect_table_row_count_to_be_between": Spec(
        "between",
        tuple(_bounds(_optional(_int))),
        "table.row_count",
    ),
    "expect_table_row_count_to_equal": Spec("row_count_equal", (("value", _int, _REQUIRED),)),
    "expect_table_column_count_to_equal": Spec("column_count_equal", (("value", _int, _REQUIRED),)),
    "expect_table_column_count_to_be_between": Spec(
        "between",
        (("min_value", _comparable, None), ("max_value", _comparable, None)),
        "table.column_count",
    ),
    "expect_table_columns_to_match_ordered_list": Spec(
        "ordered_list", (("column_list", _optional(_str_list), None),)
    ),
}

NATIVE_TYPES: tuple[str, ...] = tuple(sorted(SPECS))

# Keys of a suite expectation (besides ``type`` and ``kwargs``) that this module carries over unchanged.
_CONFIG_KEYS = frozenset({"type", "kwargs", "meta", "id", "description", "severity", "notes"})
_SEVERITIES = ("critical", "warning", "info")


def substitute(kwargs: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level ``{"$PARAMETER": name}`` values replaced by ``parameters[name]`` (GX's
    ``build_suite_parameters`` for a plain name); anything else about parameters is not native."""
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, Mapping) and "$PARAMETER" in value:
            name = value["$PARAMETER"]
            if (
                len(value) != 1
                or not isinstance(name, str)
                or not _PARAM_NAME_RE.match(name)
                or name not in parameters
            ):
                raise NotNative(f"suite parameter {value!r}")
            out[key] = parameters[name]
        else:
            out[key] = value
    return out


def _check_bounds(spec: Spec, kwargs: Mapping[str, Any]) -> None:
    """GX's root validators of the bounded expectations refuse some bound pairs; not reproduced: those are
    left to GX (no bound at all, min_value > max_value, bounds that do not compare)."""
    if "min_value" not in {f[0] for f in spec.fields}:
        return
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is None and hi is None:
        raise NotNative("min_value and max_value both missing")
    if lo is not None and hi is not None:
        try:
            if lo > hi:
                raise NotNative("min_value > max_value")
        except TypeError as exc:
            raise NotNative("bounds of different types") from exc


def normalize(etype: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` (suite parameters already substituted) as GX's model keeps them: coerced, defaults dropped,
    in the model's field order; ``batch_id`` kept first when given."""
    spec = SPECS.get(etype)
    if spec is None:
        raise NotNative(f"{etype} is not evaluated natively")
    known = {name for name, _, _ in spec.fields}
    extra = set(kwargs) - known - {"batch_id"}
    if extra:
        raise NotNative(f"options {sorted(extra)}")
    out: dict[str, Any] = {}
    if "batch_id" in kwargs:
        out["batch_id"] = _str(kwargs["batch_id"])
    for name, coerce, default in spec.fields:
        if name not in kwargs:
            if default is _REQUIRED:
                raise NotNative(f"{name} missing")
            continue
        value = coerce(kwargs[name])
        if default is not _REQUIRED and type(value) is not dict and value == default:
            continue  # pydantic's exclude_defaults
        if default is _REQUIRED and value is None:
            raise NotNative(f"{name} is null")
        out[name] = value
    _check_bounds(spec, out)
    return out


def check_config(raw: Mapping[str, Any]) -> None:
    """A suite expectation GX would build exactly as :func:`normalize` does (``NotNative`` if unsure)."""
    if set(raw) - _CONFIG_KEYS:
        raise NotNative(f"keys {sorted(set(raw) - _CONFIG_KEYS)}")
    etype = raw.get("type")
    if not isinstance(etype, str) or etype not in SPECS:
        raise NotNative(f"type {etype!r}")
    if not isinstance(raw.get("kwargs"), Mapping):
        raise NotNative("kwargs")
    if raw.get("meta") is not None and not isinstance(raw.get("meta"), dict):
        raise NotNative("meta")
    for key in ("id", "description"):
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            raise NotNative(key)
    notes = raw.get("notes")
    if notes is not None and not (
        isinstance(notes, str) or (isinstance(notes, list) and all(isinstance(n, str) for n in notes))
    ):
        raise NotNative("notes")
    if raw.get("id") is not None:
        try:
            uuid.UUID(str(raw["id"]))
        except ValueError as exc:
            raise NotNative("id is not a UUID") from exc
    if raw.get("severity", "critical") not in _SEVERITIES:
        raise NotNative("severity")
    # a parameter stands for a bound or value (checked when substituted); anywhere else GX decides
    plain = {k: v for k, v in raw["kwargs"].items() if not (isinstance(v, Mapping) and "$PARAMETER" in v)}
    if set(raw["kwargs"]) - set(plain) - {"min_value", "max_value", "value"}:
        raise NotNative("a suite parameter for an option that is not a bound")
    spec = SPECS[etype]
    names = {f[0] for f in spec.fields}
    if set(raw["kwargs"]) - names:
        raise NotNative(f"options {sorted(set(raw['kwargs']) - names)}")
    for name, coerce, default in spec.fields:
        if name in plain:
            coerce(plain[name])
        elif default is _REQUIRED and name not in raw["kwargs"]:
            raise NotNative(f"{name} missing")
    if len(plain) == len(raw["kwargs"]):
        normalize(etype, plain)


# --- evaluation: GX's _validate, per kind --------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFormat:
    """GX's parsed result format, for the formats the compiled engine produces."""

    result_format: str  # BOOLEAN_ONLY | BASIC | SUMMARY
    partial_unexpected_count: int = 20


def _mostly_success(considered: int, unexpected: int, mostly: float) -> bool:
    considered_f, unexpected_f = float(considered), float(unexpected)
    return (considered_f - unexpected_f) / considered_f >= mostly


def _format_map_output(
    fmt: ResultFormat,
    success: bool,
    element_count: int | None,
    nonnull_count: int | None,
    unexpected_count: int | None,
    unexpected_list: list[Any] | None,
) -> dict[str, Any]:
    """GX's ``_format_map_output`` for BOOLEAN_ONLY, BASIC and SUMMARY, without unexpected rows or indices."""
    if element_count is None:
        element_count = 0
    out: dict[str, Any] = {"success": success}
    if fmt.result_format == "BOOLEAN_ONLY":
        return out
    skip_missing = nonnull_count is None
    missing_count = None if nonnull_count is None else element_count - nonnull_count
    missing_percent = unexpected_percent_total = unexpected_percent_nonmissing = None
    if unexpected_count is not None and element_count > 0:
        unexpected_percent_total = unexpected_count / element_count * 100
        if not skip_missing and missing_count is not None:
            missing_percent = missing_count / element_count * 100
            if nonnull_count is not None and nonnull_count > 0:
                unexpected_percent_nonmissing = unexpected_count / nonnull_count * 100
            else:
                unexpected_percent_nonmissing = None
        else:
            unexpected_percent_nonmissing = unexpected_percent_total
    result: dict[str, Any] = {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_percent": unexpected_percent_nonmissing,
    }
    if unexpected_list is not None:
        result["partial_unexpected_list"] = unexpected_list[: fmt.partial_unexpected_count]
    if not skip_missing:
        result["missing_count"] = missing_count
        result["missing_percent"] = missing_percent
        result["unexpected_percent_total"] = unexpected_percent_total
        result["unexpected_percent_nonmissing"] = unexpected_percent_nonmissing
    out["result"] = result
    if fmt.result_format == "BASIC":
        return out
    if fmt.partial_unexpected_count > 0 and unexpected_list is not None:
        items: list[Any] = (
            [tuple(item.values()) for item in unexpected_list]
            if unexpected_list and isinstance(unexpected_list[0], dict)
            else unexpected_list
        )
        # GX leaves the counts out when the values cannot be counted or ordered (TypeError)
        with contextlib.suppress(TypeError):
            result["partial_unexpected_counts"] = [
                {"value": key, "count": value}
                for key, value in sorted(
                    Counter(items).most_common(fmt.partial_unexpected_count), key=lambda x: (-x[1], x[0])
                )
            ]
    return out


def _is_null(value: Any) -> bool:
    """``pd.isnull`` for the scalar values metrics hold."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, decimal.Decimal):
        return value.is_nan()
    return False


_ISO_NAIVE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")


def _parse_datetime(value: Any) -> Any:
    """``dateutil.parser.parse``, as GX calls it; a plain ISO string without a zone (what DuckDB's dates and
    timestamps serialise to) is read by ``datetime.fromisoformat``, which gives the same naive datetime
    without dateutil's tokenizer."""
    if isinstance(value, str) and _ISO_NAIVE_RE.match(value):
        return dt.datetime.fromisoformat(value)
    from dateutil.parser import parse

    try:
        return parse(value)
    except TypeError as exc:
        raise ValueError(f'Could not parse "{value}" into datetime representation.') from exc


def _value_between(metric_value: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """GX's ``BatchExpectation._validate_metric_value_between``."""
    if metric_value is None:
        return {"success": False, "result": {"observed_value": metric_value}}
    min_value, max_value = kwargs.get("min_value"), kwargs.get("max_value")
    strict_min, strict_max = kwargs.get("strict_min", False), kwargs.get("strict_max", False)
    if not isinstance(metric_value, dt.datetime) and _is_null(metric_value):
        return {"success": False, "result": {"observed_value": None}}
    if isinstance(metric_value, dt.datetime):
        if isinstance(min_value, str):
            min_value = _parse_datetime(min_value)
        if isinstance(max_value, str):
            max_value = _parse_datetime(max_value)
    if (isinstance(min_value, dt.datetime) or isinstance(max_value, dt.datetime)) and not isinstance(
        metric_value, dt.datetime
    ):
        metric_value = _parse_datetime(metric_value)
    if (isinstance(min_value, dt.date) or isinstance(max_value, dt.date)) and not isinstance(
        metric_value, dt.date
    ):
        metric_value = _parse_datetime(metric_value).date()
    if min_value is not None:
        above_min = metric_value > min_value if strict_min else metric_value >= min_value
    else:
        above_min = True
    if max_value is not None:
        below_max = metric_value < max_value if strict_max else metric_value <= max_value
    else:
        below_max = True
    return {"success": bool(above_min and below_max), "result": {"observed_value": metric_value}}


_MAX_DISTINCT_VALUES = 20


def evaluate(etype: str, kwargs: Mapping[str, Any], metrics: Mapping[str, Any], fmt: ResultFormat) -> dict:
    """``{"success": ..., "result": {...}}`` as GX's expectation ``_validate`` returns it (then, as GX's
    validator does for BOOLEAN_ONLY, with an empty result)."""
    spec = SPECS.get(etype)
    if spec is None:
        raise NotNative(f"{etype} is not evaluated natively")
    mostly = kwargs.get("mostly", 1)
    raw: dict[str, Any]
    if spec.kind in ("nonnull", "null"):
        total = metrics.get("table.row_count")
        unexpected = metrics.get(f"{spec.metric}.unexpected_count")
        success = True if total is None or total == 0 else (total - unexpected) / total >= mostly
        raw = _format_map_output(
            fmt, success, total, None, unexpected, metrics.get(f"{spec.metric}.unexpected_values")
        )
    elif spec.kind == "map":
        total = metrics.get("table.row_count")
        nulls = metrics.get("column_values.nonnull.unexpected_count")
        unexpected = metrics.get(f"{spec.metric}.unexpected_count")
        if total is None or nulls is None:
            total = nonnull = 0
        else:
            nonnull = total - nulls
        if unexpected is None or total == 0 or nonnull == 0:
            success = True
        else:
            success = _mostly_success(nonnull, unexpected, mostly)
        raw = _format_map_output(
            fmt, success, total, nonnull, unexpected, metrics.get(f"{spec.metric}.unexpected_values")
        )
    elif spec.kind in ("pair", "multicolumn"):
        total = metrics.get("table.row_count")
        unexpected = metrics.get(f"{spec.metric}.unexpected_count")
        filtered = metrics.get(f"{spec.metric}.filtered_row_count")
        if total is None or unexpected is None or filtered is None or total == 0 or filtered == 0:
            success = True
        else:
            success = _mostly_success(filtered, unexpected, mostly)
        raw = _format_map_output(
            fmt, success, total, filtered, unexpected, metrics.get(f"{spec.metric}.unexpected_values")
        )
    elif spec.kind == "between":
        raw = _value_between(metrics.get(spec.metric), kwargs)
    elif spec.kind == "row_count_equal":
        count = metrics.get("table.row_count")
        raw = {"success": count == kwargs.get("value"), "result": {"observed_value": count}}
    elif spec.kind == "column_count_equal":
        count = metrics.get("table.column_count")
        raw = {"success": count == kwargs.get("value"), "result": {"observed_value": count}}
    elif spec.kind == "distinct_set":
        unexpected = metrics.get("column.distinct_values.not_in_set.count", 0)
        missing = metrics.get("column.distinct_values.missing_from_column.count", 0)
        result: dict[str, Any] = {
            "observed_value": None,
            "unexpected_count": unexpected,
            "missing_count": missing,
        }
        if fmt.partial_unexpected_count > 0:
            result["partial_unexpected_list"] = list(
                metrics.get("column.distinct_values.not_in_set", [])[:_MAX_DISTINCT_VALUES]
            )
            result["partial_missing_list"] = list(
                metrics.get("column.distinct_values.missing_from_column", [])[:_MAX_DISTINCT_VALUES]
            )
        raw = {"success": unexpected == 0 and missing == 0, "result": result}
    elif spec.kind == "ordered_list":
        expected = kwargs.get("column_list")
        actual = list(metrics["table.columns"])
        if expected is None or actual == list(expected):
            raw = {"success": True, "result": {"observed_value": actual}}
        else:
            mismatched = [
                {"Expected Column Position": i, "Expected": k, "Found": v}
                for i, k, v in zip_longest(range(max(len(expected), len(actual))), list(expected), actual)
                if k != v
            ]
            raw = {
                "success": False,
                "result": {"observed_value": actual, "details": {"mismatched": mismatched}},
            }
    else:  # pragma: no cover - every kind is handled above
        raise NotNative(spec.kind)
    if fmt.result_format == "BOOLEAN_ONLY":
        raw["result"] = {}
    return raw


# --- JSON: GX's serialisation ---------------------------------------------------------------------------------


_AS_IS = frozenset({str, int, bool, type(None)})


def to_json(data: Any) -> Any:
    """GX's ``convert_to_json_serializable`` for the values a compiled run holds."""
    kind = type(data)
    if kind in _AS_IS:  # the common case first, by exact type
        return data
    if kind is float:
        return None if data != data else data  # NaN -> None
    if kind is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in _AS_IS else to_json(v) for k, v in data.items()
        }
    if kind is list:
        return [v if type(v) in _AS_IS else to_json(v) for v in data]
    if isinstance(data, float) and math.isnan(data):
        return None
    if isinstance(data, str | int | float | bool) or data is None:
        return data
    if isinstance(data, dict):
        return {str(k): to_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple | set):
        return [to_json(v) for v in data]
    if isinstance(data, dt.datetime | dt.date | dt.time):
        return data.isoformat()
    if isinstance(data, uuid.UUID):
        return str(data)
    if isinstance(data, bytes):
        return str(data)
    if isinstance(data, decimal.Decimal):
        return None if data.is_nan() else float(data)
    raise NotNative(f"a value of type {type(data).__name__}")


def config_json(raw: Mapping[str, Any], kwargs: Mapping[str, Any], expectation_id: str) -> dict[str, Any]:
    """``ExpectationConfiguration.to_json_dict()`` of a suite expectation after normalisation."""
    out: dict[str, Any] = {
        "type": raw["type"],
        "kwargs": to_json(dict(kwargs)),
        "meta": to_json(raw.get("meta") or {}),
    }
    if raw.get("notes") is not None:
        out["notes"] = to_json(raw["notes"])
    out["id"] = expectation_id
    if raw.get("description"):
        out["description"] = raw["description"]
    out["severity"] = raw.get("severity") or "critical"
    return out


_NO_EXCEPTION = {"raised_exception": False, "exception_traceback": None, "exception_message": None}


def result_json(config: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """``ExpectationValidationResult.to_json_dict()``."""
    return {
        "success": raw.get("success"),
        "expectation_config": dict(config),
        "result": to_json(raw.get("result") or {}),
        "meta": {},
        "exception_info": dict(_NO_EXCEPTION),
    }


def exception_json(config: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    """The result GX's validator records for an expectation whose evaluation raised."""
    return {
        "success": False,
        "expectation_config": dict(config),
        "result": {},
        "meta": {},
        "exception_info": {
            "raised_exception": True,
            "exception_traceback": "".join(traceback.format_exception(exc)),
            "exception_message": str(exc),
        },
    }


def statistics(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """GX's ``calc_validation_statistics``."""
    evaluated = len(results)
    successful = sum(1 for r in results if r.get("success"))
    return {
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": successful / evaluated * 100 if evaluated else None,
    }


class SuiteResult:
    """A suite validation result held as GX's JSON (``ExpectationSuiteValidationResult.to_json_dict()``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.data["results"]

    @property
    def success(self) -> bool:
        return bool(self.data["success"])

    @property
    def statistics(self) -> dict[str, Any]:
        return self.data["statistics"]

    @property
    def meta(self) -> dict[str, Any]:
        return self.data["meta"]

    def to_json_dict(self) -> dict[str, Any]:
        return self.data
