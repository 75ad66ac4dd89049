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

This copies GX internals, so it runs only under the GX release its tests were written for
(:data:`WRITTEN_FOR_GX`, checked through package metadata by :func:`runs_under`); under any other release
``dp validate`` uses GX for everything (``docs/engine.md``, "The version gate"). Which expectation types
are evaluated here is said once, in :mod:`dataproducts.validation.registry`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import math
import re
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, TypeGuard, cast

from dataproducts.constants import MAX_DISTINCT_VALUES


class NotNative(Exception):
    """GX's own code must evaluate this expectation (an option, value or type not reproduced here)."""


# --- the version gate -----------------------------------------------------------------------------------------

# The GX release (major.minor) whose internals this module reproduces and tests/unit/test_native.py checks.
WRITTEN_FOR_GX = "1.24"


@functools.cache
def installed_gx_version() -> str | None:
    """The installed ``great_expectations`` version, from package metadata (GX is not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great_expectations")
    except PackageNotFoundError:
        return None


def runs_under(gx_version: str | None) -> bool:
    """Whether this module may stand in for GX ``gx_version`` (e.g. ``"1.24.1"``): only the release its
    tests were written for (:data:`WRITTEN_FOR_GX`); pre-releases and local builds of it count too."""
    if not gx_version:
        return False
    release = re.match(r"^(\d+)\.(\d+)(?:[.\-+a-z]|$)", gx_version.strip())
    return release is not None and f"{int(release[1])}.{int(release[2])}" == WRITTEN_FOR_GX


def gate_notice(gx_version: str | None) -> str:
    """The one line ``dp validate`` prints when :func:`runs_under` refuses ``gx_version``."""
    found = f"great_expectations {gx_version}" if gx_version else "no great_expectations package"
    return (
        f"note: {found} is not the {WRITTEN_FOR_GX} release the compiled engine reproduces; "
        "validating with Great Expectations for everything (--engine gx)"
    )


# --- field coercion: GX's pydantic (v1) models, field by field ------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_PARAM_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def is_number(value: Any) -> TypeGuard[int | float]:
    """An int or float, not a bool (GX's numeric bound fields)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_column(value: Any) -> Any:  # StrictStr, min_length 1
    if not isinstance(value, str) or not value:
        raise NotNative("column is not a non-empty string")
    return value


def as_comparable(value: Any) -> Any:  # Union[float, SuiteParameterDict, date, datetime, None]
    if value is None:
        return None
    if is_number(value):
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


def optional(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else coerce(value)


def as_float(value: Any) -> Any:
    if is_number(value):
        return float(value)
    raise NotNative(f"{value!r} is not a number")


def as_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise NotNative(f"{value!r} is not an integer")


def as_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    raise NotNative(f"{value!r} is not a boolean")


def as_mostly(value: Any) -> Any:
    if is_number(value) and 0 <= value <= 1:
        return float(value)
    raise NotNative(f"mostly {value!r}")


def as_value_set(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    raise NotNative("value_set is not a list")


def as_str(value: Any) -> Any:
    if isinstance(value, str):
        return value
    raise NotNative(f"{value!r} is not a string")


def as_str_list(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise NotNative("not a list of strings")


def as_column_list(value: Any) -> Any:  # Sequence[str] of at least two columns
    if isinstance(value, list) and len(value) >= 2 and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise NotNative("not a list of two or more column names")


def literal(*allowed: str) -> Callable[[Any], Any]:
    def coerce(value: Any) -> Any:
        if value in allowed and isinstance(value, str):
            return value
        raise NotNative(f"{value!r} not one of {allowed}")

    return coerce


REQUIRED = object()
PAIR_IGNORE = literal("both_values_are_missing", "either_value_is_missing", "neither")
MULTI_IGNORE = literal("all_values_are_missing", "any_value_is_missing", "never")

# Field = (name, coerce, default); fields in GX's model order.
Field = tuple[str, Callable[[Any], Any], Any]


def bounds(coerce: Callable[[Any], Any]) -> list[Field]:
    """``min_value``/``max_value`` read with ``coerce`` (optional), and ``strict_min``/``strict_max``."""
    return [
        ("min_value", coerce, None),
        ("max_value", coerce, None),
        ("strict_min", as_bool, False),
        ("strict_max", as_bool, False),
    ]


BETWEEN_BOUNDS: list[Field] = bounds(as_comparable)
MOSTLY: Field = ("mostly", as_mostly, 1)


@dataclass(frozen=True)
class Spec:
    kind: str  # map | nonnull | null | pair | multicolumn | between | row_count_equal | column_count_equal
    #            | distinct_set | ordered_list
    fields: tuple[Field, ...]
    metric: str = ""  # the map metric, or the metric a "between" expectation bounds


def map_spec(metric: str, *extra: Field) -> Spec:
    return Spec("map", (("column", as_column, REQUIRED), MOSTLY, *extra), metric)


def pair_spec(metric: str, *options: Field) -> Spec:
    """A column pair expectation: ``column_A``, ``column_B``, ``mostly``, then ``options``."""
    return Spec(
        "pair",
        (("column_A", as_column, REQUIRED), ("column_B", as_column, REQUIRED), MOSTLY, *options),
        metric,
    )


def aggregate_spec(metric: str, bounds: Sequence[Field] = BETWEEN_BOUNDS) -> Spec:
    return Spec("between", (("column", as_column, REQUIRED), *bounds), metric)


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


def normalize(spec: Spec, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` (suite parameters already substituted) as GX's model of the ``spec``'s type keeps them:
    coerced, defaults dropped, in the model's field order; ``batch_id`` kept first when given."""
    known = {name for name, _, _ in spec.fields}
    extra = set(kwargs) - known - {"batch_id"}
    if extra:
        raise NotNative(f"options {sorted(extra)}")
    out: dict[str, Any] = {}
    if "batch_id" in kwargs:
        out["batch_id"] = as_str(kwargs["batch_id"])
    for name, coerce, default in spec.fields:
        if name not in kwargs:
            if default is REQUIRED:
                raise NotNative(f"{name} missing")
            continue
        value = coerce(kwargs[name])
        if default is not REQUIRED and type(value) is not dict and value == default:
            continue  # pydantic's exclude_defaults
        if default is REQUIRED and value is None:
            raise NotNative(f"{name} is null")
        out[name] = value
    _check_bounds(spec, out)
    return out


def check_config(raw: Mapping[str, Any], spec: Spec) -> None:
    """A suite expectation (of the ``spec``'s type) GX would build exactly as :func:`normalize` does
    (``NotNative`` if unsure)."""
    if set(raw) - _CONFIG_KEYS:
        raise NotNative(f"keys {sorted(set(raw) - _CONFIG_KEYS)}")
    if not isinstance(raw.get("kwargs"), Mapping):
        raise NotNative("kwargs")
    _check_fields(raw)
    # a parameter stands for a bound or value (checked when substituted); anywhere else GX decides
    plain = {k: v for k, v in raw["kwargs"].items() if not (isinstance(v, Mapping) and "$PARAMETER" in v)}
    if set(raw["kwargs"]) - set(plain) - {"min_value", "max_value", "value"}:
        raise NotNative("a suite parameter for an option that is not a bound")
    names = {f[0] for f in spec.fields}
    if set(raw["kwargs"]) - names:
        raise NotNative(f"options {sorted(set(raw['kwargs']) - names)}")
    for name, coerce, default in spec.fields:
        if name in plain:
            coerce(plain[name])
        elif default is REQUIRED and name not in raw["kwargs"]:
            raise NotNative(f"{name} missing")
    if len(plain) == len(raw["kwargs"]):
        normalize(spec, plain)


def _check_fields(raw: Mapping[str, Any]) -> None:
    """The expectation's own fields (meta, id, description, notes, severity) as GX's model takes them."""
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


# --- evaluation: GX's _validate, per kind --------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFormat:
    """GX's parsed result format (``BASIC``, ``SUMMARY`` or ``COMPLETE``), with its sample size."""

    result_format: str
    partial_unexpected_count: int = 20

    def to_gx(self) -> dict[str, Any]:
        """The ``result_format`` argument GX's validation takes."""
        return {
            "result_format": self.result_format,
            "partial_unexpected_count": self.partial_unexpected_count,
        }


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
    """GX's ``_format_map_output`` for BASIC and SUMMARY, without unexpected rows or indices."""
    if element_count is None:
        element_count = 0
    out: dict[str, Any] = {"success": success}
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


Metrics = Mapping[str, Any]
Evaluator = Callable[["Spec", Mapping[str, Any], Metrics, "ResultFormat"], dict[str, Any]]


def _column_map(spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat) -> dict[str, Any]:
    """GX's ``ColumnMapExpectation._validate``: nulls are missing, neither expected nor unexpected."""
    total = metrics.get("table.row_count")
    nulls = metrics.get("column_values.nonnull.unexpected_count")
    if total is None or nulls is None:
        return _counted_map(spec, kwargs, metrics, fmt, 0, 0)
    return _counted_map(spec, kwargs, metrics, fmt, total, total - nulls)


def _null_map(spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat) -> dict[str, Any]:
    """``expect_column_values_to_(not_)be_null``: every row counts, no missing values."""
    total = metrics.get("table.row_count")
    unexpected = metrics.get(f"{spec.metric}.unexpected_count")
    mostly = kwargs.get("mostly", 1)
    success = True if total is None or total == 0 else (total - unexpected) / total >= mostly
    samples = metrics.get(f"{spec.metric}.unexpected_values")
    return _format_map_output(fmt, success, total, None, unexpected, samples)


def _multicolumn_map(
    spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat
) -> dict[str, Any]:
    """Column pair and compound expectations: counted over GX's filtered domain (``ignore_row_if``)."""
    filtered = metrics.get(f"{spec.metric}.filtered_row_count")
    return _counted_map(spec, kwargs, metrics, fmt, metrics.get("table.row_count"), filtered)


def _counted_map(
    spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat, total: Any, considered: Any
) -> dict[str, Any]:
    """A map expectation's result from its ``considered`` rows (of ``total``): ``mostly`` of them expected,
    success when there is nothing to judge."""
    unexpected = metrics.get(f"{spec.metric}.unexpected_count")
    if total is None or considered is None or unexpected is None or total == 0 or considered == 0:
        success = True
    else:
        success = _mostly_success(considered, unexpected, kwargs.get("mostly", 1))
    samples = metrics.get(f"{spec.metric}.unexpected_values")
    return _format_map_output(fmt, success, total, considered, unexpected, samples)


def _between(spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat) -> dict[str, Any]:
    return _value_between(metrics.get(spec.metric), kwargs)


def _equal(metric: str) -> Evaluator:
    def evaluate(
        spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat
    ) -> dict[str, Any]:
        count = metrics.get(metric)
        return {"success": count == kwargs.get("value"), "result": {"observed_value": count}}

    return evaluate


def _distinct_set(
    spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat
) -> dict[str, Any]:
    unexpected = metrics.get("column.distinct_values.not_in_set.count", 0)
    missing = metrics.get("column.distinct_values.missing_from_column.count", 0)
    result: dict[str, Any] = {
        "observed_value": None,
        "unexpected_count": unexpected,
        "missing_count": missing,
    }
    if fmt.partial_unexpected_count > 0:
        result["partial_unexpected_list"] = list(
            metrics.get("column.distinct_values.not_in_set", [])[:MAX_DISTINCT_VALUES]
        )
        result["partial_missing_list"] = list(
            metrics.get("column.distinct_values.missing_from_column", [])[:MAX_DISTINCT_VALUES]
        )
    return {"success": unexpected == 0 and missing == 0, "result": result}


def _ordered_list(
    spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat
) -> dict[str, Any]:
    expected = kwargs.get("column_list")
    actual = list(metrics["table.columns"])
    if expected is None or actual == list(expected):
        return {"success": True, "result": {"observed_value": actual}}
    mismatched = [
        {"Expected Column Position": i, "Expected": k, "Found": v}
        for i, k, v in zip_longest(range(max(len(expected), len(actual))), list(expected), actual)
        if k != v
    ]
    return {"success": False, "result": {"observed_value": actual, "details": {"mismatched": mismatched}}}


_EVALUATORS: dict[str, Evaluator] = {
    "map": _column_map,
    "nonnull": _null_map,
    "null": _null_map,
    "pair": _multicolumn_map,
    "multicolumn": _multicolumn_map,
    "between": _between,
    "row_count_equal": _equal("table.row_count"),
    "column_count_equal": _equal("table.column_count"),
    "distinct_set": _distinct_set,
    "ordered_list": _ordered_list,
}


def evaluate(spec: Spec, kwargs: Mapping[str, Any], metrics: Metrics, fmt: ResultFormat) -> dict[str, Any]:
    """``{"success": ..., "result": {...}}`` as GX's expectation ``_validate`` returns it for the ``spec``'s
    type, from the compiler's ``metrics``."""
    return _EVALUATORS[spec.kind](spec, kwargs, metrics, fmt)


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
        return cast(list[dict[str, Any]], self.data["results"])

    @property
    def success(self) -> bool:
        return bool(self.data["success"])

    @property
    def statistics(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.data["statistics"])

    @property
    def meta(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.data["meta"])

    def to_json_dict(self) -> dict[str, Any]:
        return self.data
