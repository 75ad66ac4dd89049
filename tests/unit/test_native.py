"""The native evaluator against Great Expectations itself: the same kwargs after GX's model, the same
success and result JSON for the same metrics, the same configuration checks, the same model fields."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from great_expectations.expectations import expectation_configuration as gx_config
from great_expectations.expectations.registry import get_expectation_impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataproducts.validation import native
from dataproducts.validation.native import NotNative
from dataproducts.validation.registry import NATIVE_TYPES, native_spec

BASE_FIELDS = {
    "id",
    "meta",
    "notes",
    "result_format",
    "description",
    "catch_exceptions",
    "rendered_content",
    "severity",
    "windows",
    "batch_id",
    "row_condition",
    "condition_parser",
    "library_metadata",
}


def normalize(etype: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    return native.normalize(native_spec(etype), kwargs)


def check_config(raw: dict[str, Any]) -> None:
    native.check_config(raw, native_spec(str(raw.get("type"))))


def _gx(etype: str, kwargs: dict[str, Any]) -> Any:
    return gx_config.ExpectationConfiguration(type=etype, kwargs=dict(kwargs)).to_domain_obj()


def _gx_json(etype: str, kwargs: dict[str, Any], metrics: dict[str, Any], fmt: dict[str, Any]) -> dict:
    expectation = _gx(etype, kwargs)
    runtime = {"result_format": gx_config.parse_result_format(dict(fmt))}
    raw = expectation._validate(metrics=dict(metrics), runtime_configuration=runtime)
    out = expectation._build_evr(raw_response=raw).to_json_dict()
    out["expectation_config"].pop("id", None)
    return out


def _native_json(etype: str, kwargs: dict[str, Any], metrics: dict[str, Any], fmt: dict[str, Any]) -> dict:
    normalized = normalize(etype, kwargs)
    config = native.config_json({"type": etype, "kwargs": kwargs, "severity": "critical"}, normalized, "x")
    config.pop("id")
    result_format = native.ResultFormat(fmt["result_format"], fmt.get("partial_unexpected_count", 20))
    return native.result_json(config, native.evaluate(native_spec(etype), normalized, metrics, result_format))


def _same(etype: str, kwargs: dict[str, Any], metrics: dict[str, Any], fmt: dict[str, Any]) -> None:
    try:
        theirs = _gx_json(etype, kwargs, metrics, fmt)
    except Exception as exc:  # GX raises: so must we (the engine turns both into an exception result)
        with pytest.raises(Exception):  # noqa: B017 - any exception, as GX's validator catches any
            _native_json(etype, kwargs, metrics, fmt)
        assert not isinstance(exc, AssertionError)
        return
    ours = _native_json(etype, kwargs, metrics, fmt)
    assert ours == theirs


# --- the model: fields, defaults, coercion -------------------------------------------------------------------


@pytest.mark.parametrize("etype", NATIVE_TYPES)
def test_native_fields_are_gx_model_fields_with_gx_defaults(etype: str) -> None:
    fields = get_expectation_impl(etype).__fields__
    ours = {name: default for name, _, default in native_spec(etype).fields}
    theirs = {name: f for name, f in fields.items() if name not in BASE_FIELDS}
    assert set(ours) == set(theirs), f"GX {etype} has fields {sorted(theirs)}"
    for name, default in ours.items():
        if default is native.REQUIRED:
            assert theirs[name].required, name
        else:
            assert not theirs[name].required and theirs[name].default == default, name


KWARG_CASES: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 0, "max_value": 10}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 0.5, "strict_min": True}),
    (
        "expect_column_values_to_be_between",
        {"column": "c", "min_value": "2026-01-01", "max_value": "2026-12-31"},
    ),
    ("expect_column_values_to_be_between", {"column": "c", "max_value": "2026-11-20 06:00:00"}),
    ("expect_column_values_to_be_between", {"column": "c", "max_value": "2026-11-20T06:00:00.25"}),
    (
        "expect_column_values_to_be_between",
        {"column": "c", "min_value": 1, "mostly": 0.5, "strict_max": False},
    ),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 1, "mostly": 1}),
    ("expect_column_max_to_be_between", {"column": "c", "max_value": "2026-11-20 06:00:00"}),
    ("expect_column_mean_to_be_between", {"column": "c", "min_value": -3, "max_value": 3.25}),
    ("expect_column_median_to_be_between", {"column": "c", "min_value": 20, "max_value": 150}),
    ("expect_column_unique_value_count_to_be_between", {"column": "c", "min_value": 2, "max_value": 9}),
    (
        "expect_column_proportion_of_unique_values_to_be_between",
        {"column": "c", "min_value": 0, "max_value": 1},
    ),
    ("expect_column_proportion_of_non_null_values_to_be_between", {"column": "c", "min_value": 0.9}),
    ("expect_column_value_lengths_to_be_between", {"column": "c", "min_value": 1, "max_value": 5}),
    ("expect_column_value_lengths_to_equal", {"column": "c", "value": 3}),
    ("expect_column_values_to_be_in_set", {"column": "c", "value_set": [1, "a", None, 2.5, True]}),
    ("expect_column_values_to_not_be_in_set", {"column": "c", "value_set": ["x"]}),
    ("expect_column_values_to_match_regex", {"column": "c", "regex": "^a"}),
    ("expect_column_values_to_match_regex", {"column": "c"}),
    ("expect_column_values_to_not_match_regex", {"column": "c", "regex": "^a"}),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "or_equal": True},
    ),
    (
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": "a", "column_B": "b", "or_equal": False},
    ),
    ("expect_column_pair_values_to_be_equal", {"column_A": "a", "column_B": "b", "ignore_row_if": "neither"}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"], "ignore_row_if": "never"}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["a", "b"], "mostly": 0.99}),
    ("expect_column_distinct_values_to_equal_set", {"column": "c", "value_set": ["a", "b"]}),
    ("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 100}),
    ("expect_table_row_count_to_be_between", {"min_value": 0, "strict_min": True}),
    ("expect_table_row_count_to_equal", {"value": 5}),
    ("expect_table_column_count_to_equal", {"value": 5}),
    ("expect_table_column_count_to_be_between", {"min_value": 1, "max_value": 5}),
    ("expect_table_columns_to_match_ordered_list", {"column_list": ["a", "b"]}),
    ("expect_column_values_to_not_be_null", {"column": "c", "mostly": 0.95}),
    ("expect_column_values_to_be_null", {"column": "c"}),
    ("expect_column_values_to_be_unique", {"column": "c", "mostly": 0}),
]

NOT_NATIVE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_be_between", {"column": "c"}),  # no bound: GX refuses
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 5, "max_value": 1}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": "5"}),  # pydantic: 5.0
    ("expect_column_values_to_be_between", {"column": "c", "min_value": True}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 1, "row_condition": 'col("c")>0'}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 1, "mostly": 2}),
    ("expect_column_values_to_be_in_set", {"column": 3, "value_set": [1]}),
    ("expect_column_values_to_be_in_set", {"column": "c", "value_set": "abc"}),
    ("expect_table_row_count_to_equal", {"value": 5.5}),
    ("expect_table_columns_to_match_set", {"column_set": ["a"]}),
    ("expect_column_values_to_be_increasing", {"column": "c"}),
    ("expect_column_values_to_be_in_set", {"column": "", "value_set": [1]}),  # GX: min_length 1
    ("expect_compound_columns_to_be_unique", {"column_list": ["a"]}),  # GX: two or more
    ("expect_compound_columns_to_be_unique", {"column_list": []}),
]

EDGE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_be_in_set", {"column": "c", "value_set": []}),
    ("expect_column_values_to_be_in_set", {"column": "c", "value_set": [[1], {"a": 1}]}),
    ("expect_column_values_to_match_regex", {"column": "c", "regex": ""}),
    ("expect_compound_columns_to_be_unique", {"column_list": ["a", "a"]}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": 1, "max_value": 1}),
    ("expect_column_value_lengths_to_be_between", {"column": "c", "min_value": -1}),
    ("expect_column_value_lengths_to_equal", {"column": "c", "value": 2.5}),
    ("expect_table_row_count_to_equal", {"value": -1}),
    ("expect_table_columns_to_match_ordered_list", {"column_list": []}),
    ("expect_table_columns_to_match_ordered_list", {}),
    ("expect_column_proportion_of_unique_values_to_be_between", {"column": "c", "min_value": 2}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": "2026-02-30"}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": "2026-1-5"}),
    ("expect_column_values_to_be_between", {"column": "c", "min_value": "2026-01-05T25:00:00"}),
    ("expect_column_mean_to_be_between", {"column": "c", "min_value": "2026-01-05"}),
    ("expect_table_column_count_to_be_between", {"min_value": "2026-01-05"}),
    ("expect_column_values_to_not_be_null", {"column": "c", "mostly": 0}),
    ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a", "column_B": ""}),
    *NOT_NATIVE_CASES,
    *KWARG_CASES,
]


@pytest.mark.parametrize(("etype", "kwargs"), KWARG_CASES)
def test_normalized_kwargs_are_what_gx_keeps(etype: str, kwargs: dict[str, Any]) -> None:
    ours = native.to_json(normalize(etype, {"batch_id": "b", **kwargs}))
    theirs = _gx(etype, {"batch_id": "b", **kwargs}).configuration.to_json_dict()["kwargs"]
    assert ours == theirs
    assert list(ours) == list(theirs)  # and in GX's order
    check_config({"type": etype, "kwargs": kwargs, "severity": "warning"})


@pytest.mark.parametrize(("etype", "kwargs"), NOT_NATIVE_CASES)
def test_what_native_is_unsure_of_is_left_to_gx(etype: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(NotNative):
        check_config({"type": etype, "kwargs": kwargs, "severity": "critical"})
    with pytest.raises(NotNative):
        normalize(etype, kwargs)


@pytest.mark.parametrize(("etype", "kwargs"), EDGE_CASES)
def test_what_native_accepts_gx_accepts(etype: str, kwargs: dict[str, Any]) -> None:
    """A suite is checked without GX only when GX would accept it too: no lost load error."""
    raw: dict[str, Any] = {"type": etype, "kwargs": kwargs, "severity": "critical"}
    try:
        check_config(raw)
    except NotNative:
        return
    gx_config.ExpectationConfiguration(**raw).to_domain_obj()


def test_parameters_are_substituted_by_name_only() -> None:
    params = {"as_of_time": "2026-11-20 06:00:00"}
    assert native.substitute({"max_value": {"$PARAMETER": "as_of_time"}, "column": "c"}, params) == {
        "max_value": "2026-11-20 06:00:00",
        "column": "c",
    }
    for value in (
        {"$PARAMETER": "missing"},
        {"$PARAMETER": "as_of_time + 1"},
        {"$PARAMETER": "as_of_time", "x": 1},
    ):
        with pytest.raises(NotNative):
            native.substitute({"max_value": value}, params)
    # a parameter for something that is not a bound is GX's to check
    with pytest.raises(NotNative):
        check_config(
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": {"$PARAMETER": "x"}}}
        )


# --- evaluation: the same success and result as GX's _validate -----------------------------------------------

FORMATS = st.fixed_dictionaries(
    {
        "result_format": st.sampled_from(["BASIC", "SUMMARY"]),
        "partial_unexpected_count": st.integers(0, 25),
    }
)
SAMPLE_VALUES = st.one_of(
    st.integers(-5, 5),
    st.text(alphabet="ab€", max_size=2),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
MAP_METRICS = {
    "expect_column_values_to_be_unique": "column_values.unique",
    "expect_column_values_to_be_in_set": "column_values.in_set",
    "expect_column_values_to_match_regex": "column_values.match_regex",
    "expect_column_values_to_not_be_null": "column_values.nonnull",
    "expect_column_values_to_be_null": "column_values.null",
}
MAP_KWARGS: dict[str, dict[str, Any]] = {
    "expect_column_values_to_be_in_set": {"value_set": [1]},
    "expect_column_values_to_match_regex": {"regex": "a"},
}


@st.composite
def map_case(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    etype = draw(st.sampled_from(sorted(MAP_METRICS)))
    metric = MAP_METRICS[etype]
    rows = draw(st.integers(0, 50))
    nulls = draw(st.integers(0, rows))
    unexpected = draw(st.one_of(st.none(), st.integers(0, rows - nulls)))
    values = draw(st.lists(SAMPLE_VALUES, max_size=min(unexpected or 0, 30)))
    kwargs: dict[str, Any] = {"column": "c", **MAP_KWARGS.get(etype, {})}
    if draw(st.booleans()):
        kwargs["mostly"] = draw(st.sampled_from([0, 0.5, 0.9, 0.95, 1]))
    metrics = {
        "table.row_count": rows,
        "column_values.nonnull.unexpected_count": nulls,
        f"{metric}.unexpected_count": unexpected,
        f"{metric}.unexpected_values": values,
    }
    return etype, kwargs, metrics


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=map_case(), fmt=FORMATS)
def test_map_expectations_match_gx(
    case: tuple[str, dict[str, Any], dict[str, Any]], fmt: dict[str, Any]
) -> None:
    _same(*case, fmt)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(0, 30),
    data=st.data(),
    fmt=FORMATS,
    kind=st.sampled_from(["pair", "multi"]),
)
def test_pair_and_multicolumn_expectations_match_gx(
    rows: int, data: st.DataObject, fmt: dict, kind: str
) -> None:
    filtered = data.draw(st.integers(0, rows))
    unexpected = data.draw(st.integers(0, filtered))
    kwargs: dict[str, Any]
    if kind == "pair":
        etype, metric, kwargs = (
            "expect_column_pair_values_a_to_be_greater_than_b",
            "column_pair_values.a_greater_than_b",
            {"column_A": "a", "column_B": "b"},
        )
        values: list[Any] = data.draw(st.lists(st.tuples(SAMPLE_VALUES, SAMPLE_VALUES), max_size=unexpected))
    else:
        etype, metric, kwargs = (
            "expect_compound_columns_to_be_unique",
            "compound_columns.unique",
            {"column_list": ["a", "b"]},
        )
        values = [
            {"a": a, "b": b}
            for a, b in data.draw(
                st.lists(st.tuples(st.integers(0, 2), st.text("xy", max_size=1)), max_size=unexpected)
            )
        ]
    if data.draw(st.booleans()):
        kwargs["mostly"] = data.draw(st.sampled_from([0.5, 0.8, 1]))
    metrics = {
        "table.row_count": rows,
        f"{metric}.filtered_row_count": filtered,
        f"{metric}.unexpected_count": unexpected,
        f"{metric}.unexpected_values": values,
    }
    _same(etype, kwargs, metrics, fmt)


BETWEEN = {
    "expect_column_max_to_be_between": "column.max",
    "expect_column_min_to_be_between": "column.min",
    "expect_column_mean_to_be_between": "column.mean",
    "expect_column_median_to_be_between": "column.median",
    "expect_column_sum_to_be_between": "column.sum",
}
BOUNDS = st.one_of(
    st.none(),
    st.integers(-10, 10),
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from(["2026-11-19", "2026-11-20 06:00:00", "2026-11-20T05:59:59"]),
)
METRIC_VALUES = st.one_of(
    st.none(),
    st.integers(-10, 10),
    st.floats(-10, 10),
    st.just(math.nan),
    st.sampled_from(["2026-11-19", "2026-11-20T06:00:00", "2026-11-20", "2026-11-21T00:00:00+00:00", "abc"]),
    st.just(dt.datetime(2026, 11, 20, 6)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    etype=st.sampled_from(sorted(BETWEEN)),
    lo=BOUNDS,
    hi=BOUNDS,
    strict=st.tuples(st.booleans(), st.booleans()),
    value=METRIC_VALUES,
    fmt=FORMATS,
)
def test_aggregate_bounds_match_gx(
    etype: str, lo: Any, hi: Any, strict: tuple[bool, bool], value: Any, fmt: dict[str, Any]
) -> None:
    kwargs: dict[str, Any] = {"column": "c", "min_value": lo, "max_value": hi}
    kwargs.update({"strict_min": strict[0], "strict_max": strict[1]})
    try:
        normalize(etype, kwargs)
    except NotNative:
        return  # GX decides those (e.g. no bound, min > max)
    _same(etype, kwargs, {BETWEEN[etype]: value}, fmt)


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(0, 20),
    lo=st.one_of(st.none(), st.integers(0, 20)),
    hi=st.one_of(st.none(), st.integers(0, 20)),
    fmt=FORMATS,
)
def test_row_counts_and_column_lists_match_gx(count: int, lo: Any, hi: Any, fmt: dict[str, Any]) -> None:
    _same(
        "expect_table_row_count_to_equal",
        {"value": lo if lo is not None else 3},
        {"table.row_count": count},
        fmt,
    )
    if lo is not None or hi is not None:
        kwargs = {"min_value": lo, "max_value": hi}
        try:
            normalize("expect_table_row_count_to_be_between", kwargs)
        except NotNative:
            return
        _same("expect_table_row_count_to_be_between", kwargs, {"table.row_count": count}, fmt)
    columns = ["a", "b", "c"][: count % 4]
    _same(
        "expect_table_columns_to_match_ordered_list",
        {"column_list": ["a", "b"]},
        {"table.columns": columns, "table.column_count": len(columns)},
        fmt,
    )
    _same("expect_table_column_count_to_equal", {"value": 2}, {"table.column_count": len(columns)}, fmt)


def test_distinct_values_set_matches_gx() -> None:
    metrics = {
        "column.distinct_values": {"a", "z"},
        "column.distinct_values.count": 2,
        "column.distinct_values.not_in_set.count": 1,
        "column.distinct_values.not_in_set": ["z"],
        "column.distinct_values.missing_from_column.count": 1,
        "column.distinct_values.missing_from_column": ["b"],
    }
    for fmt in (
        {"result_format": "SUMMARY", "partial_unexpected_count": 20},
        {"result_format": "BASIC", "partial_unexpected_count": 0},
    ):
        _same(
            "expect_column_distinct_values_to_equal_set",
            {"column": "c", "value_set": ["a", "b"]},
            metrics,
            fmt,
        )


def test_to_json_is_gx_convert_to_json_serializable() -> None:
    from decimal import Decimal

    from great_expectations.util import convert_to_json_serializable

    values = [
        None,
        1,
        1.5,
        math.nan,
        "x",
        True,
        Decimal("1.10"),
        dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 3, 4, 5, 6),
        dt.time(1, 2),
        [1, (2, 3)],
        {"a": {1: Decimal("2")}},
    ]
    for value in values:
        assert native.to_json(value) == convert_to_json_serializable(value)
    with pytest.raises(NotNative):
        native.to_json(dt.timedelta(days=1))


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-19",
        "2026-11-19T06:00:00",
        "2026-11-19 06:00",
        "2026-11-19T06:00:00.5",
        "2026-11-19T06:00:00.123456",
    ],
)
def test_iso_strings_are_read_as_dateutil_reads_them(text: str) -> None:
    from dateutil.parser import parse

    assert native._parse_datetime(text) == parse(text)
    assert native._parse_datetime(text).tzinfo is None


# --- the version gate: native.py stands in for GX 1.24 only ----------------------------------------------------


@pytest.mark.parametrize(
    ("version", "runs"),
    [
        ("1.24.1", True),
        ("1.24.0", True),
        ("1.24.12", True),
        ("1.24.2rc1", True),
        ("1.24", True),
        ("1.25.0", False),
        ("1.23.9", False),
        ("1.2.4", False),
        ("1.240.0", False),
        ("2.24.0", False),
        ("0.18.21", False),
        ("", False),
        (None, False),
    ],
)
def test_native_runs_only_under_the_gx_release_it_was_written_for(version: str | None, runs: bool) -> None:
    assert native.runs_under(version) is runs
    notice = native.gate_notice(version)
    assert "\n" not in notice and "--engine gx" in notice and native.WRITTEN_FOR_GX in notice


def test_the_installed_gx_is_the_release_native_was_written_for() -> None:
    """The tests above hold native.py against the installed GX: that must be the release it is gated on
    (an upgrade fails here first; then re-check every rule and move WRITTEN_FOR_GX)."""
    import great_expectations

    assert native.installed_gx_version() == great_expectations.__version__
    assert native.runs_under(native.installed_gx_version())
